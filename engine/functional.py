"""Gradients as a function: d output / d inputs without touching anyone's ``.grad``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from .graph import topological_order
from .value import Value


@contextmanager
def fresh_grads(output: Value) -> Iterator[list[Value]]:
    """Inside the block every ``.grad`` in the graph of ``output`` starts at 0.0; after it, each
    holds what it held before (also when the block raises).

    Yields:
        ``topological_order(output)``: the nodes whose grads were set aside.
    """
    order = topological_order(output)
    saved = [node.grad for node in order]
    try:
        for node in order:
            node.grad = 0.0
        yield order
    finally:
        for node, before in zip(order, saved, strict=True):
            node.grad = before


def grad(output: Value, inputs: Sequence[Value]) -> list[float]:
    """d output / d input for each input, as ``torch.autograd.grad`` does for scalars.

    Every ``.grad`` in the graph is left as it was. An input that ``output`` does not depend on
    gets 0.0.

    Args:
        output: the node to differentiate.
        inputs: the nodes to differentiate with respect to.

    Returns:
        One float per input, in order.
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad() needs a Value output, got {output!r} ({type(output).__name__})")
    for item in inputs:
        if not isinstance(item, Value):
            raise TypeError(f"grad() inputs must be Values, got {item!r} ({type(item).__name__})")
    with fresh_grads(output) as order:
        in_graph = set(order)
        output.backward()
        return [item.grad if item in in_graph else 0.0 for item in inputs]
