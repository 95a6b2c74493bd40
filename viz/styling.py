"""The second phase of ``draw_dot``: the Graphviz attributes of each node and edge of a scene,
from the leaves' kinds, the highlighted paths, the focus node and non-finite values."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from engine import Value, first_anomaly, origin

from . import style
from .format import full
from .names import describe
from .scene import Scene


class Styling:
    """Attributes and tooltips for the nodes and edges of ``scene``.

    Args:
        scene: what is drawn.
        params: the model's parameters (other labelled leaves are then inputs), or None.
        focus: the node whose backward step is shown, drawn in orange with the edges into its op.
        anomalies: mark non-finite nodes, and the first of them.
    """

    def __init__(self, scene: Scene, params: Iterable[Value] | None, focus: Value | None,
                 anomalies: bool):
        self.scene = scene
        self.kinds = leaf_kinds(scene.drawn, params)
        self.focus = focus
        self.anomalies = anomalies
        self.first_bad = first_anomaly(scene.root) if anomalies else None
        self.paths = PathColours(scene.targets, scene.counts)

    def value(self, node: Value, grad: float | None) -> tuple[dict[str, str], str]:
        """A value node's attributes and tooltip."""
        attrs = {**style.VALUE, **style.KIND[self.kinds[node]]}
        if node is self.scene.root:
            attrs.update(style.ROOT)
        colour = self.paths.node(node)
        if colour:
            attrs.update(color=colour, penwidth=self.paths.width(node))
        if node is self.focus:
            attrs.update(style.FOCUS)
        grad_text = "unknown" if grad is None else full(grad)
        tooltip = (f"{self.kinds[node]} {describe(node)}: data = {full(node.data)}, "
                   f"grad = {grad_text}")
        if node.scope:
            tooltip += f" (in {node.scope})"
        if self.anomalies and not math.isfinite(node.data):
            attrs.update(style.ANOMALY)
            if node is self.first_bad:
                attrs.update(style.FIRST_ANOMALY)
                tooltip += "; the first non-finite node"
            made_at = origin(node)
            if made_at:
                tooltip += f"; made at {made_at}"
        return attrs, tooltip

    def op(self, node: Value) -> tuple[dict[str, str], dict[str, str]]:
        """The attributes of the op node that makes ``node``, and of its edge into ``node``."""
        attrs = dict(style.OP)
        colour = self.paths.edge(node, None)
        if colour:
            attrs.update(color=colour, penwidth=style.HIGHLIGHT_WIDTH)
        if node is self.focus:
            attrs.update(style.FOCUS)
        edge = {"color": colour, "penwidth": style.HIGHLIGHT_WIDTH} if colour else {}
        return attrs, edge

    def edge(self, node: Value, parent: Value) -> dict[str, str]:
        """The colour attributes of the edge parent -> op(node)."""
        attrs: dict[str, str] = {}
        colour = self.paths.edge(node, parent)
        if colour:
            attrs.update(color=colour, penwidth=style.HIGHLIGHT_WIDTH, fontcolor=colour)
        if node is self.focus:
            attrs.update(style.FOCUS_EDGE)
        return attrs


def leaf_kinds(drawn: list[Value], params: Iterable[Value] | None) -> dict[Value, str]:
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


class PathColours:
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
