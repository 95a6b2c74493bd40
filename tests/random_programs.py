"""Random straight-line programs over every op, run alike on Values and on torch tensors.

A program is a list of steps, each an op applied to earlier slots (the inputs fill the first
slots). It is drawn once at a point, with the engine, and a step is kept only where its op is
smooth and tame there: a finite value and local derivatives of at most ``BOUND``, and inputs
at least ``KINK_GAP`` away from where ops bend (0 for relu and abs, the pole of log, clamp's
bounds, a = b for max). The ops are read from the op table (``engine.ops.TABLE``), so a new
op is in every program without a change here. The same program then runs on torch tensors,
which name every op alike (``x.tanh()``, ``x ** y``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from engine import Value, ops

#: The largest value or local derivative a kept step may have.
BOUND = 1e3
#: How far from 0 the input of a unary op must be (kinks of relu and abs, the pole of log).
KINK_GAP = 1e-2

#: Exponents for ``x ** n`` with a number n, whole and fractional, of both signs.
EXPONENTS = (2.0, 3.0, -1.0, 0.5, 1.5, -2.0, 0.0)
#: Other number parameters of an op (clamp's bounds...), drawn from these and sorted.
PARAMS = (-1.5, -0.5, 0.5, 2.0)

Apply = Callable[[Any, Any, tuple[float, ...]], Any]


def _from_table(op: ops.Op) -> Apply:
    """A step applying ``op`` as users write it (``op.spelling``: ``"a + b"``, ``"x.exp()"``),
    which runs alike on Values and tensors: the method names mirror torch's."""
    names = ", ".join((*op.inputs, *op.params))
    spelled = eval(f"lambda {names}: {op.spelling}")  # the table's own text, nothing else
    arity = len(op.inputs)
    return lambda a, b, c: spelled(*(a, b)[:arity], *c)


#: Every op of the table (keyed by its name on nodes, ``"**{n:g}"`` for ``x ** n``), then the
#: one-liners built from them, each as a step: ``a``, ``b`` are earlier slots, ``c`` numbers.
STEPS: dict[str, Apply] = {op.name: _from_table(op) for op in ops.TABLE}
STEPS.update({
    "-": lambda a, b, c: a - b,
    "/": lambda a, b, c: a / b,
    "c-x": lambda a, b, c: c[0] - a,
    "c/x": lambda a, b, c: c[0] / a,
    "c**x": lambda a, b, c: abs(c[0]) ** a,
    "neg": lambda a, b, c: -a,
    "sqrt": lambda a, b, c: a.sqrt(),
})

#: How many number parameters each step takes.
PARAM_COUNT = {op.name: len(op.params) for op in ops.TABLE} | {"c-x": 1, "c/x": 1, "c**x": 1}

#: The steps that read two slots (the others read slot ``a`` alone).
TWO_INPUTS = frozenset({op.name for op in ops.TABLE if len(op.inputs) == 2} | {"-", "/"})

#: Steps whose two inputs are smooth where they meet (``max(a, b)`` has a kink at a = b).
SMOOTH_PAIRS = frozenset({"+", "*", "**", "-", "/"})

#: How ``draw`` ties every slot into the first output: a + c b.
MIX = "mix"
STEPS[MIX] = lambda a, b, c: a + c[0] * b


@dataclass(frozen=True)
class Step:
    """One op on earlier slots ``a`` and ``b`` (``b`` unused by unary ops) with numbers ``c``."""

    op: str
    a: int
    b: int
    c: tuple[float, ...]


@dataclass(frozen=True)
class Program:
    """Steps over ``inputs`` slots; ``outputs`` names the slots the program returns."""

    inputs: int
    steps: tuple[Step, ...]
    outputs: tuple[int, ...]

    def run(self, xs: Sequence[Any]) -> list[Any]:
        """The outputs, computed from ``xs`` (Values or 0-d tensors)."""
        slots = list(xs)
        for step in self.steps:
            slots.append(STEPS[step.op](slots[step.a], slots[step.b], step.c))
        return [slots[i] for i in self.outputs]

    def scalar(self, *xs: Any) -> Any:
        """The first output alone: a function for ``hessian`` and ``grad``."""
        return self.run(xs)[0]


def _tame(node: Value, inputs: Sequence[Value], params: Sequence[float], pair: bool) -> bool:
    """The step that made ``node`` is smooth and bounded at this point (see the module): its
    value and local derivatives are finite and at most ``BOUND``, its inputs ``KINK_GAP`` from
    0 and from its number parameters (clamp's bounds), and, for a ``pair`` step with a kink
    where its inputs meet, the inputs that far apart."""
    if not (math.isfinite(node.data) and abs(node.data) <= BOUND):
        return False
    if any(not (math.isfinite(d) and abs(d) <= BOUND) for d in node.local_grads()):
        return False
    if pair and abs(inputs[0].data - inputs[1].data) < KINK_GAP:
        return False
    return all(abs(x.data - p) >= KINK_GAP for x in inputs for p in (0.0, *params))


def draw(rng: random.Random, point: Sequence[float], size: int, outputs: int = 1,
         kinds: Sequence[str] = tuple(STEPS)) -> Program:
    """A program of up to ``size`` op steps, each kept only where it is tame at ``point``.

    Ops are dealt from a shuffled deck, so ``len(ops)`` steps try every op once. The first
    output is the last slot plus a hundredth of every other slot (no step is dead code); the
    other outputs are the slots just before it.
    """
    slots = [Value(x) for x in point]
    steps: list[Step] = []
    deck: list[str] = []
    for _ in range(size):
        if not deck:
            deck = [kind for kind in kinds if kind != MIX]
            rng.shuffle(deck)
        op = deck.pop()
        a, b = rng.randrange(len(slots)), rng.randrange(len(slots))
        count = PARAM_COUNT.get(op, 0)
        pool = EXPONENTS if op.startswith("**") else PARAMS
        c = tuple(sorted(rng.choice(pool) for _ in range(count)))
        node = STEPS[op](slots[a], slots[b], c)
        two = op in TWO_INPUTS
        used = [slots[a], slots[b]] if two else [slots[a]]
        # A table op's parameters may be where it bends (clamp's bounds); a constant operand
        # of the one-liners (c - x) is not.
        bends = c if op in PARAM_COUNT and op not in ("c-x", "c/x", "c**x") else ()
        if _tame(node, used, bends, two and op not in SMOOTH_PAIRS):
            steps.append(Step(op, a, b, c))
            slots.append(node)
    made = len(slots)
    others = [made - 1 - k for k in range(1, outputs) if made - 1 - k >= 0]
    running = made - 1
    for i in range(made - 1):
        steps.append(Step(MIX, running, i, (0.01,)))
        running = len(point) + len(steps) - 1  # the slot the step just filled
    return Program(len(point), tuple(steps), (running, *others))
