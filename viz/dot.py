"""draw_dot: a glassgrad graph as a Graphviz digraph, with local derivatives and chain paths."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from engine import Value, first_anomaly, origin, topological_order

from . import style
from .format import DIGITS, compact, full, record_text
from .names import describe, node_names, op_node_name
from .paths import chain_rule_paths, path_counts
from .scopes import Collapse, collapser, leaf_name, parent_scope, prefixes

#: Beyond this many drawn nodes ``draw_dot`` refuses (Graphviz would work for minutes).
DEFAULT_MAX_NODES = 500

#: How many chain-rule paths the caption lists per highlighted node.
DEFAULT_PATH_LIMIT = 8

RANKDIRS = ("LR", "RL", "TB", "BT")

Targets = Value | Iterable[Value] | None


def draw_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    show_local: bool = True,
    highlight: Targets = None,
    clusters: bool = True,
    collapse: Collapse = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    slice: Targets = None,  # shadows the builtin on purpose: the issue names it so
    params: Iterable[Value] | None = None,
    grads: Mapping[Value, float | None] | None = None,
    focus: Value | None = None,
    format: str = "svg",  # micrograd's spelling: draw_dot(root, format="svg")
    digits: int = DIGITS,
    path_limit: int = DEFAULT_PATH_LIMIT,
    anomalies: bool = False,
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
        max_nodes: raise ``ValueError`` instead of drawing more nodes than this (``None``: no
            limit).
        slice: a Value or several: draw only the nodes on paths between root and them.
        params: the model's parameters; when given, other labelled leaves are drawn as inputs.
            Without it every labelled leaf is drawn as a parameter, unlabelled leaves as
            constants.
        grads: per-node grads to show instead of ``.grad``; ``None`` shows ``grad ?`` (the
            step-through flipbook uses this for grads not computed yet).
        focus: a node to emphasise, with the edges into its op (the grads its backward step
            adds to) drawn in orange.
        format: the Digraph's output format for ``render`` and Jupyter (``"svg"``, ``"png"``...).
        digits: significant digits of the numbers shown; tooltips hold every digit.
        path_limit: the caption lists at most this many paths per highlighted node.
        anomalies: draw nodes whose data is inf or nan in red, and the first of them (finite
            inputs, non-finite result: where the trouble started) in bold, with the line that
            made it in its tooltip and the caption when the graph was built inside
            ``engine.detect_anomaly()``.

    Returns:
        A ``graphviz.Digraph``: ``.source`` is the DOT text, ``.render("graph")`` writes a file,
        ``viz.save(root, "graph.svg")`` does both steps.

    Raises:
        TypeError: ``root`` (or a highlight/slice/focus entry) is not a Value.
        ValueError: a highlight/slice/focus node is not in the graph, an unknown ``rankdir``,
            or more than ``max_nodes`` nodes to draw (the message suggests collapse= or slice=).
    """
    from .render import drawing_class

    if not isinstance(root, Value):
        raise TypeError(f"draw_dot needs a Value as root, got {root!r} ({type(root).__name__})")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int)
                                  or max_nodes < 1):
        raise ValueError(f"max_nodes must be an int >= 1 or None, got {max_nodes!r}")
    if not isinstance(format, str):
        raise TypeError(f"format must be a string such as 'svg' or 'png', got {format!r}")
    order = topological_order(root)
    names = node_names(order)
    targets = _members(highlight, "highlight", names)
    cut = _members(slice, "slice", names)
    if focus is not None:
        _members(focus, "focus", names)

    counts = {t: path_counts(order, t) for t in [*targets, *cut]}
    # Nodes go to Graphviz in reading order (first arguments first), which dot keeps within a
    # rank: x1 is drawn above x2, A[1,1] above A[2,1], Neuron 1.1 above Neuron 1.2.
    reading = _reading_order(root)
    drawn = sorted((n for n in order if any(counts[t][n] for t in cut)) if cut else order,
                   key=reading.__getitem__)
    on_drawing = set(drawn)
    with_op = [n for n in drawn if any(p in on_drawing for p in n._prev)]

    box_of_scope = collapser(collapse, {n.scope for n in drawn})
    boxed = {n: box for n in drawn if (box := box_of_scope(n.scope)) is not None}
    boxes: dict[str, list[Value]] = {}
    for node, box in boxed.items():
        boxes.setdefault(box, []).append(node)
    size = (sum(1 for n in drawn if n not in boxed) + sum(1 for n in with_op if n not in boxed)
            + len(boxes))
    if max_nodes is not None and size > max_nodes:
        raise ValueError(
            f"the graph has {size} nodes to draw (values, ops and boxes), more than "
            f"max_nodes={max_nodes}; draw less of it with collapse='neuron' or collapse='layer' "
            "(graphs built by nn), slice=param (only the paths between the root and param), "
            "or pass a larger max_nodes"
        )

    kinds = _kinds(drawn, params)
    first_bad = first_anomaly(root) if anomalies else None
    spot = _Highlighter(targets, counts)
    drawing = drawing_class()(
        name="glassgrad",
        format=format,
        graph_attr={**style.GRAPH, "rankdir": rankdir},
        node_attr=style.NODE,
        edge_attr=style.EDGE,
    )
    sheets = _Clusters(drawing, clusters)
    braces = rankdir in ("LR", "RL")  # a record's fields run across the rank direction

    def grad_of(node: Value) -> float | None:
        if grads is not None and node in grads:
            return grads[node]
        return node.grad

    # Value nodes and their op nodes.
    op_of = set(with_op)
    for node in drawn:
        if node in boxed:
            continue
        name = names[node]
        grad = grad_of(node)
        fields = [record_text(node.label)] if node.label else []
        fields.append(f"data {compact(node.data, digits)}")
        if show_grad:
            fields.append("grad ?" if grad is None else f"grad {compact(grad, digits)}")
        label = " | ".join(fields)
        attrs = {**style.VALUE, **style.KIND[kinds[node]]}
        if node is root:
            attrs.update(style.ROOT)
        colour = spot.node(node)
        if colour:
            attrs.update(color=colour, penwidth=spot.width(node))
        if node is focus:
            attrs.update(style.FOCUS)
        grad_text = "unknown" if grad is None else full(grad)
        tooltip = f"{kinds[node]} {describe(node)}: data = {full(node.data)}, grad = {grad_text}"
        if node.scope:
            tooltip += f" (in {node.scope})"
        if anomalies and not math.isfinite(node.data):
            attrs.update(style.ANOMALY)
            if node is first_bad:
                attrs.update(style.FIRST_ANOMALY)
                tooltip += "; the first non-finite node"
            made_at = origin(node)
            if made_at:
                tooltip += f"; made at {made_at}"
        sheets.of(node.scope).node(name, "{" + label + "}" if braces else label,
                                   tooltip=tooltip, **attrs)
        if node in op_of:
            op_attrs = dict(style.OP)
            op_colour = spot.edge(node, None)
            if op_colour:
                op_attrs.update(color=op_colour, penwidth=style.HIGHLIGHT_WIDTH)
            if node is focus:
                op_attrs.update(style.FOCUS)
            sheets.of(node.scope).node(op_node_name(name), node._op,
                                       tooltip=f"op {node._op} -> data {full(node.data)}",
                                       **op_attrs)
            edge_attrs = {"color": op_colour, "penwidth": style.HIGHLIGHT_WIDTH} if op_colour \
                else {}
            drawing.edge(op_node_name(name), name, **edge_attrs)

    # Collapsed scopes, one box each, inside the cluster of the scope around them.
    box_names = {box: f"s{i}" for i, box in enumerate(boxes)}
    outputs = _box_outputs(root, with_op, boxed, on_drawing)
    for box, members in boxes.items():
        fields = [record_text(leaf_name(box)), f"{len(members)} nodes"]
        out = outputs.get(box, [])
        if len(out) == 1:
            fields.append(f"out {compact(out[0].data, digits)}")
            if show_grad:
                grad = grad_of(out[0])
                fields.append("grad ?" if grad is None else f"grad {compact(grad, digits)}")
        elif out:
            fields.append(f"{len(out)} outputs")
        label = " | ".join(fields)
        sheets.of(parent_scope(box) if clusters else "").node(
            box_names[box], "{" + label + "}" if braces else label,
            tooltip=f"{box}: {len(members)} nodes drawn as one box (collapse=)", **style.BOX)

    # Edges parent -> op, one per use, labelled with the local derivative.
    seen_box_edges: set[tuple[str, str]] = set()
    for node in with_op:
        locals_ = node.local_grads() if show_local else ()
        for slot, parent in enumerate(node._prev):
            if parent not in on_drawing:
                continue
            head = box_names[boxed[node]] if node in boxed else op_node_name(names[node])
            tail = box_names[boxed[parent]] if parent in boxed else names[parent]
            if node in boxed or parent in boxed:
                # A box hides the single edges inside it; between a box and the rest, one edge.
                if head == tail or (tail, head) in seen_box_edges:
                    continue
                seen_box_edges.add((tail, head))
                drawing.edge(tail, head)
                continue
            edge: dict[str, str] = {}
            if show_local:
                local = locals_[slot]
                edge["label"] = compact(local, digits)
                edge["tooltip"] = f"∂{describe(node)}/∂{describe(parent)} = {full(local)}"
            colour = spot.edge(node, parent)
            if colour:
                edge.update(color=colour, penwidth=style.HIGHLIGHT_WIDTH, fontcolor=colour)
            if node is focus:
                edge.update(style.FOCUS_EDGE)
            drawing.edge(tail, head, **edge)

    sheets.close()
    if boxes:
        # Boxes of a dense layer exchange one edge per pair; merging them into fans keeps dot
        # from routing hundreds of edges around the clusters (only box graphs: it would merge
        # the two edges of a * a too). Every pair of boxes crosses alike, so dot's second
        # crossing pass only shuffles them: without it they stay in reading order.
        drawing.attr(concentrate="true", remincross="false")
    caption = []
    if first_bad is not None:
        inputs = ", ".join(compact(p.data, digits) for p in first_bad._prev)
        caption.append(f"first non-finite node: {describe(first_bad)} = {full(first_bad.data)}"
                       + (f" from finite inputs ({inputs})" if first_bad._prev else ""))
        made_at = origin(first_bad)
        caption.append(f"made at {made_at}" if made_at else
                       "(build the graph inside engine.detect_anomaly() to see its line)")
    for target in targets:
        caption += _caption(root, target, grad_of(target), digits, path_limit)
    if caption:
        text = "".join(line.replace("\\", "\\\\") + "\\l" for line in caption)
        drawing.attr(label=text, **style.CAPTION)
    return drawing


def _reading_order(root: Value) -> dict[Value, int]:
    """Each node's place in a depth-first walk from ``root`` that finishes a node's first
    argument before its second (``topological_order`` takes the last argument first)."""
    place: dict[Value, int] = {}
    entered = {root}
    stack: list[tuple[Value, int]] = [(root, 0)]  # a node and the next argument to enter
    while stack:
        node, slot = stack.pop()
        if slot == len(node._prev):
            place[node] = len(place)
            continue
        stack.append((node, slot + 1))
        parent = node._prev[slot]
        if parent not in entered:
            entered.add(parent)
            stack.append((parent, 0))
    return place


def _members(values: Targets, what: str, names: Mapping[Value, str]) -> list[Value]:
    """``values`` (None, one Value or several) as a list, each checked to be in the graph."""
    if values is None:
        return []
    listed = [values] if isinstance(values, Value) else list(values)
    for value in listed:
        if not isinstance(value, Value):
            raise TypeError(f"{what} needs Values, got {value!r} ({type(value).__name__})")
        if value not in names:
            raise ValueError(f"{what}: {describe(value)!r} ({value!r}) is not in the graph")
    return listed


def _kinds(drawn: list[Value], params: Iterable[Value] | None) -> dict[Value, str]:
    """Each node's kind for styling: parameter, input, constant (leaves) or inner."""
    chosen = None if params is None else set(params)
    kinds = {}
    for node in drawn:
        if node._prev:
            kinds[node] = "inner"
        elif chosen is not None and node in chosen:
            kinds[node] = "parameter"
        elif node.label:
            kinds[node] = "parameter" if chosen is None else "input"
        else:
            kinds[node] = "constant"
    return kinds


def _box_outputs(root: Value, with_op: list[Value], boxed: Mapping[Value, str],
                 on_drawing: set[Value]) -> dict[str, list[Value]]:
    """For each box, the nodes inside it used outside it (or the root), in order."""
    outputs: dict[str, dict[Value, None]] = {}
    for node in with_op:
        for parent in node._prev:
            box = boxed.get(parent)
            if box is not None and parent in on_drawing and boxed.get(node) != box:
                outputs.setdefault(box, {})[parent] = None
    if root in boxed:
        outputs.setdefault(boxed[root], {})[root] = None
    return {box: list(nodes) for box, nodes in outputs.items()}


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


class _Highlighter:
    """Which nodes and edges lie on a path from the root to each highlighted target."""

    def __init__(self, targets: list[Value], counts: Mapping[Value, Mapping[Value, int]]):
        self.targets = targets
        self.counts = counts

    def node(self, node: Value) -> str | None:
        for k, target in enumerate(self.targets):
            if self.counts[target][node]:
                return style.HIGHLIGHT[k % len(style.HIGHLIGHT)]
        return None

    def width(self, node: Value) -> str:
        return style.TARGET_WIDTH if node in self.targets else style.HIGHLIGHT_WIDTH

    def edge(self, node: Value, parent: Value | None) -> str | None:
        """The colour of the edge parent -> op(node), or op(node) -> node when parent is None."""
        for k, target in enumerate(self.targets):
            on = self.counts[target]
            if node is not target and on[node] and (parent is None or on[parent]):
                return style.HIGHLIGHT[k % len(style.HIGHLIGHT)]
        return None


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

    def close(self) -> None:
        """Nest every cluster into its parent, deepest first, then into the drawing."""
        depth = {path: len(prefixes(path)) for path in self.sheets}
        for path in sorted(self.sheets, key=lambda p: -depth[p]):
            outer = parent_scope(path)
            (self.sheets[outer] if outer else self.drawing).subgraph(self.sheets[path])
