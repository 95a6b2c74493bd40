"""engine.ops: every primitive op, defined once: its forward, its derivative rule, its names.

Each op is a row of ``TABLE``: an ``Op`` with the op's name on nodes (``node._op``), torch's
name for it, its forward and its rule, and the rule as text for people. The forward and the rule
are small functions written in Python's operators and the helpers of a namespace ``m``
(``engine.symbolic``: ``m.where(cond, a, b)``, ``m.eq(a, b)``, ``m.isnan(x)``, ``m.exp``,
``m.log``, ``m.div``, ``m.power``, ``m.tanh``, ``m.sigmoid``, ``m.sin``, ``m.cos``, ``m.abs``;
``<``, ``<=``, ``>``, ``>=`` compare directly, ``==`` through ``m.eq`` because ``==`` on Values
is the node's identity)::

    forward(m, *inputs, *params) -> out
    grads(m, *inputs, out, g, *params) -> (what parent 0 gains, what parent 1 gains, ...)

``grads`` is the chain rule at the op: given the upstream gradient ``g`` = d root / d out, it
returns d root / d input through this op for each input, in argument order. For most ops that
is (d out / d input) * g, written so; an op whose backward *selects* the upstream gradient
(relu, torch's threshold_backward) says ``m.where(out <= 0.0, 0.0, g)``, and an infinite ``g``
then never meets a 0 to make nan. Every reader of an op reads these two functions, so each op's
knowledge is in one place:

- on floats, ``m = symbolic.FLOATS``: ``call_grads(op, FLOATS, inputs, out, g)`` computes the
  numbers ``backward()`` adds; ``local_grads(op, inputs, out)`` is that with ``g = 1.0``, the
  local derivative of each edge (what drawings print and ``node.local_grads()`` returns).
- as code, ``m = symbolic.SCALAR`` or ``symbolic.BATCH`` with ``Code`` operands: the same
  float operations as Python source. ``engine.eager`` writes each ``Value`` method and each
  node's backward function from it once at import; ``engine.codegen`` writes the jit's scalar
  and NumPy batch programs. Eager, jit and batch therefore compute alike by construction.
- on Values (higher order), ``m = VALUES`` with Value inputs, ``out`` and ``g``: the returned
  Values are the gradient as a graph of its own, which can be differentiated again. The rules'
  comparisons run on Values' data (``<`` etc. compare data; ``m.eq`` and ``m.isnan`` read it).
- on tangents (forward mode), ``m = FLOATS``: ``jvp(op, inputs, out, tangents)`` is
  ``sum_k grads(..., g = tangent_k)[k]``: each input's part of the rule is linear in ``g``, so
  feeding an input's tangent as ``g`` gives that input's share of the output's tangent.

Number parameters (the n of ``x ** n``, clamp's bounds) follow the inputs and stay plain numbers
in every reading, so a rule may branch on them in Python.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .symbolic import FLOATS


@dataclass(frozen=True)
class Op:
    """One primitive op: everything any reader needs to know about it.

    Attributes:
        name: the op as nodes show it (``node._op``): ``"+"``, ``"exp"``; with parameters a
            format of them (``"**{n:g}"`` shows ``x ** 2`` as ``"**2"``).
        torch: torch's name for the op (``torch.add``, ``Tensor.exp``).
        inputs: the names of the op's Value inputs, in argument order.
        params: the names of its number parameters (``("n",)`` for ``x ** n``).
        forward: ``forward(m, *inputs, *params)``, the op's value.
        grads: ``grads(m, *inputs, out, g, *params)``, what each input's gradient gains.
        text: the rule for people, as the flipbook prints it (the parameters' values follow).
        spelling: how a user writes it on Values (``"a + b"``, ``"x.exp()"``).
    """

    name: str
    torch: str
    inputs: tuple[str, ...]
    params: tuple[str, ...]
    forward: Callable[..., Any]
    grads: Callable[..., tuple[Any, ...]]
    text: str
    spelling: str


# --- the rules ---------------------------------------------------------------------------------
# Each pair is (forward, grads). The order of operations is the float arithmetic every reader
# reproduces, so a rule fixes how the result rounds: (1 - t)(1 + t) below is not 1 - t*t.


def _add(m: Any, a: Any, b: Any) -> Any:
    return a + b


def _add_grads(m: Any, a: Any, b: Any, out: Any, g: Any) -> tuple[Any, ...]:
    """d(a + b)/da = 1, d(a + b)/db = 1: the upstream gradient passes to both."""
    return (g, g)


def _mul(m: Any, a: Any, b: Any) -> Any:
    return a * b


def _mul_grads(m: Any, a: Any, b: Any, out: Any, g: Any) -> tuple[Any, ...]:
    """d(ab)/da = b, d(ab)/db = a."""
    return (b * g, a * g)


def _div(m: Any, a: Any, b: Any) -> Any:
    return m.div(a, b)


def _div_grads(m: Any, a: Any, b: Any, out: Any, g: Any) -> tuple[Any, ...]:
    """d(a/b)/da = 1/b, d(a/b)/db = -a/b^2, computed as torch does, g / b and -g ((a/b) / b):
    1/b and b^2 overflow first for a tiny b (a * b^-1 made 1e-10 / 1e-310 inf, not 1e300)."""
    return (m.div(g, b), -g * m.div(out, b))


def _pow(m: Any, a: Any, b: Any) -> Any:
    return m.power(a, b)


def _pow_grads(m: Any, a: Any, b: Any, out: Any, g: Any) -> tuple[Any, ...]:
    """d(a^b)/da = b a^(b-1) (0 when b = 0), d(a^b)/db = a^b ln a (0 when a = 0 and b >= 0):
    the values torch uses at those points."""
    # As torch: the base's 0 at b = 0 is selected (it stays 0 for a nan or inf upstream
    # gradient); the exponent's 0 at a = 0 is multiplied by the upstream gradient.
    d_base = m.where(m.eq(b, 0.0), 0.0, b * m.power(a, b - 1.0) * g)
    d_exponent = m.where(m.eq(a, 0.0) & (b >= 0.0), 0.0, out * m.log(a))
    return (d_base, d_exponent * g)


def _pow_number(m: Any, x: Any, n: float) -> Any:
    return m.power(x, n)


def _pow_number_grads(m: Any, x: Any, out: Any, g: Any, n: float) -> tuple[Any, ...]:
    """d(x^n)/dx = n x^(n-1), 0 when n = 0 (as torch)."""
    return (m.where(n == 0.0, 0.0, n * m.power(x, n - 1.0) * g),)  # selected, as torch's


def _exp(m: Any, x: Any) -> Any:
    return m.exp(x)


def _exp_grads(m: Any, x: Any, out: Any, g: Any) -> tuple[Any, ...]:
    """d(e^x)/dx = e^x, read from the output."""
    return (out * g,)


def _log(m: Any, x: Any) -> Any:
    return m.log(x)


def _log_grads(m: Any, x: Any, out: Any, g: Any) -> tuple[Any, ...]:
    """d(ln x)/dx = 1/x, applied as torch does, upstream / x: exp(log(1e-310)) has gradient 1,
    where (1 / x) * upstream would overflow to inf first."""
    return (m.div(g, x),)


def _tanh(m: Any, x: Any) -> Any:
    return m.tanh(x)


def _tanh_grads(m: Any, x: Any, out: Any, g: Any) -> tuple[Any, ...]:
    """d(tanh x)/dx = 1 - tanh(x)^2, read from the output; factored so it rounds like torch's
    fused 1 - t*t, not twice as the plain form would."""
    return ((1.0 - out) * (1.0 + out) * g,)


def _sigmoid(m: Any, x: Any) -> Any:
    return m.sigmoid(x)


def _sigmoid_grads(m: Any, x: Any, out: Any, g: Any) -> tuple[Any, ...]:
    """d s(x)/dx = s(x) (1 - s(x)), read from the output."""
    return (out * (1.0 - out) * g,)


def _relu(m: Any, x: Any) -> Any:
    return m.where(x < 0.0, 0.0, x)  # relu(-0.0) is -0.0 and relu(nan) is nan, as torch


def _relu_grads(m: Any, x: Any, out: Any, g: Any) -> tuple[Any, ...]:
    """d relu(x)/dx = 1 for x > 0, else 0 (relu'(0) = 0 and nan passes, as torch). The upstream
    gradient is selected, not multiplied (torch's threshold_backward): an infinite upstream
    gradient below 0 gives 0, never 0 * inf = nan."""
    return (m.where(out <= 0.0, 0.0, g),)


def _maximum(m: Any, a: Any, b: Any) -> Any:
    return m.where((a < b) | m.isnan(b), b, a)  # nan if either is; a tie gives a, as torch


def _maximum_grads(m: Any, a: Any, b: Any, out: Any, g: Any) -> tuple[Any, ...]:
    """d max(a, b)/da = 1 if a > b, 1/2 if a = b (torch splits a tie), else 0; likewise for b.
    Selected, as relu's: the losing side gets 0, whatever the upstream gradient."""
    tie = m.where(m.eq(a, b), g / 2.0, g)
    return (m.where(a < b, 0.0, tie), m.where(a > b, 0.0, tie))


def _minimum(m: Any, a: Any, b: Any) -> Any:
    return m.where((b < a) | m.isnan(b), b, a)


def _minimum_grads(m: Any, a: Any, b: Any, out: Any, g: Any) -> tuple[Any, ...]:
    """d min(a, b)/da = 1 if a < b, 1/2 if a = b, else 0; likewise for b (selected)."""
    tie = m.where(m.eq(a, b), g / 2.0, g)
    return (m.where(a > b, 0.0, tie), m.where(a < b, 0.0, tie))


def _clamp(m: Any, x: Any, low: Any, high: Any) -> Any:
    # min(max(x, low), high), as torch: with low > high every x gives high; nan stays nan,
    # and a nan bound makes every result nan (torch's clamp propagates it).
    clamped = m.where(x > high, high, m.where(x < low, m.where(low > high, high, low), x))
    return m.where(m.isnan(low) | m.isnan(high), math.nan, clamped)


def _clamp_grads(m: Any, x: Any, out: Any, g: Any, low: Any, high: Any) -> tuple[Any, ...]:
    """d clamp(x)/dx = 1 for low <= x <= high (the bounds included, as torch), else 0
    (selected); a missing bound is an infinite one."""
    return (m.where((x >= low) & (x <= high), g, 0.0),)


def _sin(m: Any, x: Any) -> Any:
    return m.sin(x)


def _sin_grads(m: Any, x: Any, out: Any, g: Any) -> tuple[Any, ...]:
    """d(sin x)/dx = cos x."""
    return (m.cos(x) * g,)


def _cos(m: Any, x: Any) -> Any:
    return m.cos(x)


def _cos_grads(m: Any, x: Any, out: Any, g: Any) -> tuple[Any, ...]:
    """d(cos x)/dx = -sin x."""
    return (-m.sin(x) * g,)


def _abs(m: Any, x: Any) -> Any:
    return m.abs(x)


def _abs_grads(m: Any, x: Any, out: Any, g: Any) -> tuple[Any, ...]:
    """d|x|/dx = sign(x): 1 above 0, -1 below, and 0 at 0 and at nan (torch's sgn)."""
    return (m.where(x > 0.0, 1.0, m.where(x < 0.0, -1.0, 0.0)) * g,)


ADD = Op("+", "add", ("a", "b"), (), _add, _add_grads,
         "d(a + b)/da = 1 and d(a + b)/db = 1", "a + b")
MUL = Op("*", "mul", ("a", "b"), (), _mul, _mul_grads,
         "d(a b)/da = b and d(a b)/db = a", "a * b")
DIV = Op("/", "div", ("a", "b"), (), _div, _div_grads,
         "d(a / b)/da = 1/b and d(a / b)/db = -a/b^2", "a / b")
POW = Op("**", "pow", ("a", "b"), (), _pow, _pow_grads,
         "d(a^b)/da = b a^(b-1) and d(a^b)/db = a^b ln a", "a ** b")
POW_NUMBER = Op("**{n:g}", "pow", ("x",), ("n",), _pow_number, _pow_number_grads,
                "d(x^n)/dx = n x^(n-1)", "x ** n")
EXP = Op("exp", "exp", ("x",), (), _exp, _exp_grads, "d(e^x)/dx = e^x", "x.exp()")
LOG = Op("log", "log", ("x",), (), _log, _log_grads, "d(ln x)/dx = 1/x", "x.log()")
TANH = Op("tanh", "tanh", ("x",), (), _tanh, _tanh_grads,
          "d(tanh x)/dx = 1 - tanh(x)^2", "x.tanh()")
SIGMOID = Op("sigmoid", "sigmoid", ("x",), (), _sigmoid, _sigmoid_grads,
             "d(s(x))/dx = s(x) (1 - s(x))", "x.sigmoid()")
RELU = Op("relu", "relu", ("x",), (), _relu, _relu_grads,
          "d(relu x)/dx = 1 if x > 0, else 0", "x.relu()")
SIN = Op("sin", "sin", ("x",), (), _sin, _sin_grads, "d(sin x)/dx = cos x", "x.sin()")
COS = Op("cos", "cos", ("x",), (), _cos, _cos_grads, "d(cos x)/dx = -sin x", "x.cos()")
ABS = Op("abs", "abs", ("x",), (), _abs, _abs_grads,
         "d abs(x)/dx = sign(x), and 0 at x = 0", "x.abs()")
MAXIMUM = Op("maximum", "maximum", ("a", "b"), (), _maximum, _maximum_grads,
             "d max(a, b)/da = 1 if a > b, 1/2 if a = b, else 0 (likewise for b)",
             "a.maximum(b)")
MINIMUM = Op("minimum", "minimum", ("a", "b"), (), _minimum, _minimum_grads,
             "d min(a, b)/da = 1 if a < b, 1/2 if a = b, else 0 (likewise for b)",
             "a.minimum(b)")
CLAMP = Op("clamp", "clamp", ("x",), ("min", "max"), _clamp, _clamp_grads,
           "d clamp(x, min, max)/dx = 1 if min <= x <= max, else 0", "x.clamp(min, max)")

#: Every primitive op. Everything else (``-``, ``sqrt``, ...) is built from these; ``/`` is a
#: row of its own (not a * b^-1) so that its value and gradient round and overflow as torch's.
TABLE: tuple[Op, ...] = (
    ADD, MUL, DIV, POW, POW_NUMBER, EXP, LOG, TANH, SIGMOID, RELU, SIN, COS, ABS, MAXIMUM, MINIMUM,
    CLAMP,
)

#: Functions of one Value that are built from the primitives: name -> what it computes.
COMPOSITES: dict[str, str] = {"sqrt": "x ** 0.5", "neg": "x * -1.0"}

#: The torch-named functions of one Value argument (``x.exp()``, ``exp(x)`` in ``viz.expr``).
FUNCTIONS: tuple[str, ...] = (
    *(op.torch for op in TABLE if len(op.inputs) == 1 and not op.params), "sqrt")


# --- reading a rule ----------------------------------------------------------------------------


def call_forward(op: Op, m: Any, inputs: Sequence[Any], params: Sequence[Any] = ()) -> Any:
    """``op``'s value on ``inputs`` in namespace ``m``."""
    return op.forward(m, *inputs, *params)


def call_grads(op: Op, m: Any, inputs: Sequence[Any], out: Any, g: Any,
               params: Sequence[Any] = ()) -> tuple[Any, ...]:
    """What each input's gradient gains from upstream gradient ``g``, in namespace ``m``."""
    return op.grads(m, *inputs, out, g, *params)


def local_grads(op: Op, inputs: Sequence[float], out: float,
                params: Sequence[float] = ()) -> tuple[float, ...]:
    """d out / d input for each input, on floats: the rule with an upstream gradient of 1."""
    return op.grads(FLOATS, *inputs, out, 1.0, *params)


def jvp(op: Op, inputs: Sequence[float], out: float, tangents: Sequence[float],
        params: Sequence[float] = ()) -> float:
    """Forward mode: the output's tangent, sum over inputs of d out / d input * tangent."""
    total = 0.0
    for k, tangent in enumerate(tangents):
        total = total + op.grads(FLOATS, *inputs, out, tangent, *params)[k]
    return total


def display(op: Op, params: Sequence[Any] = ()) -> str:
    """The op as a node shows it (``"**2"`` for ``x ** 2``)."""
    if not op.params:
        return op.name
    return op.name.format(**dict(zip(op.params, params, strict=True)))


def _patterns() -> list[tuple[re.Pattern[str], Op]]:
    found = []
    for op in TABLE:
        pattern = re.escape(op.name)
        for param in op.params:
            pattern = re.sub(r"\\\{" + param + r"[^}]*\\\}", f"(?P<{param}>.+)", pattern)
        found.append((re.compile(pattern + r"\Z"), op))
    return found


_BY_DISPLAY = _patterns()


def rule_text(shown: str) -> str:
    """The rule, for people, of the op a node shows as ``shown`` (``""`` when none has it)."""
    for pattern, op in _BY_DISPLAY:
        match = pattern.match(shown)
        if match:
            given = " and ".join(f"{name} = {value}" for name, value in match.groupdict().items())
            return f"{op.text}, here {given}" if given else op.text
    return ""


class ValueMath:
    """The helpers on Values, for reading a rule as a graph (higher-order derivatives).

    ``where`` takes a bool (the comparison of Values' data) and returns one side; the others
    are the Value methods, so the result is a Value built from the primitives.
    """

    @staticmethod
    def where(cond: object, a: Any, b: Any) -> Any:
        return a if cond else b

    @staticmethod
    def eq(a: Any, b: Any) -> bool:  # Value == is the node's identity: compare the data
        return _data(a) == _data(b)

    @staticmethod
    def isnan(x: Any) -> bool:
        return _data(x) != _data(x)

    @staticmethod
    def exp(x: Any) -> Any:
        return x.exp()

    @staticmethod
    def log(x: Any) -> Any:
        return x.log()

    @staticmethod
    def div(a: Any, b: Any) -> Any:
        return a / b

    @staticmethod
    def power(x: Any, n: Any) -> Any:
        return x**n

    @staticmethod
    def tanh(x: Any) -> Any:
        return x.tanh()

    @staticmethod
    def sigmoid(x: Any) -> Any:
        return x.sigmoid()

    @staticmethod
    def sin(x: Any) -> Any:
        return x.sin()

    @staticmethod
    def cos(x: Any) -> Any:
        return x.cos()

    @staticmethod
    def abs(x: Any) -> Any:
        return x.abs()


def _data(x: Any) -> float:
    return x.data if hasattr(x, "data") else x


VALUES = ValueMath()
