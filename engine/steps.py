"""Backward one node at a time: ``backward_steps(root)`` and the records of what each step did."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .display import step_html
from .value import Value, prepare_backward


@dataclass(frozen=True, eq=False)
class ParentUpdate:
    """One use of one parent in a step: ``parent.grad += contribution``, for most ops
    ``local * upstream``.

    A parent used twice (``a * a``) gets two updates in the same step, the second starting from
    the grad the first left.

    Attributes:
        parent: the parent Value that was written.
        position: its place in ``node._prev`` (0 for the first argument).
        local: d node / d parent, the op's local derivative.
        contribution: what this use adds to ``parent.grad``: ``local * upstream``, except where
            the op selects the upstream gradient instead (relu passes it or gives 0).
        before: ``parent.grad`` just before the addition.
        after: ``parent.grad`` just after it (``before + contribution``).
    """

    parent: Value
    position: int
    local: float
    contribution: float
    before: float
    after: float


@dataclass(frozen=True, eq=False)
class BackwardStep:
    """What one step of backward did at one node: the chain rule, with every number in it.

    Attributes:
        index: the step's number, 1 for the root's step up to ``total``.
        total: how many steps this backward has (the nodes that have parents).
        node: the node whose gradient was pushed to its parents.
        upstream: ``node.grad`` at that moment, d root / d node (final: every node that uses
            ``node`` was stepped before it).
        updates: one ``ParentUpdate`` per use of each parent, in argument order.
    """

    index: int
    total: int
    node: Value
    upstream: float
    updates: tuple[ParentUpdate, ...]

    def _repr_html_(self) -> str:
        """The step as a table in a notebook cell (``engine.display.step_html``)."""
        return step_html(self)


def backward_steps(root: Value) -> Iterator[BackwardStep]:
    """Run ``root.backward()`` one node at a time, yielding a record after each node.

    The walk is ``backward()``'s own: ``prepare_backward(root)`` orders the graph, clears the inner
    grads and seeds ``root.grad``; then every node that has parents, in reverse topological order,
    has its ``Value._backward()`` called, which adds ``d node / d parent * node.grad`` into each
    parent's ``grad``. Running the generator to the end therefore leaves exactly (bit for bit)
    the gradients of ``root.backward()``. Leaves are not steps.

    Nothing happens until the first ``next()``; each record is yielded after its step was applied,
    so ``.grad`` in the graph always matches the latest record. Stopping early leaves the graph
    part-way through backward.

    Args:
        root: the node to differentiate (usually the loss).

    Yields:
        One ``BackwardStep`` per node that has parents, the root's first.
    """
    if not isinstance(root, Value):
        raise TypeError(
            f"backward_steps() needs a Value root, got {root!r} ({type(root).__name__})"
        )
    order = prepare_backward(root)
    inner = [node for node in reversed(order) if node._grad_fn is not None]
    total = len(inner)
    for index, node in enumerate(inner, start=1):
        upstream = node.grad
        updates = []
        running: dict[int, float] = {}  # a parent used twice (a * a) sees its first update
        # The record asks the op's backward function what _backward will add, and repeats its
        # += in its order, so before/after are exactly the values _backward then produces.
        gains = node._grad_fn(node, upstream)  # type: ignore[misc]
        for position, (parent, local, contribution) in enumerate(
                zip(node._prev, node.local_grads(), gains)):  # noqa: B905
            before = running.get(id(parent), parent.grad)
            after = running[id(parent)] = before + contribution
            updates.append(ParentUpdate(parent, position, local, contribution, before, after))
        node._backward()
        yield BackwardStep(index, total, node, upstream, tuple(updates))
