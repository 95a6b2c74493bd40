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
    order: list[Value] = []
    append = order.append
    # absent: not reached yet; False: its parents are being placed; True: in ``order``.
    placed: dict[Value, bool] = {}
    if not root._prev:
        return [root]
    stack = [root]
    push = stack.append
    while stack:
        node = stack[-1]
        state = placed.get(node)
        if state is None:
            placed[node] = False
            for parent in node._prev:
                if parent not in placed:
                    if parent._prev:
                        push(parent)
                    else:
                        # A leaf has no parents to wait for: place it at once.
                        placed[parent] = True
                        append(parent)
            continue
        stack.pop()
        if state is False:
            # Every parent was placed before or sat above node on the stack, so all are placed.
            placed[node] = True
            append(node)
    return order
