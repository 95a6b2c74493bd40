"""Node names, all in one place: DOT ids for drawings (``v<i>``), names for text (a label, a
scope and op such as ``Neuron 1.3 · tanh``, or ``#<i>``), a short description of one node, and
the leaves in reading order. Positions in the topological order, never id()."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from engine import Value

from .scopes import leaf_name


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


def in_edge_id(value_name: str, slot: int) -> str:
    """The SVG id of the edge from argument ``slot`` of node ``value_name`` into its op."""
    return f"{value_name}-in{slot}"


#: The name of an unlabelled root in text: d f / d x.
ROOT_NAME = "f"

#: Between a node's scope and its op in a name: ``Neuron 1.3 · tanh``.
SCOPE_MARK = " · "

#: How an op reads in a name: a running sum is a Σ (``Neuron 1.3 · Σ``).
_OP_WORDS = {"+": "Σ"}


def describe(node: Value) -> str:
    """A short human name for a node in text, without the rest of its graph: its label, else
    its innermost scope and op (``Neuron 1.3 · tanh``), else its op, else ``const <data>``."""
    if node.label:
        return node.label
    if node._op:
        word = _OP_WORDS.get(node._op, node._op)
        return f"{leaf_name(node.scope)}{SCOPE_MARK}{word}" if node.scope else node._op
    return f"const {node.data:g}"


def text_names(order: Sequence[Value]) -> dict[Value, str]:
    """A name per node for text (traces, the flipbook, captions), each naming one node.

    A labelled node is its label; an unlabelled node made inside a scope is named from the
    scope and its op, ``Neuron 1.3 · tanh``; several such in one scope are numbered from 0 in
    reading order (``Neuron 1.3 · *0``, ``· *1``: the products with ``w1.3.0`` and ``w1.3.1``),
    except that the last of a run of sums, the neuron's whole sum, is plainly
    ``Neuron 1.3 · Σ`` (``Σ0``, ``Σ1`` before it are partial sums). A constant is
    ``const <value>``, an unlabelled root ``f``. Other nodes are ``#<i>``, from their place
    ``i`` in ``order`` (``#7`` is the node a drawing names ``v7``, see ``node_names``). A name
    that would still mean two nodes gets ``#<i>`` appended (``x#3``).
    """
    labels = {node.label for node in order}
    base = {}
    for i, node in enumerate(order):
        if node.label:
            base[node] = node.label
        elif node._prev and node.scope:
            base[node] = describe(node)
        elif not node._prev:
            base[node] = describe(node)  # const -1
        elif i == len(order) - 1 and ROOT_NAME not in labels:
            base[node] = ROOT_NAME
        else:
            base[node] = f"#{i}"
    groups: dict[str, list[Value]] = {}
    reading = reading_order(order[-1]) if order else {}
    for node in sorted(order, key=lambda n: reading.get(n, -1)):
        if not node.label and node._prev and node.scope:
            groups.setdefault(base[node], []).append(node)
    for name, members in groups.items():
        if len(members) == 1:
            continue
        summing = members[0]._op == "+"
        for k, node in enumerate(members):
            if not (summing and k == len(members) - 1):
                base[node] = f"{name}{k}"
    counts = Counter(base.values())
    return {node: f"{base[node]}#{i}" if counts[base[node]] > 1 and not base[node].startswith("#")
            else base[node] for i, node in enumerate(order)}


def short_name(name: str) -> str:
    """A text name without its scope (``Neuron 1.3 · Σ`` -> ``Σ``), for a drawing that shows
    the scope as the box around the node."""
    return name.rpartition(SCOPE_MARK)[2]


def reading_leaves(root: Value, order: Sequence[Value]) -> list[Value]:
    """The leaves in the order a reader looks for them: labelled leaves outside any scope (the
    inputs) in reading order, then leaves made in a scope (parameters, by layer, neuron and
    place: ``Layer 1 / Neuron 1.2`` before ``Layer 1 / Neuron 1.10``), then the constants.

    Args:
        root: the graph's output.
        order: its nodes (``engine.topological_order(root)``).
    """
    reading = reading_order(root)
    leaves = [node for node in order if not node._prev]

    def key(node: Value) -> tuple[int, list[tuple[int, int | str]], int]:
        group = 2 if not node.label else (1 if node.scope else 0)
        return group, _natural(node.scope), reading[node]

    return sorted(leaves, key=key)


def _natural(text: str) -> list[tuple[int, int | str]]:
    """A sort key that orders the numbers in ``text`` by value (``Neuron 1.2`` < ``1.10``)."""
    return [(1, int(part)) if part.isdigit() else (0, part)
            for part in re.split(r"(\d+)", text) if part]


def reading_order(root: Value) -> dict[Value, int]:
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
