"""Forward mode: push tangents from the inputs to the outputs along the edges backward uses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .graph import topological_order
from .value import Value


def joint_order(outputs: Sequence[Value]) -> list[Value]:
    """Every node some output depends on, each after all of its parents (one walk per output,
    each node kept at its first place)."""
    if len(outputs) == 1:
        return topological_order(outputs[0])
    seen: set[int] = set()
    order = []
    for output in outputs:
        for node in topological_order(output):
            if id(node) not in seen:
                seen.add(id(node))
                order.append(node)
    return order


def push_tangents(order: Sequence[Value], seeds: Mapping[int, float]) -> dict[int, float]:
    """Each node's tangent, d node / d t along a direction given by the seeds.

    ``tangent(node) = sum over parents p of (d node / d p) * tangent(p)``, taken in the order
    of ``order`` so every parent is done before its child. Each term is the op's rule read on
    tangents: the node's backward function (``engine.ops``, as ``backward()`` runs it) with the
    parent's tangent in place of the upstream gradient, which is (d node / d p) * tangent(p),
    the same number on the same edge pushed forward instead of pulled back (``ops.jvp`` term by
    term; relu's rule selects the tangent, so an infinite tangent never meets a 0). A node that
    no seeded node reaches has tangent 0 and is skipped (it costs nothing).

    Args:
        order: a topological order (``topological_order`` or ``joint_order``).
        seeds: ``id(node) -> tangent`` for the inputs (usually leaves) the direction moves.

    Returns:
        ``id(node) -> tangent`` for every seeded node and every node a seeded node reaches.
    """
    tangent = dict(seeds)
    get = tangent.get
    for node in order:
        grad_fn = node._grad_fn
        if grad_fn is None or id(node) in seeds:
            continue
        total = None
        for k, parent in enumerate(node._prev):
            t = get(id(parent))
            if t is not None:
                # The rule with the parent's tangent as upstream: that parent's part of the
                # node's tangent (each part is linear in the upstream gradient).
                part = grad_fn(node, t)[k]
                total = part if total is None else total + part
        if total is not None:
            tangent[id(node)] = total
    return tangent
