"""gradcheck and compare_with_torch: they pass right gradients and catch wrong ones."""

from __future__ import annotations

import math
import sys
from typing import Any

import pytest

from engine import Value, compare_with_torch, gradcheck


def neuron(a: Value, b: Value, c: Value) -> Value:
    return (a * b + c).tanh()


def test_gradcheck_passes_a_correct_function_and_shows_a_table() -> None:
    report = gradcheck(neuron, {"a": 0.5, "b": -0.3, "c": 0.2})
    assert report.ok
    assert report.reference == "numeric"
    assert [row.name for row in report.rows] == ["a", "b", "c"]
    lines = report.table().splitlines()
    assert lines[0].split() == ["input", "value", "engine", "grad", "numeric", "grad", "abs", "err",
                                "rel", "err"]
    assert lines[1].startswith("a ") and lines[1].endswith("ok")
    assert report.max_rel_error < 1e-6
    assert str(report) == report.table()


def test_gradcheck_catches_a_wrong_gradient() -> None:
    # Through detach the engine sees x * const, so it reports x where the true slope is 2x.
    report = gradcheck(lambda x: x * x.detach(), [3.0])
    assert not report.ok
    row = report.rows[0]
    assert row.engine == 3.0
    assert row.reference == pytest.approx(6.0, rel=1e-6)
    assert "MISMATCH" in report.table() and report.table().endswith("FAILED")


def test_gradcheck_positional_inputs_are_named_by_position() -> None:
    report = gradcheck(lambda x, y: x * y, [2.0, 5.0])
    assert [row.name for row in report.rows] == ["x0", "x1"]
    assert report.rows[0].engine == 5.0


def test_gradcheck_needs_a_value_back() -> None:
    with pytest.raises(TypeError, match=r"the function must return a Value, got 1.0 \(float\)"):
        gradcheck(lambda x: 1.0, [1.0])  # type: ignore[arg-type, return-value]


@pytest.mark.torch
def test_compare_with_torch_agrees_on_a_shared_function() -> None:
    report = compare_with_torch(neuron, {"a": 2.0, "b": -3.0, "c": 10.0})
    assert report.ok, report.table()
    assert report.reference == "torch"
    assert report.output == pytest.approx(math.tanh(4.0), rel=1e-15)
    assert report.reference_output == pytest.approx(report.output, rel=1e-15)
    assert report.max_rel_error < 1e-12
    assert "torch grad" in report.table()


@pytest.mark.torch
def test_compare_with_torch_reports_a_disagreement() -> None:
    def differs(x: Value) -> Value:
        return x * 2 if isinstance(x, Value) else x * 3

    report = compare_with_torch(differs, [1.5])
    assert not report.ok
    assert report.rows[0].engine == 2.0 and report.rows[0].reference == 3.0
    assert report.max_abs_error == 1.0


@pytest.mark.torch
def test_compare_with_torch_covers_edge_values() -> None:
    report = compare_with_torch(lambda x: x.log() + (x * 1000).exp(), [0.0])
    assert report.ok, report.table()
    assert report.output == -math.inf or math.isnan(report.output)


def test_compare_with_torch_without_torch_says_how_to_install(monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"pip install torch==2\.13\.0"):
        compare_with_torch(neuron, [1.0, 2.0, 3.0])


def test_importing_the_engine_does_not_import_torch() -> None:
    import subprocess

    code = "import sys, engine; print('torch' in sys.modules, 'graphviz' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    "fn,x",
    [
        (lambda x: x.log(), 1e-5),  # curves on the scale of x, far below the step eps * 1
        (lambda x: x.sqrt(), 1e-7),
        (lambda x: x + 1e8, 0.5),  # f(x +- h) rounds to ulp(1e8) = 1.5e-8 apart from the truth
        (lambda x: x.exp(), 30.0),
        (lambda x: x * x, 1e8),
        (lambda x: x * x * x, 0.0),  # gradient 0; the plain difference says h^2
    ],
)
def test_gradcheck_passes_correct_derivatives_far_from_one(fn: Any, x: float) -> None:
    report = gradcheck(fn, [x])
    assert report.ok, report.table()


@pytest.mark.parametrize(
    "fn,x,true_grad",
    [
        # Each engine gradient is wrong (half or a third of the truth, through detach) and tiny:
        # below any fixed absolute tolerance such as 1e-6.
        (lambda x: x * x.detach() * 1e-8, 3.0, 6e-8),
        (lambda x: x * x.detach() * x.detach() * 1e-9, 2.0, 1.2e-8),
        (lambda x: x * x.detach() * 1e-30, 1e-3, 2e-33),
    ],
)
def test_gradcheck_catches_wrong_tiny_gradients(fn: Any, x: float, true_grad: float) -> None:
    report = gradcheck(fn, [x])
    assert not report.ok, report.table()
    assert report.rows[0].reference == pytest.approx(true_grad, rel=1e-6)


def test_gradcheck_at_a_subnormal_input() -> None:
    """A step relative to a subnormal x would not move it: only the absolute step is taken."""
    report = gradcheck(lambda x, y: x * y + x.tanh(), [5e-324, 0.0])
    assert report.ok, report.table()
    assert report.rows[0].engine == 1.0  # d/dx (x y + tanh x) = y + 1 - tanh(x)^2 = 1


@pytest.mark.parametrize(
    "fn,left,right",
    [
        (lambda x: x.relu(), 0.0, 1.0),
        (lambda x: x * 2.0 if x > 0 else -x, -1.0, 2.0),  # a branch on the data at 0
        (lambda x: (x * 3.0).relu() * -1.0 + x, 1.0, -2.0),
    ],
)
def test_gradcheck_at_a_kink_says_not_differentiable(fn: Any, left: float, right: float) -> None:
    report = gradcheck(fn, [0.0])
    assert not report.ok and not report.differentiable
    row = report.rows[0]
    assert row.one_sided == pytest.approx((left, right), abs=1e-6)
    assert row.kink.startswith("f is not differentiable here: its slope from the left is "
                               f"{left:.6g} and from the right {right:.6g}")
    table = report.table()
    assert "MISMATCH" not in table and "NOT DIFFERENTIABLE" in table
    assert table.endswith("FAILED: not differentiable at this point")


def test_gradcheck_at_a_jump_says_f_is_not_continuous() -> None:
    """The case that reported a numeric gradient of 1.17e6: a branch that changes the value."""
    report = gradcheck(lambda a: a + 1.0 if a > 0 else a, {"a": 0.0})
    assert not report.differentiable
    assert report.rows[0].kink.startswith(
        "f jumps here: a step of 5e-07 to the right changes f by 1, and halving the step does "
        "not halve that"
    )
    assert "a = 0.0: f jumps here" in report.table()


def test_gradcheck_names_only_the_kinked_input() -> None:
    report = gradcheck(lambda x, y: (x * y).relu(), [0.0, 2.0])
    assert [row.ok for row in report.rows] == [False, True]
    assert report.rows[0].kink and not report.rows[1].kink
    assert report.rows[0].one_sided == pytest.approx((0.0, 2.0), abs=1e-6)


@pytest.mark.parametrize("x", [1e-3, 0.7, -2.0, 40.0])
def test_a_wrong_gradient_of_a_smooth_function_is_a_mismatch_not_a_kink(x: float) -> None:
    """The one-sided slopes of a smooth f agree, however curved: a wrong rule stays a mismatch."""
    for fn in (lambda v: v * v.detach(), lambda v: v.exp() * v.detach(),
               lambda v: (v * v + 1.0).log() * v.detach()):
        report = gradcheck(fn, [x])
        assert not report.ok and report.differentiable, report.table()
        assert "MISMATCH" in report.table()


@pytest.mark.parametrize(
    "inputs,message",
    [
        ({"a": True}, "gradcheck input 'a': Value needs an int or float, got True (bool)"),
        ({"a": "x"}, "gradcheck input 'a': Value needs an int or float, got 'x' (str)"),
        ([1.0, None], "gradcheck input 'x1': Value needs an int or float, got None (NoneType)"),
    ],
)
def test_gradcheck_inputs_follow_the_rule_of_value(inputs: Any, message: str) -> None:
    with pytest.raises(TypeError) as caught:
        gradcheck(lambda *args, **kwargs: Value(0.0), inputs)
    assert str(caught.value) == message
    with pytest.raises(TypeError):  # the same rule as the constructor's
        Value(next(iter(inputs.values())) if isinstance(inputs, dict) else inputs[-1])


def test_gradcheck_wants_numbers_for_the_point_not_values() -> None:
    with pytest.raises(TypeError, match=r"^gradcheck input 'x0': Value needs an int or float, "
                                        r"got Value\(data=2.0, grad=0.0\) \(Value\)$"):
        gradcheck(lambda x: x, [Value(2.0)])


def test_gradcheck_input_too_large_for_a_float_is_named_and_shortened() -> None:
    with pytest.raises(ValueError) as caught:
        gradcheck(lambda b: b, {"b": 10**400})
    assert str(caught.value) == ("gradcheck input 'b': Value got 1000000000...000 (an int of "
                                 "401 digits), which is too large for a float")


@pytest.mark.torch
def test_compare_with_torch_inputs_follow_the_same_rule() -> None:
    with pytest.raises(TypeError, match=r"^compare_with_torch input 'a': Value needs an int or "
                                        r"float, got True \(bool\)$"):
        compare_with_torch(lambda a: a, {"a": True})
