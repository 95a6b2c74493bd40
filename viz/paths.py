"""Chain-rule paths: every route from the root down to one node, with its local derivatives."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from engine import Value, topological_order
from engine.functional import grad

from .format import compact
from .names import describe

#: How many paths ``chain_rule_paths`` lists by default; the count and the sum cover all of them.
DEFAULT_LIMIT = 1000


@dataclass(frozen=True)
class ChainPath:
    """One route from the root down to the target, one edge per step.

    Attributes:
        nodes: the nodes along the route, root first, target last.
        slots: for each step, which parent of ``nodes[k]`` the route takes (``a * a`` has two).
        factors: for each step, the local derivative d nodes[k] / d nodes[k+1] on that edge.
    """

    nodes: tuple[Value, ...]
    slots: tuple[int, ...]
    factors: tuple[float, ...]

    @property
    def value(self) -> float:
        """The product of the local derivatives along the route (1.0 for the empty route)."""
        return math.prod(self.factors, start=1.0)

    def text(self, digits: int = 4, names: Mapping[Value, str] | None = None) -> str:
        """``"o ← tanh ← + ← a:  0.5 × 1 × -3 = -1.5"``, numbers in ``digits`` digits, nodes
        by ``names`` (``viz.names.text_names``) or else ``describe``."""
        named = names or {}
        shown = [named.get(node) or describe(node) for node in self.nodes]
        for k, (child, slot) in enumerate(zip(self.nodes, self.slots, strict=False)):
            if child._prev.count(child._prev[slot]) > 1:
                # The same parent used twice (a * a): say which use this route takes.
                shown[k + 1] += f" (arg {slot + 1})"
        route = " ← ".join(shown)
        if not self.factors:
            return f"{route}:  1 (the node itself)"
        product = " × ".join(compact(f, digits) for f in self.factors)
        return f"{route}:  {product} = {compact(self.value, digits)}"


@dataclass(frozen=True)
class ChainRulePaths:
    """The chain rule written out for d root / d target: the sum over routes of their products.

    Attributes:
        root: the node differentiated (usually the loss).
        target: the node differentiated with respect to.
        paths: the routes listed, at most the ``limit`` given, in a fixed order.
        count: how many routes there are in all (counted, never enumerated).
        total: the sum over all routes, computed by one backward sweep; equals ``target.grad``
            after ``root.backward()`` when ``target`` started from a zero grad.
    """

    root: Value
    target: Value
    paths: tuple[ChainPath, ...]
    count: int
    total: float

    @property
    def truncated(self) -> bool:
        """True when more routes exist than are listed."""
        return len(self.paths) < self.count

    @property
    def listed_sum(self) -> float:
        """The sum of the listed routes' products; ``total`` when nothing was left out."""
        return math.fsum(path.value for path in self.paths)

    def lines(self, digits: int = 4, names: Mapping[Value, str] | None = None) -> list[str]:
        """The paths as text lines: a heading, one line per route, then their sum; nodes by
        ``names`` (``viz.names.text_names``) or else ``describe``."""
        named = names or {}
        top = named.get(self.root) or describe(self.root)
        bottom = named.get(self.target) or describe(self.target)
        noun = "path" if self.count == 1 else "paths"
        lines = [f"∂{top}/∂{bottom} = sum over {self.count} {noun} of the product of "
                 "local derivatives"]
        lines += [f"  {path.text(digits, names)}" for path in self.paths]
        if self.truncated:
            lines.append(f"  ... {self.count - len(self.paths)} more paths not listed")
        lines.append(f"  sum = {compact(self.total, digits)}")
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())


def path_counts(order: list[Value], target: Value) -> dict[Value, int]:
    """For each node in ``order``, how many routes lead from it down to ``target``.

    Dynamic programming over the topological order: ``count(target) = 1`` and ``count(n)`` is the
    sum of its parents' counts (a parent used twice counts twice). Linear in the graph's size even
    when the number of routes is exponential.
    """
    counts: dict[Value, int] = {}
    for node in order:
        if node is target:
            counts[node] = 1
        else:
            counts[node] = sum(counts[parent] for parent in node._prev)
    return counts


def chain_rule_paths(root: Value, target: Value, limit: int = DEFAULT_LIMIT) -> ChainRulePaths:
    """Every route from ``root`` down to ``target`` through the graph, as products of local
    derivatives: d root / d target = Σ over routes Π over edges (d child / d parent).

    Args:
        root: the node differentiated (the loss).
        target: a node ``root`` depends on (usually a parameter).
        limit: list at most this many routes (in argument order, depth first); ``count`` and
            ``total`` always cover all of them.

    Returns:
        A ``ChainRulePaths``; ``str()`` of it is the chain rule written out.

    Raises:
        TypeError: ``root`` or ``target`` is not a Value.
        ValueError: ``target`` is not in the graph of ``root``, or ``limit`` is negative.
    """
    for name, node in (("root", root), ("target", target)):
        if not isinstance(node, Value):
            raise TypeError(f"chain_rule_paths needs a Value as {name}, got {node!r}")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"limit must be an int >= 0, got {limit!r}")
    order = topological_order(root)
    counts = path_counts(order, target)
    if counts.get(target, 0) == 0:
        raise ValueError(
            f"{describe(target)!r} ({target!r}) is not in the graph of {describe(root)!r}"
        )
    paths: list[ChainPath] = []
    # Depth-first with an explicit stack of (node, next parent slot); only parents with a route
    # to the target are entered, so every descent ends at the target and no work is wasted.
    nodes: list[Value] = [root]
    slots: list[int] = []
    factors: list[float] = []
    stack: list[tuple[Value, int]] = [(root, 0)]
    while stack and len(paths) < limit:
        node, slot = stack.pop()
        if node is target:
            paths.append(ChainPath(tuple(nodes), tuple(slots), tuple(factors)))
            _retreat(nodes, slots, factors)
            continue
        parents = node._prev
        while slot < len(parents) and counts[parents[slot]] == 0:
            slot += 1
        if slot == len(parents):
            _retreat(nodes, slots, factors)
            continue
        stack.append((node, slot + 1))
        parent = parents[slot]
        nodes.append(parent)
        slots.append(slot)
        factors.append(node.local_grads()[slot])
        stack.append((parent, 0))
    total = grad(root, [target])[0]  # one backward sweep; every .grad is left as it was
    return ChainRulePaths(root, target, tuple(paths), counts[root], total)


def _retreat(nodes: list[Value], slots: list[int], factors: list[float]) -> None:
    """Step back up one edge of the route being built (nothing to undo at the root)."""
    nodes.pop()
    if slots:
        slots.pop()
        factors.pop()
