"""draw_dot: a glassgrad graph as a Graphviz digraph, with local derivatives and chain paths.

Drawing runs in three phases: ``viz.scene`` chooses the nodes (slice, collapse, max_nodes),
``viz.styling`` gives each node and edge its look (kinds, highlight, focus, anomalies), and this
module emits the DOT text. ``draw_dot`` is the user's entry; ``draw_scene`` is the lower-level one
the flipbook and the explorer use to show grads known so far and the node in focus.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine import Value, origin

from . import style
from .columns import MCLIMIT, Columns, plan_columns, port_name, tip_id
from .cost import LayoutCost, layout_cost
from .format import DIGITS, compact, full, record_text
from .names import describe, in_edge_id, op_node_name
from .paths import chain_rule_paths
from .scene import DEFAULT_MAX_NODES, Scene, Selection, box_outputs, select_scene
from .scopes import Collapse, leaf_name, parent_scope, prefixes
from .styling import Styling

#: A node used this many times or more has its edge labels tied to their edges.
FAN_OUT = 3

#: Past this many virtual nodes with labels in the layout, the labels go outside it (xlabel).
XLABEL_FROM = 1500

#: Past these (``viz.cost.LayoutCost``) dot is told to stop refining sooner (``layout_limits``).
POSITION_CAP_FROM = 1000
CROSSING_CAP_FROM = 150_000

#: How many chain-rule paths the caption lists per highlighted node.
DEFAULT_PATH_LIMIT = 8

RANKDIRS = ("LR", "RL", "TB", "BT")

__all__ = ["DEFAULT_MAX_NODES", "DEFAULT_PATH_LIMIT", "RANKDIRS", "DrawOptions", "draw_dot",
           "draw_scene"]


@dataclass(frozen=True)
class DrawOptions:
    """How a scene is drawn: ``draw_dot``'s options past the choice of nodes (see there)."""

    rankdir: str = "LR"
    show_grad: bool = True
    show_local: bool = True
    clusters: bool = True
    params: Iterable[Value] | None = None
    format: str = "svg"
    digits: int = DIGITS
    path_limit: int = DEFAULT_PATH_LIMIT
    anomalies: bool = False
    #: Give every node, op node and edge an SVG id (``v3``, ``v3op``, ``v3-in0``, ``v3-out``,
    #: boxes ``s0``) for a page that updates one drawing in place (see ``viz.layout``).
    element_ids: bool = False
    #: Refuse at once a scene dot would take more than seconds on (``viz.cost``).
    guard: bool = True

    def __post_init__(self) -> None:
        if self.rankdir not in RANKDIRS:
            raise ValueError(f"rankdir must be one of {RANKDIRS}, got {self.rankdir!r}")
        if not isinstance(self.format, str):
            raise TypeError(
                f"format must be a string such as 'svg' or 'png', got {self.format!r}")


def draw_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    show_local: bool = True,
    highlight: Selection = None,
    clusters: bool = True,
    collapse: Collapse = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    slice: Selection = None,  # shadows the builtin on purpose: the issue names it so
    params: Iterable[Value] | None = None,
    format: str = "svg",  # micrograd's spelling: draw_dot(root, format="svg")
    digits: int = DIGITS,
    path_limit: int = DEFAULT_PATH_LIMIT,
    anomalies: bool = False,
    guard: bool = True,
) -> Any:
    """Draw the graph ``root`` depends on as a ``graphviz.Digraph`` (shown inline in Jupyter).

    Each value is a record ``label | data | grad``; each op is a small circle between its
    parents and its result, one edge per use (``a * a`` draws two edges into ``*``). With
    ``show_local`` the edge parent -> op carries the local derivative d out / d parent, so the
    gradient of a parent is read off the drawing as grad(out) × edge. Nodes are named by their
    place in ``engine.topological_order(root)`` (``v0``, ``v1``, op nodes ``v1op``), so the same
    graph always gives the same DOT text.

    Args:
        root: the output (usually the loss); drawn with a heavy amber border.
        rankdir: ``"LR"`` (inputs left, root right), ``"TB"``, ``"RL"`` or ``"BT"``.
        show_grad: show each node's grad (turn off before ``backward()``).
        show_local: write the local derivative on each edge.
        highlight: a Value or several: colour every path from root down to each, and list the
            paths in a caption as products of local derivatives whose sum is d root / d value.
        clusters: group nodes into boxes by their ``scope`` (``nn`` modules set it).
        collapse: ``"neuron"``, ``"layer"`` or a set of scope names: draw each such scope as one
            box showing its output's data and grad.
        max_nodes: raise ``ValueError`` instead of drawing more nodes than this (``None``, the
            default: no count; ``guard`` judges the shape).
        slice: a Value or several: draw only the nodes on paths between root and them.
        params: the model's parameters; when given, other labelled leaves are drawn as inputs.
            Without it every labelled leaf is drawn as a parameter, unlabelled leaves as
            constants.
        format: the Digraph's output format for ``render`` and Jupyter (``"svg"``, ``"png"``...).
        digits: significant digits of the numbers shown; tooltips hold every digit.
        path_limit: the caption lists at most this many paths per highlighted node.
        guard: predict dot's time from the graph's shape (``viz.cost.layout_cost``: edges
            spanning many ranks, wide ranks) and refuse at once what would take minutes;
            ``guard=False`` draws anyway.
        anomalies: draw nodes whose data is inf or nan in red, and the first of them (finite
            inputs, non-finite result: where the trouble started) in bold, with the line that
            made it in its tooltip and the caption when the graph was built inside
            ``engine.detect_anomaly()``.

    Returns:
        A ``graphviz.Digraph``: ``.source`` is the DOT text, ``.render("graph")`` writes a file,
        ``viz.save(root, "graph.svg")`` does both steps.

    Raises:
        TypeError: ``root`` (or a highlight/slice entry) is not a Value.
        ValueError: a highlight/slice node is not in the graph, an unknown ``rankdir``,
            more than ``max_nodes`` nodes to draw, or (with ``guard``) a shape that dot would
            lay out for minutes (the messages suggest collapse= or slice=).
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot needs a Value as root, got {root!r} ({type(root).__name__})")
    options = DrawOptions(rankdir, show_grad, show_local, clusters, params, format, digits,
                          path_limit, anomalies, guard=guard)
    scene = select_scene(root, highlight=highlight, slice=slice, collapse=collapse,
                         max_nodes=max_nodes)
    return draw_scene(scene, options)


def draw_scene(
    scene: Scene,
    options: DrawOptions | None = None,
    *,
    grads: Mapping[Value, float | None] | None = None,
    focus: Value | None = None,
    names: Mapping[Value, str] | None = None,
) -> Any:
    """Emit the DOT drawing of a scene chosen by ``viz.scene.select_scene``.

    Args:
        scene: the nodes to draw.
        options: how to draw them (``DrawOptions()`` by default).
        grads: per-node grads to show instead of ``.grad``; ``None`` shows ``grad ?`` (the
            step-through flipbook uses this for grads not computed yet).
        focus: a node to emphasise, with the edges into its op (the grads its backward step
            adds to) drawn in orange (select the scene with the same ``focus=`` to check it).
        names: a name to write in the record of each unlabelled node given one (the flipbook
            names every node its text speaks of).

    Returns:
        A ``graphviz.Digraph`` (see ``draw_dot``).
    """
    from .render import drawing_class

    options = options or DrawOptions()
    columns = plan_columns(scene, options.clusters)
    cost, outside_labels = guard_layout(scene, options, columns)
    looks = Styling(scene, options.params, focus, options.anomalies)

    def grad_of(node: Value) -> float | None:
        if grads is not None and node in grads:
            return grads[node]
        return node.grad

    drawing = drawing_class()(
        name="glassgrad",
        format=options.format,
        graph_attr={**style.GRAPH, "rankdir": options.rankdir},
        node_attr=style.NODE,
        edge_attr=style.EDGE,
    )
    sheets = _Clusters(drawing, options.clusters)
    _emit_values(drawing, sheets, scene, looks, options, grad_of, names or {})
    _emit_boxes(sheets, scene, options, grad_of)
    _emit_edges(drawing, sheets, scene, looks, options,
                "xlabel" if outside_labels else "label", columns)
    sheets.close(columns, scene.names)
    if scene.boxes:
        # Boxes of a dense layer exchange one edge per pair; merging them into fans keeps dot
        # from routing hundreds of edges around the clusters (only box graphs: it would merge
        # the two edges of a * a too). Every pair of boxes crosses alike, so dot's second
        # crossing pass only shuffles them: without it they stay in reading order.
        drawing.attr(concentrate="true", remincross="false")
    limits = layout_limits(cost, columns)
    if limits:
        drawing.attr(**limits)
    caption = []
    first_bad = looks.first_bad
    digits = options.digits
    if first_bad is not None:
        inputs = ", ".join(compact(p.data, digits) for p in first_bad._prev)
        caption.append(f"first non-finite node: {describe(first_bad)} = {full(first_bad.data)}"
                       + (f" from finite inputs ({inputs})" if first_bad._prev else ""))
        made_at = origin(first_bad)
        caption.append(f"made at {made_at}" if made_at else
                       "(build the graph inside engine.detect_anomaly() to see its line)")
    for target in scene.targets:
        caption += _caption(scene.root, target, grad_of(target), digits, options.path_limit)
    if caption:
        text = "".join(line.replace("\\", "\\\\") + "\\l" for line in caption)
        drawing.attr(label=text, **style.CAPTION)
    return drawing


def guard_layout(scene: Scene, options: DrawOptions,
                 columns: Columns | None = None) -> tuple[LayoutCost, bool]:
    """dot's predicted work for ``scene``, and whether its edge labels go outside the layout.

    Edge labels double dot's ranks (each label gets a rank of its own); where edges span many
    ranks that doubles their virtual nodes too, so past ``XLABEL_FROM`` virtual nodes the
    labels are ``xlabel``s, placed after the layout. With ``options.guard`` a shape that would
    still take more than seconds is refused at once with a ``ValueError`` saying how to draw
    less.
    """
    columns = plan_columns(scene, options.clusters) if columns is None else columns
    cost = layout_cost(scene, options.show_local, columns)
    outside = options.show_local and cost.virtual > XLABEL_FROM
    if outside:
        cost = layout_cost(scene, labelled=False, columns=columns)
    reason = cost.too_slow()
    if options.guard and reason:
        raise ValueError(
            f"the graph is too big a shape to lay out in seconds: {reason}; draw less of it "
            "with collapse='neuron' or collapse='layer' (graphs built by nn), slice=param (only "
            "the paths between the root and param), or pass guard=False to wait for dot"
        )
    return cost, outside


def layout_limits(cost: LayoutCost, columns: Columns | None = None) -> dict[str, str]:
    """Graphviz's own caps on its work for a costly shape: ``nslimit`` bounds the network
    simplex that positions nodes (its iterations, per node), ``mclimit`` the crossing
    minimisation's passes. Small graphs get none, so their layout is dot's best; a drawing in
    columns keeps its reading order (``viz.columns.MCLIMIT``)."""
    limits = {}
    if cost.positioned > POSITION_CAP_FROM:
        limits["nslimit"] = "0.5"
    if columns:
        limits["mclimit"] = MCLIMIT
    elif cost.crossing_work > CROSSING_CAP_FROM:
        limits["mclimit"] = "0.3"
    return limits


def _record(fields: list[str], options: DrawOptions) -> str:
    """Record fields joined; braces turn them across the rank direction for LR and RL."""
    label = " | ".join(fields)
    return "{" + label + "}" if options.rankdir in ("LR", "RL") else label


def _grad_field(grad: float | None, digits: int) -> str:
    return "grad ?" if grad is None else f"grad {compact(grad, digits)}"


def _emit_values(drawing: Any, sheets: _Clusters, scene: Scene, looks: Styling,
                 options: DrawOptions, grad_of: Any, names: Mapping[Value, str]) -> None:
    """Value nodes outside boxes, each with the op node that makes it."""
    op_of = set(scene.with_op)
    for node in scene.drawn:
        if node in scene.boxed:
            continue
        name = scene.names[node]
        grad = grad_of(node)
        label = node.label or names.get(node, "")
        fields = [record_text(label)] if label else []
        fields.append(f"data {compact(node.data, options.digits)}")
        if options.show_grad:
            fields.append(_grad_field(grad, options.digits))
        attrs, tooltip = looks.value(node, grad)
        sheet = sheets.of(node.scope)
        sheet.node(name, _record(fields, options), tooltip=tooltip, **attrs,
                   **_element_id(name, options))
        if node in op_of:
            op_attrs, edge_attrs = looks.op(node)
            op_name = op_node_name(name)
            sheet.node(op_name, node._op, tooltip=f"op {node._op} -> data {full(node.data)}",
                       **op_attrs, **_element_id(op_name, options))
            drawing.edge(op_name, name, **edge_attrs, **_element_id(out_edge_id(name), options))


def _emit_boxes(sheets: _Clusters, scene: Scene, options: DrawOptions, grad_of: Any) -> None:
    """Collapsed scopes, one box each, inside the cluster of the scope around them."""
    box_names = scene.box_names
    outputs = box_outputs(scene)
    for box, members in scene.boxes.items():
        fields = [record_text(leaf_name(box)), f"{len(members)} nodes"]
        out = outputs.get(box, [])
        if len(out) == 1:
            fields.append(f"out {compact(out[0].data, options.digits)}")
            if options.show_grad:
                fields.append(_grad_field(grad_of(out[0]), options.digits))
        elif out:
            fields.append(f"{len(out)} outputs")
        sheets.of(parent_scope(box) if options.clusters else "").node(
            box_names[box], _record(fields, options),
            tooltip=f"{box}: {len(members)} nodes drawn as one box (collapse=)", **style.BOX,
            **_element_id(box_names[box], options))


def _emit_edges(drawing: Any, sheets: _Clusters, scene: Scene, looks: Styling,
                options: DrawOptions, label_key: str, columns: Columns) -> None:
    """Edges parent -> op, one per use, labelled with the local derivative."""
    on_drawing = set(scene.drawn)
    box_names = scene.box_names
    names = scene.names
    seen_box_edges: set[tuple[str, str]] = set()
    uses = Counter(p for node in scene.with_op for p in node._prev if p in on_drawing)
    for node in scene.with_op:
        locals_ = node.local_grads() if options.show_local else ()
        for slot, parent in enumerate(node._prev):
            if parent not in on_drawing:
                continue
            boxed = node in scene.boxed or parent in scene.boxed
            head = box_names[scene.boxed[node]] if node in scene.boxed \
                else op_node_name(names[node])
            tail = box_names[scene.boxed[parent]] if parent in scene.boxed else names[parent]
            if boxed:
                # A box hides the single edges inside it; between a box and the rest, one edge.
                if head == tail or (tail, head) in seen_box_edges:
                    continue
                seen_box_edges.add((tail, head))
                drawing.edge(tail, head, **_element_id(f"{tail}-{head}", options))
                continue
            edge: dict[str, str] = {}
            if options.show_local:
                local = locals_[slot]
                edge[label_key] = compact(local, options.digits)
                edge["tooltip"] = f"∂{describe(node)}/∂{describe(parent)} = {full(local)}"
                if uses[parent] >= FAN_OUT:
                    # Labels of a fan-out sit side by side near their node: a line from each
                    # label to its own edge says which is which.
                    edge["decorate"] = "true"
            edge.update(looks.edge(node, parent))
            edge_id = in_edge_id(names[node], slot)
            if (node, slot) in columns.entering:
                # Into a layer through a point on its first rank (viz.columns): the label and
                # the id stay on the part outside, the arrow ends the part inside.
                port = port_name(edge_id)
                sheets.of(node.scope).node(port, **style.PORT)
                tip = {k: v for k, v in edge.items() if k not in (label_key, "decorate")}
                drawing.edge(tail, port, arrowhead="none", **edge,
                             **_element_id(edge_id, options))
                drawing.edge(port, head, **tip, **_element_id(tip_id(edge_id), options))
                continue
            edge.update(_element_id(edge_id, options))
            drawing.edge(tail, head, **edge)


def out_edge_id(value_name: str) -> str:
    """The SVG id of the edge from node ``value_name``'s op into the node."""
    return f"{value_name}-out"


def _element_id(name: str, options: DrawOptions) -> dict[str, str]:
    return {"id": name} if options.element_ids else {}


def _caption(root: Value, target: Value, grad: float | None, digits: int,
             limit: int) -> list[str]:
    """The chain rule for d root / d target written out, ending with how it matches .grad."""
    paths = chain_rule_paths(root, target, limit=limit)
    lines = paths.lines(digits)
    name = describe(target)
    if grad is None:
        return lines
    total = paths.total
    agree = (math.isnan(total) and math.isnan(grad)) or math.isclose(
        total, grad, rel_tol=1e-9, abs_tol=1e-12)
    if agree:
        lines[-1] += f" = {name}.grad"
    else:
        lines[-1] += (f"   ({name}.grad holds {compact(grad, digits)}: "
                      "call backward() on the root to fill it)")
    return lines


class _Clusters:
    """Graphviz clusters for nested scopes, filled first and nested last (a subgraph is copied
    into its parent when attached, so children must be complete by then)."""

    def __init__(self, drawing: Any, enabled: bool):
        self.drawing = drawing
        self.enabled = enabled
        self.sheets: dict[str, Any] = {}

    def of(self, scope: str) -> Any:
        """The (sub)graph that nodes of ``scope`` go into."""
        if not self.enabled or not scope:
            return self.drawing
        for path in prefixes(scope):
            if path not in self.sheets:
                sheet = type(self.drawing)(name=f"cluster_{len(self.sheets)}")
                sheet.attr(label=leaf_name(path), tooltip=path, **style.CLUSTER)
                self.sheets[path] = sheet
        return self.sheets[scope]

    def close(self, columns: Columns, names: Mapping[Value, str]) -> None:
        """Give each scope's ``columns.first_ranks`` one rank, then nest every cluster into its
        parent, deepest first, then into the drawing."""
        for scope, members in columns.first_ranks.items():
            for rank, nodes in (("same", [op_node_name(names[n]) for n in members]),
                                ("min", [port_name(in_edge_id(names[n], slot))
                                         for n, slot in columns.entering if n.scope == scope])):
                group = type(self.drawing)()
                group.attr(rank=rank)
                for name in nodes:
                    group.node(name)
                self.of(scope).subgraph(group)
        depth = {path: len(prefixes(path)) for path in self.sheets}
        for path in sorted(self.sheets, key=lambda p: -depth[p]):
            outer = parent_scope(path)
            (self.sheets[outer] if outer else self.drawing).subgraph(self.sheets[path])
