"""Every op of Value and its derivative, against torch in float64 and against hand formulas."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value
from engine.numeric import close
from tests.support import neuron

torch = pytest.importorskip("torch")

RTOL = 1e-12


@dataclass(frozen=True)
class Op:
    """One row of the op table: a function that runs on Values and on tensors alike."""

    name: str
    fn: Callable[..., object]
    domains: tuple[st.SearchStrategy[float], ...]


def real(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo: float, hi: float, gap: float) -> st.SearchStrategy[float]:
    """Floats in [lo, hi] with |x| >= gap: keeps inputs off kinks and poles."""
    return real(lo, hi).filter(lambda x: abs(x) >= gap)


ANY = real(-100.0, 100.0)
POSITIVE = real(0.05, 50.0)

OPS = [
    Op("add", lambda a, b: a + b, (ANY, ANY)),
    Op("add_number", lambda a: a + 2.5, (ANY,)),
    Op("radd_number", lambda a: 2.5 + a, (ANY,)),
    Op("sub", lambda a, b: a - b, (ANY, ANY)),
    Op("sub_number", lambda a: a - 4, (ANY,)),
    Op("rsub_number", lambda a: 4 - a, (ANY,)),
    Op("mul", lambda a, b: a * b, (ANY, ANY)),
    Op("mul_number", lambda a: a * -3, (ANY,)),
    Op("rmul_number", lambda a: -3 * a, (ANY,)),
    Op("neg", lambda a: -a, (ANY,)),
    Op("div", lambda a, b: a / b, (ANY, away_from_zero(-100.0, 100.0, 0.1))),
    Op("div_number", lambda a: a / 7, (ANY,)),
    Op("rdiv_number", lambda a: 7 / a, (away_from_zero(-100.0, 100.0, 0.1),)),
    Op("pow_2", lambda a: a**2, (ANY,)),
    Op("pow_3", lambda a: a**3, (real(-20.0, 20.0),)),
    Op("pow_half", lambda a: a**0.5, (POSITIVE,)),
    Op("pow_minus_one", lambda a: a**-1, (away_from_zero(-100.0, 100.0, 0.1),)),
    Op("pow_minus_2.5", lambda a: a**-2.5, (POSITIVE,)),
    Op("pow_zero", lambda a: a**0, (ANY,)),
    Op("pow_method", lambda a: a.pow(3), (real(-20.0, 20.0),)),
    Op("sqrt", lambda a: a.sqrt(), (POSITIVE,)),
    Op("pow_value", lambda a, b: a**b, (POSITIVE, real(-3.0, 3.0))),
    Op("rpow_number", lambda a: 2.0**a, (real(-50.0, 50.0),)),
    Op("exp", lambda a: a.exp(), (real(-50.0, 50.0),)),
    Op("log", lambda a: a.log(), (real(0.01, 100.0),)),
    # Past |x| ~ 3, 1 - tanh(x)^2 is ill-conditioned: one ulp of difference between two libms'
    # tanh moves it by more than 1e-12, so the tails are checked against mpmath below instead.
    Op("tanh", lambda a: a.tanh(), (real(-3.0, 3.0),)),
    Op("sigmoid", lambda a: a.sigmoid(), (real(-50.0, 50.0),)),
    Op("relu", lambda a: a.relu(), (away_from_zero(-100.0, 100.0, 1e-3),)),
    Op("sin", lambda a: a.sin(), (ANY,)),
    Op("cos", lambda a: a.cos(), (ANY,)),
    Op("abs", lambda a: a.abs(), (away_from_zero(-100.0, 100.0, 1e-3),)),
    Op("abs_builtin", lambda a: abs(a), (away_from_zero(-100.0, 100.0, 1e-3),)),
    Op("sin_times_cos", lambda a, b: a.sin() * b.cos(), (ANY, ANY)),
    Op("maximum", lambda a, b: a.maximum(b), (ANY, ANY)),
    Op("minimum", lambda a, b: a.minimum(b), (ANY, ANY)),
    Op("clamp", lambda a: a.clamp(-2.0, 3.0), (ANY,)),
    Op("clamp_min", lambda a: a.clamp(min=-2.0), (ANY,)),
    Op("clamp_max", lambda a: a.clamp(max=3.0), (ANY,)),
]


def run_engine(fn: Callable[..., object], xs: tuple[float, ...]) -> tuple[float, list[float]]:
    leaves = [Value(x) for x in xs]
    out = fn(*leaves)
    assert isinstance(out, Value)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def run_torch(fn: Callable[..., object], xs: tuple[float, ...]) -> tuple[float, list[float]]:
    leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = fn(*leaves)
    out.backward()
    return out.item(), [0.0 if t.grad is None else t.grad.item() for t in leaves]


def same(actual: float, expected: float, rtol: float = RTOL) -> bool:
    """Equal within rtol; nan equals nan and an infinity equals itself, as torch reports them."""
    return close(actual, expected, rtol, atol=1e-300)


@pytest.mark.torch
@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_op_and_derivative_match_torch(op: Op) -> None:
    @settings(max_examples=40, deadline=None)
    @given(st.tuples(*op.domains))
    def check(xs: tuple[float, ...]) -> None:
        value, grads = run_engine(op.fn, xs)
        want_value, want_grads = run_torch(op.fn, xs)
        assert same(value, want_value), (xs, value, want_value)
        for got, want in zip(grads, want_grads, strict=True):
            # Gradients of a sum of two products may differ from torch by one rounding of the
            # larger term, so the bound is relative to the inputs' scale, never looser than 1e-12.
            assert same(got, want), (xs, grads, want_grads)

    check()


# Points where Python's math would raise or mislead, and torch's float64 answer instead.
EDGES = [
    ("exp_overflow", lambda a: a.exp(), (1000.0,)),
    ("exp_underflow", lambda a: a.exp(), (-1000.0,)),
    ("log_zero", lambda a: a.log(), (0.0,)),
    ("log_negative", lambda a: a.log(), (-1.0,)),
    ("log_inf", lambda a: a.log(), (math.inf,)),
    ("reciprocal_of_zero", lambda a: 1 / a, (0.0,)),
    ("zero_over_zero", lambda a, b: a / b, (0.0, 0.0)),
    ("divide_by_number_zero", lambda a: a / 0, (3.0,)),
    ("sigmoid_plus_1000", lambda a: a.sigmoid(), (1000.0,)),
    ("sigmoid_minus_1000", lambda a: a.sigmoid(), (-1000.0,)),
    ("tanh_plus_1000", lambda a: a.tanh(), (1000.0,)),
    ("tanh_minus_1000", lambda a: a.tanh(), (-1000.0,)),
    ("relu_at_zero", lambda a: a.relu(), (0.0,)),
    ("relu_nan", lambda a: a.relu(), (math.nan,)),
    ("negative_base_fractional_exponent", lambda a: a ** (1 / 3), (-8.0,)),
    ("negative_base_integer_exponent", lambda a: a**3, (-2.0,)),
    ("zero_to_the_half", lambda a: a**0.5, (0.0,)),
    ("zero_to_the_zero", lambda a: a**0, (0.0,)),
    ("zero_to_minus_one", lambda a: a**-1, (0.0,)),
    ("pow_overflow", lambda a: a**400, (10.0,)),
    ("negative_pow_overflow", lambda a: a**401, (-10.0,)),
    ("value_pow_zero_base", lambda a, b: a**b, (0.0, 2.0)),
    ("value_pow_zero_base_zero_exponent", lambda a, b: a**b, (0.0, 0.0)),
    ("value_pow_negative_base", lambda a, b: a**b, (-2.0, 0.5)),
    ("number_pow_zero_base", lambda a: 0.0**a, (2.0,)),
    ("sqrt_zero", lambda a: a.sqrt(), (0.0,)),
    # torch takes x ** 0.5 as sqrt and x ** -0.5 as 1 / sqrt, not C's pow (which gives
    # pow(-inf, 0.5) = inf and pow(-0.0, 0.5) = 0.0); the derivatives go through them too.
    ("sqrt_negative_zero", lambda a: a.sqrt(), (-0.0,)),
    ("sqrt_minus_inf", lambda a: a.sqrt(), (-math.inf,)),
    ("sqrt_inf", lambda a: a.sqrt(), (math.inf,)),
    ("pow_half_minus_inf", lambda a: a**0.5, (-math.inf,)),
    ("pow_minus_half_minus_inf", lambda a: a**-0.5, (-math.inf,)),
    ("pow_minus_half_negative_zero", lambda a: a**-0.5, (-0.0,)),
    ("pow_three_halves_minus_inf", lambda a: a**1.5, (-math.inf,)),
    ("pow_three_halves_negative", lambda a: a**1.5, (-4.0,)),
    ("reciprocal_of_negative_zero", lambda a: 1 / a, (-0.0,)),
    ("log_negative_zero", lambda a: a.log(), (-0.0,)),
    ("log_minus_inf", lambda a: a.log(), (-math.inf,)),
    ("exp_minus_inf", lambda a: a.exp(), (-math.inf,)),
    ("sigmoid_nan", lambda a: a.sigmoid(), (math.nan,)),
    ("tanh_nan", lambda a: a.tanh(), (math.nan,)),
    ("mul_inf_zero", lambda a, b: a * b, (math.inf, 0.0)),
    ("sin_inf", lambda a: a.sin(), (math.inf,)),
    ("cos_minus_inf", lambda a: a.cos(), (-math.inf,)),
    ("sin_negative_zero", lambda a: a.sin(), (-0.0,)),
    ("cos_zero", lambda a: a.cos(), (0.0,)),  # d/dx = -sin(0) = -0.0
    ("sin_huge", lambda a: a.sin(), (1e300,)),
    ("abs_zero", lambda a: a.abs(), (0.0,)),  # torch: abs'(0) = sign(0) = 0
    ("abs_negative_zero", lambda a: a.abs(), (-0.0,)),
    ("abs_nan", lambda a: a.abs(), (math.nan,)),  # torch's sign(nan) is 0
    ("abs_minus_inf", lambda a: a.abs(), (-math.inf,)),
    ("abs_then_log_at_zero", lambda a: a.abs().log(), (0.0,)),  # 0 * inf = nan, as torch
    # relu, maximum, minimum and clamp select the upstream gradient (never 0 * inf = nan).
    ("sqrt_of_relu_below_zero", lambda a: a.relu() ** 0.5, (-1.0,)),
    ("sqrt_of_relu_at_zero", lambda a: a.relu() ** 0.5, (0.0,)),
    ("log_of_relu", lambda a: a.relu().log(), (-1.0,)),
    ("reciprocal_of_relu", lambda a: 1 / a.relu(), (0.0,)),
    ("sqrt_of_relu_plus_x", lambda a: a.relu() ** 0.5 + a, (-1.0,)),
    ("relu_negative_zero", lambda a: 1 / a.relu(), (-0.0,)),  # relu(-0.0) = -0.0: -inf
    ("exp_of_log_subnormal", lambda a: a.log().exp(), (1e-310,)),  # upstream / x = 1.0
    ("log_backward_subnormal_upstream", lambda a, b: a.log() * b, (-1.0, 1e-310)),
    ("maximum_tie", lambda a, b: a.maximum(b), (1.0, 1.0)),
    ("maximum_tie_signed_zeros", lambda a, b: a.maximum(b), (-0.0, 0.0)),
    ("maximum_nan", lambda a, b: a.maximum(b), (math.nan, 1.0)),
    ("maximum_nan_second", lambda a, b: a.maximum(b), (1.0, math.nan)),
    ("minimum_tie", lambda a, b: a.minimum(b), (2.0, 2.0)),
    ("minimum_signed_zeros", lambda a, b: a.minimum(b), (0.0, -0.0)),
    ("minimum_nan", lambda a, b: a.minimum(b), (math.nan, 1.0)),
    ("sqrt_of_losing_maximum", lambda a, b: a.maximum(b) ** 0.5 + a, (-1.0, 0.0)),
    ("clamp_at_low_bound", lambda a: a.clamp(0.0, 1.0), (0.0,)),
    ("clamp_at_high_bound", lambda a: a.clamp(0.0, 1.0), (1.0,)),
    ("clamp_negative_zero", lambda a: a.clamp(0.0, 1.0), (-0.0,)),
    ("clamp_nan", lambda a: a.clamp(0.0, 1.0), (math.nan,)),
    ("clamp_empty_range", lambda a: a.clamp(1.0, 0.0), (0.5,)),
    ("log_of_clamp_outside", lambda a: a.clamp(min=0.0).log(), (-1.0,)),
]


def same_value(actual: float, expected: float) -> bool:
    """``same``, and a zero must carry torch's sign (sqrt(-0.0) is -0.0, and 1 / it is -inf).

    Gradients are compared by ``same`` alone: a leaf's grad starts at 0.0 and adds, so
    0.0 + -0.0 leaves 0.0 where torch, whose first gradient replaces None, keeps -0.0.
    """
    if actual == 0.0 and expected == 0.0:
        return math.copysign(1.0, actual) == math.copysign(1.0, expected)
    return same(actual, expected)


@pytest.mark.torch
@pytest.mark.parametrize("name,fn,xs", EDGES, ids=[edge[0] for edge in EDGES])
def test_edge_values_match_torch(name: str, fn: Callable[..., object],
                                 xs: tuple[float, ...]) -> None:
    value, grads = run_engine(fn, xs)
    want_value, want_grads = run_torch(fn, xs)
    assert same_value(value, want_value), (name, value, want_value)
    for got, want in zip(grads, want_grads, strict=True):
        assert same(got, want), (name, grads, want_grads)


@pytest.mark.parametrize("x", [-30.0, -12.5, -7.0, 4.0, 9.25, 20.0])
def test_tanh_and_sigmoid_tails_against_exact_values(x: float) -> None:
    """Far from zero the derivative is tiny; it stays within what the input's rounding allows."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    for method, exact in (
        ("tanh", mpmath.sech(x) ** 2),
        ("sigmoid", mpmath.exp(-x) / (1 + mpmath.exp(-x)) ** 2),
    ):
        leaf = Value(x)
        getattr(leaf, method)().backward()
        exact_float = float(exact)
        # The rounding of tanh(x) or sigmoid(x) (half an ulp of a number near 1) is amplified
        # by 1 / (1 - |t|): that is the conditioning, and the bound says so.
        bound = 4e-16 / exact_float + 1e-12
        assert abs(leaf.grad - exact_float) <= bound * exact_float, (method, x, leaf.grad, exact)


def test_documented_edge_values_without_torch() -> None:
    assert Value(1000.0).exp().data == math.inf
    assert Value(0.0).log().data == -math.inf
    assert math.isnan(Value(-1.0).log().data)
    assert (1 / Value(0.0)).data == math.inf
    assert Value(1000.0).sigmoid().data == 1.0
    assert Value(-1000.0).sigmoid().data == 0.0
    assert math.isnan((Value(-8.0) ** (1 / 3)).data)
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0


def test_hand_derived_neuron() -> None:
    """The lecture's neuron: o = tanh(x1 w1 + x2 w2 + b), derivatives written out by hand."""
    x1, x2, w1, w2, b, _, o = neuron(backward=True).values()
    n = 2.0 * -3.0 + 0.0 * 1.0 + 6.8813735870195432
    dn = 1.0 - math.tanh(n) ** 2
    assert o.data == pytest.approx(math.tanh(n), rel=1e-15)
    assert x1.grad == pytest.approx(dn * -3.0, rel=1e-12)
    assert w1.grad == pytest.approx(dn * 2.0, rel=1e-12)
    assert x2.grad == pytest.approx(dn * 1.0, rel=1e-12)
    assert w2.grad == 0.0
    assert b.grad == pytest.approx(dn, rel=1e-12)


def test_constructor_accepts_int_and_float() -> None:
    assert Value(3).data == 3.0 and isinstance(Value(3).data, float)
    v = Value(2.5, label="a")
    assert (v.data, v.grad, v.label, v._prev, v._op) == (2.5, 0.0, "a", (), "")
    v.label = "e"
    assert v.label == "e"


@pytest.mark.parametrize(
    "bad,text",
    [("3", "'3' (str)"), (None, "None (NoneType)"), ([1.0], "[1.0] (list)"),
     (1 + 2j, "(1+2j) (complex)"), (True, "True (bool)")],
)
def test_constructor_rejects_non_numbers(bad: object, text: str) -> None:
    with pytest.raises(TypeError) as error:
        Value(bad)  # type: ignore[arg-type]
    assert str(error.value) == f"Value needs an int or float, got {text}"


def test_constructor_rejects_a_non_string_label() -> None:
    with pytest.raises(TypeError, match=r"Value label must be a str, got 3 \(int\)"):
        Value(1.0, 3)  # type: ignore[arg-type]


def test_huge_int_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="too large for a float"):
        Value(10**400)
    with pytest.raises(ValueError, match="too large for a float"):
        Value(1.0) + 10**400  # an operand goes through the same check


@pytest.mark.parametrize(
    "expr,op",
    [(lambda v: v + "3", "+"), (lambda v: v * None, "*"), (lambda v: v - [1], "-"),
     (lambda v: v / "x", "/"), (lambda v: v ** "2", "**"), (lambda v: "2" ** v, "**")],
)
def test_mixed_operands_name_the_bad_one(expr: Callable[[Value], object], op: str) -> None:
    with pytest.raises(TypeError, match=re.escape(f"unsupported operand for {op}: Value and ")):
        expr(Value(1.0))


def test_bad_operand_message_text() -> None:
    with pytest.raises(TypeError) as error:
        Value(1.0) + "3"  # type: ignore[operator]
    assert str(error.value) == (
        "unsupported operand for +: Value and '3' (str); expected a Value, int or float"
    )


def test_parents_are_a_tuple_in_argument_order() -> None:
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    assert (b * a)._prev == (b, a)
    square = a * a
    assert square._prev == (a, a)
    assert square._op == "*"
    assert (a**2)._op == "**2"
    assert a.tanh()._op == "tanh"


def test_square_by_self_multiplication() -> None:
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0


def test_torch_named_helpers() -> None:
    v = Value(2.0, label="v")
    assert v.item() == 2.0  # float(v) is refused: tests/test_numbers.py
    assert repr(v) == "Value(data=2.0, grad=0.0)"
    assert v.neg().data == -2.0
    d = (v * 3).detach()
    assert d._prev == () and d.data == 6.0
