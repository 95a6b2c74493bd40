"""One Graphviz layout per graph, as the front end's graph view takes it: an SVG whose nodes and
edges carry stable ids, sized for the widest text each node will show, and a table from those
ids to the nodes (see docs/frontend.md)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from engine import Value

from .dot import DrawOptions, draw_scene, in_edge_id
from .format import compact, full
from .names import text_names
from .scene import Scene
from .styling import Styling

_PROLOG = re.compile(r"^.*?(?=<svg\b)", re.S)

# Helvetica's advance widths (per 1000 em) for the characters numbers are written with; dot
# sizes a node by its text, so the widest text per node is laid out and narrower ones fit.
_WIDTH = {**dict.fromkeys("0123456789e?na", 556), ".": 278, "-": 333, "i": 222, "f": 278}


def clean_svg(svg: str) -> str:
    """Graphviz SVG without its XML prolog, DOCTYPE and comments before ``<svg``, for inlining."""
    return _PROLOG.sub("", svg, count=1).strip()


def text_width(text: str) -> int:
    """An estimate of ``text``'s width in Helvetica (1000 per em), to pick the widest text."""
    return sum(_WIDTH.get(char, 600) for char in text)


def widest_grads(
    order: Iterable[Value], shown: Iterable[Mapping[Value, float]], digits: int
) -> dict[Value, float | None]:
    """For each node, the grad among those ``shown`` over all frames whose text is widest
    (``None``, drawn ``grad ?``, when no frame knows one)."""
    widest: dict[Value, tuple[int, float | None]] = {node: (text_width("?"), None)
                                                     for node in order}
    for frame in shown:
        for node, grad in frame.items():
            width = text_width(compact(grad, digits))
            if width > widest[node][0]:
                widest[node] = (width, grad)
    return {node: grad for node, (_, grad) in widest.items()}


def graph_payload(
    scene: Scene,
    options: DrawOptions,
    sizing_grads: Mapping[Value, float | None],
    *,
    names: Mapping[Value, str] | None = None,
    record_names: Mapping[Value, str] | None = None,
    svg: str | None = None,
) -> dict[str, Any]:
    """The JSON a ``GraphView`` takes (viz/web/graph_view.js): one laid-out SVG and its ids.

    Args:
        scene: the nodes to draw (``viz.scene.select_scene``).
        options: how to draw them; ``element_ids`` is turned on here.
        sizing_grads: the grad each node is laid out with (its widest, see ``widest_grads``);
            the page writes the grads of each frame over them.
        names: each node's name in text (default ``text_names``).
        record_names: names to write into the records of unlabelled nodes (``draw_scene``).
        svg: an SVG already laid out from the same scene and options (skips ``dot``).

    Returns:
        ``{"svg", "root", "nodes": {id: {index, name, kind, op, data, tooltip}},
        "edges": {id: {child, parent, slot}}}``; a node's ``tooltip`` has ``{grad}`` where its
        grad goes.
    """
    from dataclasses import replace

    options = replace(options, element_ids=True)
    if svg is None:
        drawing = draw_scene(scene, options, grads=sizing_grads, names=record_names)
        svg = drawing.pipe(format="svg", encoding="utf-8")
    names = names if names is not None else text_names(scene.order)
    looks = Styling(scene, options.params, None, options.anomalies)
    index = {node: i for i, node in enumerate(scene.order)}
    nodes = {}
    for node in scene.drawn:
        if node in scene.boxed:
            continue
        _, tooltip = looks.value(node, None)
        nodes[scene.names[node]] = {
            "index": index[node],
            "name": names[node],
            "kind": looks.kinds[node],
            "op": node._op,
            "data": [compact(node.data, options.digits), full(node.data)],
            "tooltip": tooltip.replace("grad = unknown", "grad = {grad}", 1),
        }
    on_drawing = set(scene.drawn)
    edges = {}
    for node in scene.with_op:
        if node in scene.boxed:
            continue
        for slot, parent in enumerate(node._prev):
            if parent in on_drawing and parent not in scene.boxed:
                edges[in_edge_id(scene.names[node], slot)] = {
                    "child": scene.names[node], "parent": scene.names[parent], "slot": slot}
    return {"svg": clean_svg(svg), "root": scene.names[scene.root], "nodes": nodes,
            "edges": edges}
