"""grad(create_graph=True): derivatives of derivatives, their closed forms, their graphs
(scopes, labels, drawings, traces) and their memory (no reference cycles)."""

from __future__ import annotations

import gc
import itertools
import math
import random
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value, grad, no_grad, ops, topological_order
from tests.random_programs import draw
from tests.support import neuron


def nth_derivative(f: Callable[[Value], Value], x: float, n: int) -> float:
    """d^n f / dx^n at x by n - 1 nested ``grad(..., create_graph=True)`` and one plain one."""
    leaf = Value(x, label="x")
    current = f(leaf)
    for _ in range(n - 1):
        (current,) = grad(current, [leaf], create_graph=True)
    return grad(current, [leaf])[0]


def _tanh(k: int, x: float) -> float:
    t = math.tanh(x)
    return [t, 1 - t * t, -2 * t * (1 - t * t), -2 * (1 - t * t) * (1 - 3 * t * t),
            8 * t * (1 - t * t) * (2 - 3 * t * t)][k]


def _sigmoid(k: int, x: float) -> float:
    s = 1.0 / (1.0 + math.exp(-x))
    return [s, s * (1 - s), s * (1 - s) * (1 - 2 * s), s * (1 - s) * (1 - 6 * s + 6 * s * s),
            s * (1 - s) * (1 - 2 * s) * (1 - 12 * s + 12 * s * s)][k]


#: d^k/dx^k of each function in closed form (checked with sympy when written).
CLOSED_FORMS: dict[str, tuple[Callable[[Value], Value], Callable[[int, float], float]]] = {
    "tanh": (Value.tanh, _tanh),
    "sigmoid": (Value.sigmoid, _sigmoid),
    "exp": (Value.exp, lambda k, x: math.exp(x)),
    "log": (Value.log, lambda k, x: (-1) ** (k - 1) * math.factorial(k - 1) / x**k),
    "x**2.5": (lambda v: v**2.5,
               lambda k, x: math.prod(2.5 - i for i in range(k)) * x ** (2.5 - k)),
}
#: sin and cos, once the op table has them: d^k sin = sin(x + k pi/2), d^k cos = cos(x + k pi/2).
OPS = {op.name for op in ops.TABLE}
if "sin" in OPS:
    CLOSED_FORMS["sin"] = (lambda v: v.sin(), lambda k, x: math.sin(x + k * math.pi / 2))
if "cos" in OPS:
    CLOSED_FORMS["cos"] = (lambda v: v.cos(), lambda k, x: math.cos(x + k * math.pi / 2))
#: The ops with a kink at 0 and straight lines either side: no second derivative away from it.
KINKED = sorted(OPS & {"relu", "abs"})


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.parametrize("x", [0.3, 1.7, -0.9])
def test_nth_derivatives_equal_the_closed_forms(name: str, n: int, x: float) -> None:
    f, closed = CLOSED_FORMS[name]
    if name in ("log", "x**2.5") and x < 0:
        x = -x
    assert nth_derivative(f, x, n) == pytest.approx(closed(n, x), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name", KINKED)
@pytest.mark.parametrize("x", [-1.5, 0.75, 2.0])
def test_kinked_ops_have_no_second_derivative_away_from_the_kink(name: str, x: float) -> None:
    def f(v: Value) -> Value:
        return getattr(v, name)()

    slope = {"relu": 1.0 if x > 0 else 0.0, "abs": 1.0 if x > 0 else -1.0}[name]
    assert nth_derivative(f, x, 1) == slope
    assert nth_derivative(f, x, 2) == 0.0
    assert nth_derivative(lambda v: f(v) * v, x, 2) == 2.0 * slope  # (f v)'' = 2 f' + f'' v


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), xs=st.lists(st.floats(-2, 2), min_size=1, max_size=4),
       size=st.integers(1, 24))
def test_create_graph_gives_the_float_gradients_exactly(seed: int, xs: list[float],
                                                        size: int) -> None:
    program = draw(random.Random(seed), xs, size)
    leaves = [Value(x) for x in xs]
    out = program.scalar(*leaves)
    floats = grad(out, leaves)
    values = grad(out, leaves, create_graph=True)
    assert [v.data for v in values] == floats
    assert all(leaf.grad == 0.0 for leaf in leaves)


def test_grad_of_a_gradient_is_the_hessian_and_leaves_grads_alone() -> None:
    x, y = Value(0.5, label="x"), Value(-1.5, label="y")
    x.grad, y.grad = 7.0, -7.0
    f = x * x * y + (x * y).exp()
    gx, _ = grad(f, [x, y], create_graph=True)
    e = math.exp(-0.75)
    assert gx.data == pytest.approx(2 * 0.5 * -1.5 + -1.5 * e, rel=1e-15)
    assert grad(gx, [x, y]) == pytest.approx([2 * -1.5 + 2.25 * e,
                                              2 * 0.5 + e + -0.75 * e], rel=1e-15)
    assert (x.grad, y.grad) == (7.0, -7.0)


def test_inputs_the_output_ignores_and_the_output_itself() -> None:
    x, z = Value(2.0), Value(3.0)
    y = x * x
    dx, dz, dy = grad(y, [x, z, y], create_graph=True)
    assert (dx.data, dz.data, dy.data) == (4.0, 0.0, 1.0)
    assert dz._prev == () and dy._prev == ()
    assert grad(dx, [x]) == [2.0]


def test_an_inner_node_as_input() -> None:
    x = Value(0.25)
    u = x.exp()
    out = u * u  # d out / d u = 2u, d^2 out / du dx = 2 e^x
    (du,) = grad(out, [u], create_graph=True)
    assert du.data == 2 * u.data
    assert grad(du, [x]) == [pytest.approx(2 * math.exp(0.25), rel=1e-15)]


def test_under_no_grad_the_gradients_are_plain_leaves() -> None:
    x = Value(0.5)
    y = (x * 3.0).tanh()
    with no_grad():
        (dx,) = grad(y, [x], create_graph=True)
    assert dx._prev == () and dx.data == grad(y, [x])[0]


# --- the derivative's graph: scopes, labels, drawings, the second backward -----------------

def test_each_part_of_a_gradient_is_scoped_by_the_rule_that_made_it() -> None:
    v = neuron()
    grads = grad(v["o"], [v["x1"], v["w1"], v["b"]], create_graph=True)
    assert [g.label for g in grads] == ["∂o/∂x1", "∂o/∂w1", "∂o/∂b"]
    made = [n for n in topological_order(grads[1]) if n.scope]
    scopes = {n.scope for n in made}
    # + passes its upstream gradient on unchanged: its steps make no nodes, so no box.
    assert scopes == {"∂ tanh [o]", "∂ * [x1 * w1]"}
    # d o / d w1 = (1 - o)(1 + o) * x1: the tanh rule reads the tanh node o itself.
    assert v["o"] in topological_order(grads[1]) and v["x1"] in topological_order(grads[1])
    assert all(n.scope.startswith("∂ ") for n in made)


def test_second_backward_steps_through_the_gradient_graph() -> None:
    from viz import trace
    from viz.format import float_text as number  # viz.trace.number was renamed

    v = neuron()
    (dw1,) = grad(v["o"], [v["w1"]], create_graph=True)
    text = trace(dw1)
    assert text.startswith("backward of ∂o/∂w1: ")
    assert "o (tanh): grad " in text  # the second backward passes back through the tanh node
    # d(do/dw1)/dw1 = -2 o (1 - o^2) x1^2, and the trace's leaf list ends on it.
    o = v["o"].data
    expected = -2 * o * (1 - o * o) * 4.0
    assert grad(dw1, [v["w1"]])[0] == pytest.approx(expected, rel=1e-12)
    assert f"  w1 = -3.0: grad {number(expected)}" in text.splitlines()


def test_drawing_a_gradient_boxes_each_rule() -> None:
    from viz import draw_dot

    v = neuron()
    (dw1,) = grad(v["o"], [v["w1"]], create_graph=True)
    source = draw_dot(dw1).source
    assert 'label="∂ tanh [o]"' in source
    assert "∂o/∂w1" in source


# --- memory -----------------------------------------------------------------------------------

def _second_order_round(width: int) -> float:
    leaves = [Value(0.1 * i - 0.4, label=f"x{i}") for i in range(width)]
    out = sum(((a * b).tanh() + a.exp() * b.sigmoid() for a, b in itertools.pairwise(leaves)),
              Value(0.0))
    first = grad(out, leaves, create_graph=True)
    second = [grad(g, leaves, create_graph=True) for g in first[:3]]
    return sum(g.data for row in second for g in row)


def test_second_order_graphs_make_no_reference_cycles() -> None:
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        tracemalloc.start()
        _second_order_round(60)  # first calls fill caches that stay (interned strings...)
        before = tracemalloc.get_traced_memory()[0]
        for width in (8, 30, 60):
            _second_order_round(width)
        grown = tracemalloc.get_traced_memory()[1] - before
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        assert gc.collect() == 0
    finally:
        if was_enabled:
            gc.enable()
    assert grown > 200_000  # the graphs were big enough to see (about 0.5 MB at the peak)
    assert after - before < 0.01 * grown


@pytest.mark.dot
def test_a_flipbook_of_the_second_backward_pass(tmp_path: Path) -> None:
    from viz import flipbook

    v = neuron()
    (dw1,) = grad(v["o"], [v["w1"]], create_graph=True)
    steps = sum(1 for node in topological_order(dw1) if node._prev)
    page = flipbook(dw1, tmp_path / "second.html")
    text = page.read_text(encoding="utf-8")
    assert text.count("<svg") == 1  # laid out once; each step is data (viz issue 18)
    assert text.count('"upstream":') == steps
    assert "∂o/∂w1" in text and "∂ tanh [o]" in text


def test_a_node_without_a_table_rule_is_named() -> None:
    from engine import jit

    w = Value(0.5)
    compiled = jit(lambda x: (x * w).tanh())
    out = compiled(Value(2.0))  # one node whose backward is the compiled program's
    assert grad(out, [w]) == [pytest.approx(2.0 * (1.0 - math.tanh(1.0) ** 2), rel=1e-15)]
    with pytest.raises(TypeError, match=r"grad\(create_graph=True\) cannot differentiate "
                                        r"through a node made by .* not an op of engine.ops"):
        grad(out, [w], create_graph=True)
