"""What anomaly mode costs while it is off: an A/B of two node makers alike but for its flag.

The engine's node maker reads ``MODE.anomaly`` once per node it makes. To see what that read
costs, the bench times two small makers of its own, written out here line for line as the
engine makes a node: one with the read (and the check it guards), one without. Their difference
is the flag's cost; ``tests/test_bench.py`` checks that both still make the node the engine
makes, slot for slot, so the pair cannot drift from what ships unnoticed.
"""

from __future__ import annotations

import math
import timeit
from collections.abc import Callable
from functools import partial

from engine import Value
from engine.anomaly import check_new_node
from engine.eager import GradFn
from engine.modes import MODE

_new_value = object.__new__
NodeMaker = Callable[..., Value]


def node_with_flag(data: float, parents: tuple[Value, ...], op: str, rule: GradFn) -> Value:
    """A node as the engine makes one while gradients are recorded, anomaly flag read."""
    out: Value = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    mode = MODE
    out.scope = mode.scope
    out._mark = None
    out._prev = parents
    out._op = op
    out._grad_fn = rule
    if mode.anomaly:
        check_new_node(out)
    return out


def node_without_flag(data: float, parents: tuple[Value, ...], op: str, rule: GradFn) -> Value:
    """``node_with_flag`` without its last two lines: the flag is never read."""
    out: Value = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    mode = MODE
    out.scope = mode.scope
    out._mark = None
    out._prev = parents
    out._op = op
    out._grad_fn = rule
    return out


def seconds_per_node(rounds: int = 7, calls: int = 200_000) -> dict[str, float]:
    """The best time per call of each maker, ``{"with": s, "without": s}``, over interleaved
    rounds (the least disturbed measurement of each)."""
    a, b = Value(1.0), Value(2.0)
    rule = (a * b)._grad_fn  # the local-derivative rule of a product, as the engine keeps it
    best = {"with": math.inf, "without": math.inf}
    makers: dict[str, NodeMaker] = {"with": node_with_flag, "without": node_without_flag}
    for _ in range(rounds):
        for name, make in makers.items():
            seconds = timeit.timeit(partial(make, 2.0, (a, b), "*", rule),
                                    number=calls)
            best[name] = min(best[name], seconds / calls)
    return best
