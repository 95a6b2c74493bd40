"""A Value as a number: conversions, comparisons, formatting, ==/hash/bool, grad = None."""

from __future__ import annotations

import math
import operator
import re
from fractions import Fraction
from typing import Any

import pytest

from engine import Value
from nn import MLP, SGD, mse_loss


def test_math_functions_on_a_value_raise_instead_of_detaching() -> None:
    """math.exp(x) would make x * math.exp(x) a product with a constant: gradient e, not 2e."""
    x = Value(1.0)
    for convert in (float, math.exp, math.log, math.isfinite, lambda v: "%f" % v):  # noqa: UP031
        with pytest.raises(TypeError) as caught:
            convert(x)
        message = str(caught.value)
        assert "data=1.0" in message
        for named in ("v.exp()", "v.item()", "v.data", "silently wrong"):
            assert named in message
    # What the message points to stays in the graph and gives the true gradient, 2e.
    y = x * x.exp()
    y.backward()
    assert x.grad == 2.0 * math.e


def test_item_and_data_take_the_number_on_purpose() -> None:
    x = Value(-3.5)
    assert x.item() == -3.5 and type(x.item()) is float
    assert math.exp(x.item()) == math.exp(-3.5)
    assert math.exp(x.data) == math.exp(-3.5)


@pytest.mark.parametrize(
    "a,b,less",
    [(1.0, 2.0, True), (2.0, 1.0, False), (-0.0, 0.0, False), (1.0, math.nan, False)],
)
def test_comparisons_read_the_data_and_return_bools(a: float, b: float, less: bool) -> None:
    va, vb = Value(a), Value(b)
    for left, right in ((va, vb), (va, b), (a, vb)):
        assert (left < right) is less
        assert (left < right) is (a < b)
        assert (left <= right) is (a <= b)
        assert (left > right) is (a > b)
        assert (left >= right) is (a >= b)


def test_comparisons_with_ints_are_exact_and_with_non_numbers_raise() -> None:
    assert Value(1e16) < 10**16 + 1  # as float < int: no rounding of the int
    assert Value(0.5) > Fraction(1, 3)
    for other in ("1", None, True, [1.0]):
        with pytest.raises(TypeError, match=r"'<' not supported between instances of 'Value'"):
            Value(1.0) < other  # type: ignore[operator]  # noqa: B015


def test_max_min_sorted_pick_values_and_the_gradient_follows_the_pick() -> None:
    a, b, c = Value(2.0), Value(-1.0), Value(5.0)
    assert max(a, b) is a and min(a, b) is b
    assert sorted([c, a, b]) == [b, a, c]  # == on lists of Values: the same nodes in order
    assert max([a, b, c], key=lambda v: -v) is b
    out = max(a, b) * min(a, b)  # a * b
    out.backward()
    assert (a.grad, b.grad) == (-1.0, 2.0)
    assert max(Value(1.0), 0.0).data == 1.0  # mixed with numbers


def test_format_specs_format_the_data() -> None:
    v = Value(math.pi)
    assert f"{v:.3f}" == "3.142"
    assert format(v, "g") == "3.14159"
    assert f"{v:>10.2e}" == "  3.14e+00"
    assert f"{Value(-0.0):+.1f}" == "-0.0"
    assert f"{Value(math.nan):.2f}" == "nan"
    assert f"{v}" == str(v) == repr(v)  # no spec: the repr, as for a tensor
    with pytest.raises(ValueError, match="Unknown format code 'd'"):
        format(v, "d")


def test_equality_and_hash_are_the_node_identity() -> None:
    a, b = Value(2.0), Value(2.0)
    assert a == a and a != b and (a == b) is False
    assert hash(a) == hash(a) and len({a, b, a}) == 2
    assert {a: 1}[a] == 1 and b not in {a: 1}
    assert [a, b].index(b) == 1
    assert (a == "2.0") is False and a != None  # noqa: E711 - other objects: not equal


@pytest.mark.parametrize("op,compare", [("==", operator.eq), ("!=", operator.ne)])
def test_equality_with_a_number_raises_and_names_data(op: str, compare: Any) -> None:
    v = Value(2.0)
    for number in (2.0, 2, True, Fraction(2)):
        with pytest.raises(TypeError, match=re.escape(f"v.data {op} {number!r}")) as caught:
            compare(v, number)
        assert str(caught.value).startswith(f"Value(data=2.0) {op} {number!r}: ")
        assert "compare nodes" in str(caught.value)
        with pytest.raises(TypeError, match="compare nodes"):
            compare(number, v)  # reflected: Python asks the Value too


def test_lecture_build_topo_with_a_set_keeps_working() -> None:
    """micrograd's lecture orders the graph with a set of visited Values."""
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    d = c + a  # a twice: the set must see one node
    topo: list[Value] = []
    visited: set[Value] = set()

    def build_topo(v: Value) -> None:
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(d)
    assert topo == [a, b, c, d]
    assert Value(2.0) not in visited  # an equal number in another node is another node


def test_bool_is_data_not_zero_as_torch() -> None:
    assert not Value(0.0) and not Value(-0.0)
    assert Value(1e-320) and Value(-2.0) and Value(math.inf)
    assert Value(math.nan)  # nan != 0, as bool(float("nan")) and bool(torch.tensor(nan))
    assert (Value(0.0) or "fallback") == "fallback"


@pytest.mark.torch
def test_bool_matches_torch() -> None:
    import torch

    for x in (0.0, -0.0, 1e-320, -2.0, math.inf, math.nan):
        assert bool(Value(x)) is bool(torch.tensor(x, dtype=torch.float64))


def test_grad_none_counts_as_zero() -> None:
    """torch's zeroing idiom ``p.grad = None``: the next backward starts from 0.0."""
    model = MLP(2, [3, 1], seed=0)
    params = model.parameters()

    def step() -> list[float]:
        loss = mse_loss(model([0.5, -1.0]), 0.25)
        loss.backward()
        return [p.grad for p in params]

    first = step()
    for p in params:
        p.grad = None  # type: ignore[assignment]
    assert step() == first  # not 2 x first, and no TypeError
    SGD(params, lr=0.1).step()
    leaf = Value(3.0)
    leaf.grad = None  # type: ignore[assignment]
    leaf.backward()  # a leaf root accumulates from None as from 0.0
    assert leaf.grad == 1.0


def test_grad_none_in_backward_steps() -> None:
    from engine import backward_steps

    x = Value(2.0)
    y = x * x
    x.grad = None  # type: ignore[assignment]
    steps = list(backward_steps(y))
    assert steps and x.grad == 4.0


@pytest.mark.parametrize(
    "number,shown",
    [
        (10**400, "1000000000...000 (an int of 401 digits)"),
        (-(10**400) - 7, "-1000000000...007 (an int of 401 digits)"),
        (10**5000, "1000000000...000 (an int of 5001 digits)"),  # past Python's str limit
        (Fraction(10**400, 3), "Fraction(100000000000000000000...0, 3) (414 characters)"),
    ],
    ids=["10**400", "-10**400-7", "10**5000", "Fraction"],
)
def test_a_number_too_large_for_a_float_is_shortened_in_the_message(number: object,
                                                                    shown: str) -> None:
    with pytest.raises(ValueError) as caught:
        Value(number)  # type: ignore[arg-type]
    assert str(caught.value) == f"Value got {shown}, which is too large for a float"
    with pytest.raises(ValueError, match=re.escape(shown)):
        Value(1.0) * number  # type: ignore[operator]


def test_a_long_non_number_is_shortened_in_the_message() -> None:
    with pytest.raises(TypeError) as caught:
        Value("x" * 10_000)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "Value needs an int or float, got '" + "x" * 29 + "...xxxx' "
        "(10002 characters) (str)"
    )
