"""Node names, all in one place: DOT ids for drawings (``v<i>``), names for text (a label or
``#<i>``) and a short description of one node; positions in the topological order, never id()."""

from __future__ import annotations

from collections import Counter
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


def step_names(order: Sequence[Value]) -> dict[Value, str]:
    """A name per node for text: its label, else ``#<i>`` from its place ``i`` in ``order``.

    ``#7`` is the node a drawing names ``v7`` (``viz.node_names``), and ``#`` keeps it apart from
    labels such as ``v[1]``. A label used by several nodes gets ``#<i>`` appended (``x#3``), so
    that every name in a trace means one node.
    """
    counts = Counter(node.label for node in order if node.label)
    names = {}
    for i, node in enumerate(order):
        if not node.label:
            names[node] = f"#{i}"
        elif counts[node.label] > 1:
            names[node] = f"{node.label}#{i}"
        else:
            names[node] = node.label
    return names
