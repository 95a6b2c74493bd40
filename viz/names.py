"""Stable node names for drawings: a node's position in the topological order, never its id()."""

from __future__ import annotations

from collections.abc import Sequence

from engine import Value


def node_names(order: Sequence[Value]) -> dict[Value, str]:
    """Name each node ``v<i>`` by its position ``i`` in ``order`` (usually
    ``engine.topological_order(root)``), so one graph always gets the same names.

    Graphviz writes these names into the SVG (``<g class="node"><title>v3</title>``), so a page
    can find a node's drawing by name. The op that made node ``v3`` is drawn as ``v3op``
    (see ``op_node_name``).
    """
    return {node: f"v{i}" for i, node in enumerate(order)}


def op_node_name(value_name: str) -> str:
    """The name of the small op node drawn in front of the value node ``value_name``."""
    return f"{value_name}op"


def describe(node: Value) -> str:
    """A short human name for a node in text: its label, else its op, else ``const <data>``."""
    if node.label:
        return node.label
    if node._op:
        return node._op
    return f"const {node.data:g}"
