"""Backward that records a graph: gradients as Values, which can be differentiated again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .eager import op_of
from .graph import topological_order
from .modes import MODE, cyclic_gc_paused
from .ops import VALUES, Op, call_grads
from .value import Value

#: How the nodes one backward step makes are scoped: ``∂ tanh [o]`` for the step at the tanh
#: node labelled ``o``, ``∂ * [x1 * w1]`` for an unlabelled product of x1 and w1
#: (``node_name``). ``viz`` draws each scope as a box, so a drawing of a gradient shows which
#: op's rule made each part of it.
STEP_SCOPE = "∂ {op} [{name}]"


def node_name(node: Value) -> str:
    """A short name for a node in a scope: its label, else its op over its parents' labels
    (``x1 * w1``, ``tanh(n)``, ``x**2``, ``… + b``: ``…`` for an unlabelled inner parent, the
    number for a constant)."""
    if node.label:
        return node.label
    parts = [p.label or ("…" if p._prev else f"{p.data:g}") for p in node._prev]
    op = node._op
    if len(parts) == 2:
        return f"{parts[0]} {op} {parts[1]}"
    if op.startswith("**"):
        return f"{parts[0]}{op}"
    return f"{op}({', '.join(parts)})"


def step_scope(node: Value) -> str:
    """The scope of the nodes made while backward passes through ``node`` (see ``STEP_SCOPE``),
    inside the scope ``node`` itself was made in."""
    own = STEP_SCOPE.format(op=node._op, name=node_name(node))
    return f"{node.scope} / {own}" if node.scope else own


def gradient_graph(output: Value, inputs: Sequence[Value]) -> list[Value]:
    """d output / d input for each input, as Values whose graph can be differentiated again.

    The chain rule of ``backward()`` with every number a Value. The output's adjoint
    (d output / d output) is the constant ``Value(1.0)``; then, for each node in reverse
    topological order, its op's rule (``engine.ops``) is read on Values with the node's adjoint
    as the upstream gradient, and what each parent gains is added to that parent's adjoint: the
    same operations, in the same order, that ``backward()`` runs on floats, so the data of the
    results equals the float gradients. Only parents on a path to one of ``inputs`` are
    visited: other parents cannot change the result (torch skips tensors that do not require
    grad in the same way).

    Nothing is written to any ``.grad``, and the new nodes hold no reference back to the
    walk, so dropping the result frees the derivative's graph by reference counting alone.
    Each new node carries the scope of the step that made it (``step_scope``), and adjoints of
    labelled nodes are labelled ``∂<output>/∂<node>`` (``_name_adjoints``).

    Args:
        output: the node to differentiate.
        inputs: the nodes to differentiate with respect to (leaves or inner nodes).

    Returns:
        One Value per input, in order; a constant ``Value(0.0)`` for an input ``output`` does
        not depend on.
    """
    order = topological_order(output)
    # Nodes on a path from an input: only their adjoints can reach an input.
    reaches = {id(item) for item in inputs}
    for node in order:
        for parent in node._prev:
            if id(parent) in reaches:
                reaches.add(id(node))
                break
    top = output.label or "out"
    seed = Value(1.0, label=f"∂{top}/∂{top}")
    seed.scope = output.scope
    adjoint: dict[int, Value] = {id(output): seed}
    previous_scope = MODE.scope
    try:
        with cyclic_gc_paused():  # the walk makes no cycles; see cyclic_gc_paused
            for node in reversed(order):
                if node._grad_fn is None or id(node) not in reaches:
                    continue
                MODE.scope = step_scope(node)
                op, params = _rule_of(node)
                gains = call_grads(op, VALUES, node._prev, node, adjoint[id(node)], params)
                for parent, gained in zip(node._prev, gains):  # noqa: B905 - equal by design
                    if not isinstance(gained, Value):  # a selecting rule's 0.0 (relu)
                        gained = Value(gained)
                    key = id(parent)
                    if key in reaches:
                        before = adjoint.get(key)
                        adjoint[key] = gained if before is None else before + gained
    finally:
        MODE.scope = previous_scope
    _name_adjoints(adjoint, inputs, order, top)
    zero = None
    results = []
    for item in inputs:
        found = adjoint.get(id(item))
        if found is None:
            if zero is None:
                zero = Value(0.0)
            found = zero
        results.append(found)
    return results


def _rule_of(node: Value) -> tuple[Op, tuple[Any, ...]]:
    """The table's op (and number parameters) that made ``node``."""
    found = op_of(node._grad_fn)
    if found is None:
        raise TypeError(
            f"grad(create_graph=True) cannot differentiate through a node made by "
            f"{node._op!r} with data {node.data!r}: its backward function is not an op of "
            "engine.ops (a jitted call's node?), so there is no rule to read on Values"
        )
    return found


def _name_adjoints(adjoint: dict[int, Value], inputs: Sequence[Value], order: Sequence[Value],
                   top: str) -> None:
    """Label the adjoint of each labelled node ``∂<top>/∂<label>``, inputs first.

    An adjoint is always a node the walk made (a rule's product or a sum, or the seed), never
    one of the user's. One adjoint can belong to several nodes, as ``+`` passes its upstream
    gradient to both parents unchanged; it keeps the first name it gets: an input's, else the
    nearest node's to the output.
    """
    for node in [*inputs, *reversed(order)]:
        found = adjoint.get(id(node))
        if found is not None and node.label and not found.label:
            found.label = f"∂{top}/∂{node.label}"
