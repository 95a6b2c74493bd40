"""What a drawing shows: the nodes chosen by ``slice=``, grouped by ``collapse=``, checked
against ``max_nodes`` (the first phase of ``draw_dot``; styling and emitting come after)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from engine import Value, topological_order

from .names import describe, node_names, reading_order
from .paths import path_counts
from .scopes import Collapse, collapser

#: No limit on the count of nodes by default: dot's time depends on the shape, which
#: ``viz.cost`` judges (``draw_dot(guard=True)``).
DEFAULT_MAX_NODES: int | None = None

#: ``highlight=``, ``slice=``: no node, one Value, or several.
Selection = Value | Iterable[Value] | None


@dataclass(frozen=True)
class Scene:
    """The nodes of one drawing and how they group, before any styling.

    Attributes:
        root: the output the graph is drawn from.
        order: ``engine.topological_order(root)``, which names the nodes (``v<i>``).
        names: each node's DOT name, from ``order``.
        drawn: the value nodes drawn, in reading order (first arguments first).
        with_op: the drawn nodes that get an op node (a parent of theirs is drawn too).
        boxed: for each node inside a collapsed scope, that scope's name.
        boxes: each collapsed scope's members, in drawing order.
        targets: the highlighted nodes.
        counts: for each highlighted or slicing node, how many routes lead from each node to it.
    """

    root: Value
    order: list[Value]
    names: dict[Value, str]
    drawn: list[Value]
    with_op: list[Value]
    boxed: dict[Value, str]
    boxes: dict[str, list[Value]]
    targets: list[Value]
    counts: dict[Value, dict[Value, int]]

    @property
    def size(self) -> int:
        """How many nodes Graphviz lays out: values and ops outside boxes, and the boxes."""
        return (sum(1 for n in self.drawn if n not in self.boxed)
                + sum(1 for n in self.with_op if n not in self.boxed) + len(self.boxes))

    @property
    def box_names(self) -> dict[str, str]:
        """Each box's DOT name, ``s<i>`` in drawing order."""
        return {box: f"s{i}" for i, box in enumerate(self.boxes)}


def select_scene(
    root: Value,
    *,
    highlight: Selection = None,
    slice: Selection = None,  # shadows the builtin on purpose: draw_dot's option is named so
    collapse: Collapse = None,
    focus: Value | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
) -> Scene:
    """Choose the nodes to draw (see ``draw_dot`` for the options).

    Raises:
        TypeError: a highlight/slice/focus entry is not a Value.
        ValueError: such a node is not in the graph, or the scene has more than ``max_nodes``
            nodes (the message suggests collapse= or slice=).
    """
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int)
                                  or max_nodes < 1):
        raise ValueError(f"max_nodes must be an int >= 1 or None, got {max_nodes!r}")
    order = topological_order(root)
    names = node_names(order)
    targets = _members(highlight, "highlight", names)
    cut = _members(slice, "slice", names)
    if focus is not None:
        _members(focus, "focus", names)

    counts = {t: path_counts(order, t) for t in [*targets, *cut]}
    # Nodes go to Graphviz in reading order (first arguments first), which dot keeps within a
    # rank: x1 is drawn above x2, A[1,1] above A[2,1], Neuron 1.1 above Neuron 1.2.
    reading = reading_order(root)
    drawn = sorted((n for n in order if any(counts[t][n] for t in cut)) if cut else order,
                   key=reading.__getitem__)
    on_drawing = set(drawn)
    with_op = [n for n in drawn if any(p in on_drawing for p in n._prev)]

    box_of_scope = collapser(collapse, {n.scope for n in drawn})
    boxed = {n: box for n in drawn if (box := box_of_scope(n.scope)) is not None}
    boxes: dict[str, list[Value]] = {}
    for node, box in boxed.items():
        boxes.setdefault(box, []).append(node)
    scene = Scene(root, order, names, drawn, with_op, boxed, boxes, targets, counts)
    if max_nodes is not None and scene.size > max_nodes:
        raise ValueError(
            f"the graph has {scene.size} nodes to draw (values, ops and boxes), more than "
            f"max_nodes={max_nodes}; draw less of it with collapse='neuron' or collapse='layer' "
            "(graphs built by nn), slice=param (only the paths between the root and param), "
            "or pass a larger max_nodes"
        )
    return scene


def box_outputs(scene: Scene) -> dict[str, list[Value]]:
    """For each box, the nodes inside it used outside it (or the root), in order."""
    on_drawing = set(scene.drawn)
    outputs: dict[str, dict[Value, None]] = {}
    for node in scene.with_op:
        for parent in node._prev:
            box = scene.boxed.get(parent)
            if box is not None and parent in on_drawing and scene.boxed.get(node) != box:
                outputs.setdefault(box, {})[parent] = None
    if scene.root in scene.boxed:
        outputs.setdefault(scene.boxed[scene.root], {})[scene.root] = None
    return {box: list(nodes) for box, nodes in outputs.items()}


def _members(values: Selection, what: str, names: Mapping[Value, str]) -> list[Value]:
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
