"""Graph walks over Values: the topological order that backward, drawing and stepping share."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .value import Value


def topological_order(root: Value) -> list[Value]:
    """Every node that ``root`` depends on, each listed after all of its parents; ``root`` last.

    A depth-first walk with an explicit stack, never recursion, so a graph millions of nodes deep
    works at Python's default recursion limit. The walk is deterministic (parents are taken in
    argument order), so the same graph always gives the same order; drawings number nodes by it.

    Args:
        root: the node to start from (usually the loss).

    Returns:
        The nodes, leaves first; reverse it to run the chain rule.
    """
    return walk(root, clear_inner_grads=False)


def walk(root: Value, clear_inner_grads: bool) -> list[Value]:
    """The topological order of ``topological_order``; with ``clear_inner_grads`` it also sets
    every inner node's grad to 0.0 as it places the node (backward's preparation, in the same
    pass).

    Each node carries a ``_mark`` slot that the walk sets to one of two tokens made for this
    walk alone: reading a slot is cheaper than a dict of millions of nodes, and no state
    outlives the call. Two threads must not walk one graph at the same time.
    """
    entered, placed = object(), object()
    if not root._prev:
        return [root]
    order: list[Value] = []
    append = order.append
    stack = [root]
    push, pop = stack.append, stack.pop
    while stack:
        node = stack[-1]
        mark = node._mark
        if mark is not entered and mark is not placed:
            node._mark = entered
            for parent in node._prev:
                seen = parent._mark
                if seen is not entered and seen is not placed:
                    if parent._prev:
                        push(parent)
                    else:
                        # A leaf has no parents to wait for: place it at once.
                        parent._mark = placed
                        append(parent)
            continue
        pop()
        if mark is entered:
            # Every parent was placed before, or sat above node on the stack: all are placed.
            node._mark = placed
            if clear_inner_grads:
                node.grad = 0.0
            append(node)
    return order
