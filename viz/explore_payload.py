"""The explorer's replies as JSON: every node's and edge's numbers, a node's chain-rule paths.

Nodes and edges are keyed by the ids of the drawing (``v3``, ``v3-in0``, boxes ``s1``), so the
page rewrites the texts of the one laid-out SVG in place.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from engine import Value

from .dot import in_edge_id
from .explore_model import ENGINE_LOCK, Built
from .flipbook_writer import build_book, rule_of
from .format import compact
from .names import text_names
from .paths import chain_rule_paths
from .scene import box_outputs, select_scene


def number(x: float) -> float | str:
    """``x`` for JSON: a float, or ``"Infinity"``/``"-Infinity"``/``"NaN"`` (JSON has no
    non-finite numbers; JavaScript's ``Number()`` reads these three strings back)."""
    if math.isfinite(x):
        return x
    if math.isnan(x):
        return "NaN"
    return "Infinity" if x > 0 else "-Infinity"


def variables_payload(built: Built) -> list[dict[str, Any]]:
    """Each variable's name, value, grad, and a slider range around zero that holds the value."""
    rows = []
    for name in built.source.names:
        x = built.values[name]
        bound = max(5.0, 2.0 * math.ceil(abs(x)))
        leaf = built.leaves.get(name)
        grad = leaf.grad if leaf is not None else 0.0
        rows.append({"name": name, "value": x, "grad": number(grad), "gradText": compact(grad),
                     "min": -bound, "max": bound, "step": bound / 500})
    return rows


def values_payload(built: Built) -> dict[str, Any]:
    """The numbers of every node (data, grad) and edge (local derivative), keyed by the names
    the drawing uses, plus the variables: what the page rewrites after a value changes.

    Nodes are named in text as the flipbook and the trace name them (``viz.names.text_names``:
    ``Neuron 1.3 · tanh``, ``const -1``, an unlabelled root ``f``).
    """
    with ENGINE_LOCK:
        steps = build_book(built.root)
        names = steps.names
        nodes = {built.ids[n]: {"data": number(n.data), "grad": number(n.grad),
                                "dataText": compact(n.data), "gradText": compact(n.grad)}
                 for n in built.order}
        edges = {}
        for node in built.order:
            if node._prev:
                for slot, local in enumerate(node.local_grads()):
                    edges[edge_id(built.ids[node], slot)] = {
                        "local": number(local), "text": compact(local),
                        "hover": edge_rule(node, slot, local, names)}
        book = steps.book
        _add_boxes(built, nodes, book)
    root = built.root
    return {
        "structure": built.structure,
        "book": book,
        "root": {"id": built.ids[root], "name": names[root], "data": number(root.data),
                 "grad": number(root.grad)},
        "nodes": nodes,
        "edges": edges,
        "variables": variables_payload(built),
    }


def _add_boxes(built: Built, nodes: dict[str, Any], book: dict[str, Any]) -> None:
    """A collapsed scope's box shows its output's data and grad: give each box (``s<k>``) the
    numbers and the grad timeline of its one output (a box with several shows none)."""
    if built.source.collapse is None:
        return
    scene = select_scene(built.root, collapse=built.source.collapse, max_nodes=None)
    names = scene.box_names
    for box, outputs in box_outputs(scene).items():
        if len(outputs) == 1:
            out = built.ids[outputs[0]]
            nodes[names[box]] = nodes[out]
            if out in book["grads"]:
                book["grads"][names[box]] = book["grads"][out]


def edge_rule(node: Value, slot: int, local: float, names: Mapping[Value, str]) -> str:
    """What hovering an edge shows: the local derivative written out with its number, then the
    op's rule (``d tanh(n)/dn = 0.5 · rule: d(tanh x)/dx = 1 - tanh(x)^2``); the parents by
    ``names`` (``viz.names.text_names``)."""
    shown = [_atom(names[parent]) for parent in node._prev]
    op = node._op
    if len(shown) == 2:
        formula = f"({shown[0]} {op} {shown[1]})"
    elif op.startswith("**"):
        formula = f"({shown[0]}{op})"
    else:
        formula = f"{op}({shown[0]})"
    text = f"d {formula}/d{shown[slot]} = {compact(local)}"
    rule = rule_of(op)
    return f"{text} · rule: {rule}" if rule else text


def _atom(name: str) -> str:
    """A name as one term of a formula: ``n`` and ``A[1,2]`` as they are, ``(x1*w1 + b)``."""
    return name if " " not in name and not any(c in name for c in "+-*/") else f"({name})"


def edge_id(child_id: str, slot: int) -> str:
    """The SVG id of the edge from ``child``'s ``slot``-th parent into ``child``'s op."""
    return in_edge_id(child_id, slot)


def paths_payload(built: Built, node_id: object, limit: int = 24) -> dict[str, Any]:
    """d root / d node as the sum over chain-rule paths, listed up to ``limit`` routes."""
    target = built.node(node_id)
    with ENGINE_LOCK:
        names = text_names(built.order)
        paths = chain_rule_paths(built.root, target, limit=limit)
        routes = [{"nodes": [built.ids[n] for n in path.nodes],
                   "factors": [number(f) for f in path.factors],
                   "value": number(path.value), "text": path.text(names=names)}
                  for path in paths.paths]
        return {
            "node": built.ids[target],
            "name": names[target],
            "count": paths.count,
            "listed": len(routes),
            "total": number(paths.total),
            "grad": number(target.grad),
            "paths": routes,
            "lines": paths.lines(names=names),
        }
