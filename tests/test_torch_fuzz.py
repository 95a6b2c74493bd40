"""The torch fuzz: random expressions over every op, every value and gradient against torch.

Each example draws a few leaves, a program of steps (each an op applied to earlier nodes or
to plain numbers), and an upstream gradient for the root; inputs, numbers and the upstream
gradient come from ordinary floats and from IEEE's corners (inf, -inf, nan, -0.0, subnormals,
the edges of exp's range). The program runs on Values and on float64 tensors (torch calls the
same names), the root is backpropagated with the upstream gradient, and every node's value and
gradient must agree: nan with nan, inf with inf of the same sign, a zero with a zero of the
same sign, any other number within a few units in the last place.
"""

from __future__ import annotations

import functools
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Value, ops, topological_order

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

INF, NAN = math.inf, math.nan


@dataclass(frozen=True)
class FuzzOp:
    """One op as the fuzz applies it: its spelling, run on Values and on tensors alike."""

    name: str
    inputs: tuple[str, ...]
    params: tuple[str, ...]
    spelling: str

    def apply(self, *args: Any) -> Any:
        """The spelling evaluated with the inputs, then the parameters, bound by name."""
        names = dict(zip(self.inputs + self.params, args, strict=True))
        return eval(_compiled(self.spelling), {}, names)  # our own spellings, no user input


@functools.cache
def _compiled(spelling: str) -> Any:
    return compile(spelling, spelling, "eval")


#: What users write that the table builds from its rows (engine/value.py): the fuzz checks
#: those compositions too, as torch has a kernel of its own for each.
BUILT = (
    FuzzOp("-", ("a", "b"), (), "a - b"),
    FuzzOp("/", ("a", "b"), (), "a / b"),
    FuzzOp("neg", ("x",), (), "-x"),
    *(FuzzOp(name, ("x",), (), f"x.{name}()") for name in ops.COMPOSITES),
)
#: Every row of the op table, read from it: a new op is fuzzed without editing this file.
OPS = (*(FuzzOp(op.name, op.inputs, op.params, op.spelling) for op in ops.TABLE), *BUILT)


#: Corners of float64 that the ops must treat as torch does.
SPECIAL = (0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, INF, -INF, NAN, 5e-324, -5e-324,
           1e-310, -1e-310, 1e-300, 1e300, -1e300, 1.7976931348623157e308, 709.0, 710.0,
           -745.0, -746.0, 40.0, -40.0, 1e-8)
FLOATS = st.one_of(st.sampled_from(SPECIAL), st.floats(-4.0, 4.0, allow_subnormal=False))
#: Exponents as written in programs: integers (odd and even), halves, and the corners.
NUMBERS = st.one_of(FLOATS, st.sampled_from((2.0, 3.0, -1.0, -2.0, 0.5, -0.5, 1.5, 0.0, 4.0)))

#: Agreement for a finite number: C's exp, log, pow and tanh round the last bit on their own
#: way, and the engine and torch group some formulas differently (a / b against a * b^-1):
#: a few ulps, possibly grown by the steps after them.
RTOL = 1e-12
MAX_LEAVES, MAX_STEPS = 3, 7


@dataclass(frozen=True)
class Step:
    op: FuzzOp
    #: Each input: ("node", index of an earlier node) or ("number", the number).
    operands: tuple[tuple[str, float], ...]
    params: tuple[float, ...]


@st.composite
def programs(draw: st.DrawFn) -> tuple[list[float], list[Step], float]:
    """Leaves, steps, and the upstream gradient of the last node (the root)."""
    leaves = draw(st.lists(FLOATS, min_size=1, max_size=MAX_LEAVES))
    steps: list[Step] = []
    for _ in range(draw(st.integers(1, MAX_STEPS))):
        op = draw(st.sampled_from(OPS))
        nodes = len(leaves) + len(steps)
        # Later nodes are likelier operands, so programs grow deep rather than wide.
        later = st.integers(0, 2 * nodes - 1).map(lambda k, n=nodes: n - 1 - k // 2)
        refs = [("node", float(draw(later))) for _ in op.inputs]
        # A plain number may stand for one input of two in an operator (x * 2.0, 2.0 ** x),
        # never for all; methods (a.maximum(b)) take tensors only in torch.
        if len(refs) > 1 and "(" not in op.spelling and draw(st.booleans()):
            refs[draw(st.integers(0, len(refs) - 1))] = ("number", draw(NUMBERS))
        params = tuple(draw(NUMBERS) for _ in op.params)
        steps.append(Step(op, tuple(refs), params))
    upstream = draw(FLOATS)
    return leaves, steps, upstream


def _run(leaves: list[float], steps: list[Step], leaf: Callable[[float], Any]) -> list[Any]:
    nodes = [leaf(x) for x in leaves]
    for step in steps:
        args = [nodes[int(ref)] if kind == "node" else ref for kind, ref in step.operands]
        nodes.append(step.op.apply(*args, *step.params))
    return nodes


def _same(ours: float, theirs: float, scale: float) -> bool:
    """nan with nan, a signed zero or inf with the same, finite numbers within RTOL of their
    size or of the ``scale`` they were computed from."""
    if math.isnan(ours) or math.isnan(theirs):
        return math.isnan(ours) and math.isnan(theirs)
    if ours == theirs:
        return math.copysign(1.0, ours) == math.copysign(1.0, theirs)
    if math.isinf(ours) or math.isinf(theirs):
        return False
    # Below the smallest normal float precision is gone in both: torch's 1 / (1 + e^745)
    # underflows to 0 where the engine's sigmoid(-745) is the true value rounded, 5e-324.
    return abs(ours - theirs) <= max(RTOL * max(abs(theirs), scale), sys.float_info.min)


def _text(leaves: list[float], steps: list[Step], upstream: float) -> str:
    lines = [f"v{i} = {x!r}" for i, x in enumerate(leaves)]
    for k, step in enumerate(steps, start=len(leaves)):
        args = [f"v{int(ref)}" if kind == "node" else repr(ref) for kind, ref in step.operands]
        names = dict(zip(step.op.inputs + step.op.params, [*args, *map(repr, step.params)],
                         strict=True))
        lines.append(f"v{k} = " + re.sub(r"\b\w+\b", lambda w, n=names: n.get(w[0], w[0]),
                                         step.op.spelling))
    lines.append(f"backward from v{len(leaves) + len(steps) - 1} with upstream {upstream!r}")
    return "\n".join(lines)


def _scales(nodes: list[Value], upstream: float) -> tuple[dict[Value, float], dict[Value, float]]:
    """How large the numbers are that each value and each gradient is made of.

    A value v = op(parents) carries the rounding of its parents, scaled by the local
    derivatives, plus its own: M(v) = |v| + sum_i |d v / d parent_i| M(parent_i), with M = 0
    for a leaf or a constant (exact). A gradient is a sum of products along paths:
    G(n) = sum over users u of |d u / d n| G(u), G(root) = |upstream|. Two computations that
    round differently agree to about eps M (or eps G), even where the result cancels to a
    number far below M: d/dv (v / v) is 1/v - v/v^2, a rounding residue of either sign.
    """
    order: list[Value] = []
    seen: set[Value] = set()
    for node in nodes:
        for item in topological_order(node):
            if item not in seen:
                seen.add(item)
                order.append(item)
    magnitude: dict[Value, float] = {}
    for item in order:
        total = abs(item.data) if item._prev else 0.0
        for parent, local in zip(item._prev, item.local_grads(), strict=True):
            if magnitude[parent]:
                total += abs(local) * magnitude[parent]
        magnitude[item] = total
    gradient = dict.fromkeys(order, 0.0)
    gradient[nodes[-1]] = abs(upstream)
    for item in reversed(topological_order(nodes[-1])):
        for parent, local in zip(item._prev, item.local_grads(), strict=True):
            if gradient[item]:
                gradient[parent] += abs(local) * gradient[item]
    return magnitude, gradient


def mismatches(leaves: list[float], steps: list[Step], upstream: float) -> list[str]:
    """Every node whose value or gradient differs from torch's, one line each."""
    ours = _run(leaves, steps, Value)

    def tensor(x: float) -> Any:
        return torch.tensor(x, dtype=torch.float64, requires_grad=True)

    theirs = _run(leaves, steps, tensor)
    for t in theirs[len(leaves):]:
        t.retain_grad()
    (ours[-1] * upstream).backward()  # the root's grad is then upstream, as torch's seed
    theirs[-1].backward(torch.tensor(upstream, dtype=torch.float64))
    magnitude, gradient = _scales(ours, upstream)
    found = []
    for k, (v, t) in enumerate(zip(ours, theirs, strict=True)):
        # Our .grad starts at 0.0 and accumulates; torch's first contribution is assigned, so
        # a sum of -0.0s is -0.0 there and 0.0 + (-0.0) = 0.0 here (docs/numbers.md).
        grad = 0.0 + (0.0 if t.grad is None else t.grad.item())
        if not _same(v.data, t.item(), magnitude[v]):
            found.append(f"v{k} value: ours {v.data!r}, torch {t.item()!r}")
        if not _same(v.grad, grad, gradient.get(v, 0.0)):
            found.append(f"v{k} grad: ours {v.grad!r}, torch {grad!r}")
    return found


#: Examples per run: ~10 s on one core. CI derandomizes them (tests/conftest.py).
EXAMPLES = 1000


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_every_value_and_gradient_matches_torch(program: tuple[list[float], list[Step], float]
                                                ) -> None:
    found = mismatches(*program)
    assert not found, _text(*program) + "\n" + "\n".join(found)


def _program(leaves: list[float], *steps: tuple[str, tuple[Any, ...]]) -> list[Step]:
    """Steps from (spelling or op name, operands): an int is a node, a float a number."""
    by_key = {op.spelling: op for op in OPS} | {op.name: op for op in OPS}
    made = []
    for key, operands in steps:
        op = by_key[key]
        refs = [("node", float(r)) if isinstance(r, int) else ("number", r)
                for r in operands[:len(op.inputs)]]
        made.append(Step(op, tuple(refs), tuple(operands[len(op.inputs):])))
    return made


@pytest.mark.parametrize(
    "leaves,steps",
    [
        # relu's backward selects the upstream gradient: an infinite one above it gives 0.
        ([-1.0], [("x.relu()", (0,)), ("x.sqrt()", (1,))]),
        ([0.0], [("x.relu()", (0,)), ("x.log()", (1,))]),
        ([0.0], [("x.relu()", (0,)), ("a / b", (1.0, 1))]),
        ([-1.0], [("x.relu()", (0,)), ("x ** n", (1, 0.5)), ("a + b", (2, 0))]),
        ([-0.0], [("x.relu()", (0,)), ("a / b", (1.0, 1))]),  # relu(-0.0) is -0.0
        ([1e-310], [("x.log()", (0,)), ("x.exp()", (1,))]),  # log's backward at a subnormal
        ([1e-10, 1e-310], [("a / b", (0, 1))]),  # a quotient whose reciprocal overflows
        ([0.0, -5e-324], [("a / b", (0, 1))]),
        ([-0.0], [("a ** b", (0, 0.5))]),  # C's pow(-0.0, 0.5) is 0.0, as torch's Tensor pow
    ],
)
@pytest.mark.parametrize("upstream", [1.0, INF, NAN, -0.0])
def test_corners_found_by_earlier_fuzz_runs(leaves: list[float], steps: list[Any],
                                            upstream: float) -> None:
    program = (leaves, _program(leaves, *steps), upstream)
    found = mismatches(*program)
    assert not found, _text(*program) + "\n" + "\n".join(found)


class _Differs(FuzzOp):
    """An op whose Value reading is wrong on purpose: 2x on Values, 3x on tensors."""

    def apply(self, *args: Any) -> Any:
        (x,) = args
        return x * (2.0 if isinstance(x, Value) else 3.0)


def test_the_fuzz_sees_a_wrong_value_and_a_wrong_gradient() -> None:
    step = Step(_Differs("differs", ("x",), (), "x * 2"), (("node", 0.0),), ())
    found = mismatches([1.5], [step], 1.0)
    assert found == ["v0 grad: ours 2.0, torch 3.0", "v1 value: ours 3.0, torch 4.5"]
