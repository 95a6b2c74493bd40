"""The op table: every reading of every op's rule agrees with the eager engine bit for bit."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value, eager, ops, symbolic
from engine.jit import jit
from engine.ops import Op

#: How a user makes each op's node: one row per op of ``ops.TABLE`` (inputs, then parameters).
MAKE: dict[Op, Callable[..., Value]] = {
    ops.ADD: lambda a, b: a + b,
    ops.MUL: lambda a, b: a * b,
    ops.DIV: lambda a, b: a / b,
    ops.POW: lambda a, b: a**b,
    ops.POW_NUMBER: lambda x, n: x**n,
    ops.EXP: lambda x: x.exp(),
    ops.LOG: lambda x: x.log(),
    ops.TANH: lambda x: x.tanh(),
    ops.SIGMOID: lambda x: x.sigmoid(),
    ops.RELU: lambda x: x.relu(),
    ops.SIN: lambda x: x.sin(),
    ops.COS: lambda x: x.cos(),
    ops.ABS: lambda x: abs(x),
    ops.MAXIMUM: lambda a, b: a.maximum(b),
    ops.MINIMUM: lambda a, b: a.minimum(b),
    ops.CLAMP: lambda x, low, high: x.clamp(low, high),
}

EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, math.inf, -math.inf, math.nan, 1000.0, -1000.0,
         5e-324, -5e-324, 2.2250738585072014e-308, 1e-310, -1e-310, 1e300]
FLOAT = st.one_of(st.sampled_from(EDGES), st.floats(allow_nan=True, allow_infinity=True))
#: Number parameters, by name: the exponents the engine special-cases, and any float.
BOUND = st.one_of(st.sampled_from([0.0, -0.0, 1.0, -1.0, math.inf, -math.inf]),
                 st.floats(allow_nan=False))
PARAMS: dict[str, st.SearchStrategy[float]] = {
    "n": st.one_of(st.sampled_from([0.0, 1.0, 2.0, 3.0, 0.5, -0.5, -1.0, 1 / 3, -2.5]),
                   st.floats(-5.0, 5.0)),
    "min": BOUND,
    "max": BOUND,
}


def same(a: float, b: float) -> bool:
    """Bit for bit: equal with the same sign of zero, or both nan."""
    if a != a or b != b:
        return a != a and b != b
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def case(op: Op) -> st.SearchStrategy[tuple[list[float], list[float], float]]:
    """Inputs, parameters and an upstream gradient for ``op``."""
    return st.tuples(
        st.lists(FLOAT, min_size=len(op.inputs), max_size=len(op.inputs)),
        st.tuples(*(PARAMS[name] for name in op.params)).map(list),
        FLOAT,
    )


def eager_node(op: Op, xs: list[float], params: list[float]) -> Value:
    node = MAKE[op](*[Value(x) for x in xs], *params)
    assert node._op == ops.display(op, params)
    return node


def test_every_op_has_a_row_here_and_a_method() -> None:
    assert set(MAKE) == set(ops.TABLE)
    for op in ops.TABLE:
        found = eager.op_of(eager_node(op, [0.5] * len(op.inputs), [2.0] * len(op.params))._grad_fn)
        assert found is not None and found[0] is op


@pytest.mark.parametrize("op", ops.TABLE, ids=eager.key)
def test_floats_reading_is_the_eager_engine(op: Op) -> None:
    """Forward and backward read on floats (``FLOATS``) give what the Value methods give."""

    @settings(max_examples=150, deadline=None)
    @given(case(op))
    def check(example: tuple[list[float], list[float], float]) -> None:
        xs, params, g = example
        node = eager_node(op, xs, params)
        assert same(node.data, ops.call_forward(op, symbolic.FLOATS, xs, params))
        want = node._grad_fn(node, g)  # type: ignore[misc]
        got = ops.call_grads(op, symbolic.FLOATS, xs, node.data, g, params)
        assert all(map(same, got, want)), (xs, params, g, got, want)
        local = ops.local_grads(op, xs, node.data, params)
        assert all(map(same, local, node.local_grads()))

    check()


@pytest.mark.parametrize("op", ops.TABLE, ids=eager.key)
def test_tangent_reading_matches_the_eager_rule(op: Op) -> None:
    """Forward mode: the output's tangent is the sum of each input's share, as backward's
    function gives it for that input with the tangent as upstream."""

    @settings(max_examples=100, deadline=None)
    @given(case(op), st.lists(FLOAT, min_size=2, max_size=2))
    def check(example: tuple[list[float], list[float], float], tangents: list[float]) -> None:
        xs, params, _ = example
        tangents = tangents[: len(xs)]
        node = eager_node(op, xs, params)
        want = 0.0
        for k, t in enumerate(tangents):
            want = want + node._grad_fn(node, t)[k]  # type: ignore[misc]
        assert same(ops.jvp(op, xs, node.data, tangents, params), want)

    check()


def _batch_program(op: Op, params: list[float]) -> Callable[..., Any]:
    names = [*op.inputs, "out", "g"]
    codes = symbolic.symbols(names, batch=True)
    forward = ops.call_forward(op, symbolic.BATCH, codes[: len(op.inputs)], params)
    grads = ops.call_grads(op, symbolic.BATCH, codes[: len(op.inputs)], codes[-2], codes[-1],
                           params)
    texts = [symbolic.as_code(item, True).text for item in (forward, *grads)]
    source = f"def program({', '.join(names)}):\n    return ({', '.join(texts)},)\n"
    return lambda namespace: _run(source, namespace)


def _run(source: str, namespace: dict[str, Any]) -> Any:
    exec(source, namespace)
    return namespace["program"]


@pytest.mark.parametrize("op", ops.TABLE, ids=eager.key)
def test_batch_reading_repeats_the_eager_arithmetic(op: Op) -> None:
    """The NumPy batch code does the eager engine's float operations element by element: with
    the C library's functions in place of NumPy's (which may round exp or log a last bit
    apart) every element is bit for bit the eager number; with NumPy's own, within 2 ulps."""
    np = pytest.importorskip("numpy")

    def scalar_twins() -> dict[str, Any]:
        twins = symbolic.batch_helpers()
        for name in ("exp", "log", "tanh", "sin", "cos", "power", "sigmoid", "div"):
            twins[f"_{name}"] = np.vectorize(symbolic.SCALAR_HELPERS[f"_{name}"], otypes=[float])
        return twins

    @settings(max_examples=60, deadline=None)
    @given(case(op), st.integers(1, 4))
    def check(example: tuple[list[float], list[float], float], size: int) -> None:
        xs, params, g = example
        node = eager_node(op, xs, params)
        want = (node.data, *node._grad_fn(node, g))  # type: ignore[misc]
        make = _batch_program(op, params)
        arrays = [np.full(size, x) for x in xs] + [np.full(size, node.data), np.full(size, g)]
        with np.errstate(all="ignore"):
            exact = make(scalar_twins())(*arrays)
            vector = make(symbolic.batch_helpers())(*arrays)
        for got, close, expected in zip(exact, vector, want, strict=True):
            for k in range(size):
                assert same(float(np.broadcast_to(got, (size,))[k]), expected), (xs, g, got)
            near = np.broadcast_to(close, (size,))
            assert all(same(float(v), expected) or abs(v - expected) <= 2 * math.ulp(expected)
                       for v in near), (xs, g, close, expected)

    check()


_JITTED: dict[tuple[Op, tuple[str, ...]], Any] = {}


@pytest.mark.parametrize("op", ops.TABLE, ids=eager.key)
def test_jit_reading_is_bit_identical(op: Op) -> None:
    """engine.jit's scalar code (the codegen's reading of the rule) computes the eager numbers."""

    @settings(max_examples=60, deadline=None)
    @given(case(op))
    def check(example: tuple[list[float], list[float], float]) -> None:
        xs, params, _ = example
        key = (op, tuple(map(repr, params)))  # 0.0 and -0.0 are equal keys otherwise
        if key not in _JITTED:
            _JITTED[key] = jit(lambda *args: MAKE[op](*args, *params))
        runs = []
        for runner in (MAKE[op], _JITTED[key]):
            leaves = [Value(x) for x in xs]
            out = runner(*leaves, *params) if runner is MAKE[op] else runner(*leaves)
            out.backward()
            runs.append([out.data, *(leaf.grad for leaf in leaves)])
        assert all(map(same, *runs)), (xs, params, runs)

    check()


def test_rule_text_is_found_for_every_op() -> None:
    assert ops.rule_text("tanh") == "d(tanh x)/dx = 1 - tanh(x)^2"
    assert ops.rule_text("**2") == "d(x^n)/dx = n x^(n-1), here n = 2"
    assert ops.rule_text("**") == "d(a^b)/da = b a^(b-1) and d(a^b)/db = a^b ln a"
    assert ops.rule_text("jit") == ""
    for op in ops.TABLE:
        assert ops.rule_text(ops.display(op, [3.0] * len(op.params)))


def test_generated_code_is_readable_source() -> None:
    assert "def __mul__(self, other):" in eager.source_of(Value.__mul__)
    node = Value(2.0) * Value(3.0)
    assert eager.source_of(node._grad_fn).endswith("return (b * g, a * g,)\n")
    assert Value.exp.__doc__ and "e^x" in Value.exp.__doc__


def test_engine_docs_op_table_matches_the_op_table() -> None:
    """docs/engine.md's table of ops lists each op of the table once, by torch name and spelling."""
    text = (Path(__file__).parent.parent / "docs" / "engine.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \| `([^`]+)` \| (.+?) \|$", text, re.M)
    assert rows, "docs/engine.md has no op table"
    assert [(torch, spelling) for torch, spelling, _ in rows] == [
        (op.torch, op.spelling) for op in ops.TABLE
    ]
    for (_, _, rule), op in zip(rows, ops.TABLE, strict=True):
        assert rule == op.text


# --- an op added through the table works in every feature ----------------------------------------

UNARY = [op for op in ops.TABLE if len(op.inputs) == 1 and not op.params]
POINTS = {"a": 0.7, "b": 1.3}


def _pair(op: Op) -> Callable[[Any, Any], Any]:
    """op(a) * op(b), on Values or tensors, through the op's torch name."""
    return lambda a, b: getattr(a, op.torch)() * getattr(b, op.torch)()


@pytest.mark.parametrize("op", UNARY, ids=eager.key)
def test_an_op_in_backward_steps_drawings_and_flipbook_text(op: Op) -> None:
    from engine import backward_steps
    from viz import draw_dot
    from viz.flipbook_writer import rule_of

    a, b = Value(POINTS["a"], label="a"), Value(POINTS["b"], label="b")
    out = _pair(op)(a, b)
    steps = list(backward_steps(out))
    assert [s.node._op for s in steps] == ["*", op.name, op.name]
    for step in steps:
        assert all(map(same, [u.local for u in step.updates], step.node.local_grads()))
    stepped = (a.grad, b.grad)
    a.grad = b.grad = 0.0
    out.backward()
    assert (a.grad, b.grad) == stepped
    assert f"op {op.name} -> data" in draw_dot(out).source
    assert rule_of(op.name) == op.text


@pytest.mark.parametrize("op", UNARY, ids=eager.key)
def test_an_op_on_the_command_line(op: Op, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    from viz.__main__ import main

    out = tmp_path / "g.dot"
    expression = f"{op.torch}(a)*{op.torch}(b)"
    assert main([expression, "a=0.7", "b=1.3", "-o", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    a, b = Value(0.7), Value(1.3)
    value = _pair(op)(a, b)
    value.backward()
    assert printed[0] == f"{expression} = {value.data!r}"
    assert f"op {op.name} -> data" in out.read_text(encoding="utf-8")


def test_python_m_viz_draws_sin_times_cos(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "g.dot"
    run = subprocess.run([sys.executable, "-m", "viz", "sin(a)*cos(b)", "a=0.5", "b=2",
                          "-o", str(out)], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent.parent)
    assert run.stdout.startswith(f"sin(a)*cos(b) = {math.sin(0.5) * math.cos(2.0)!r}")
    text = out.read_text(encoding="utf-8")
    assert "op sin -> data" in text and "op cos -> data" in text


@pytest.mark.parametrize("op", UNARY, ids=eager.key)
def test_an_op_under_jit_scalar_and_batch(op: Op) -> None:
    np = pytest.importorskip("numpy")
    fn = _pair(op)
    compiled = jit(fn)
    for a0, b0 in [(0.7, -1.3), (0.0, -0.0), (2.5, 1e-3), (-2.0, math.inf)]:
        runs = []
        for runner in (fn, compiled):
            a, b = Value(a0), Value(b0)
            out = runner(a, b)
            out.backward()
            runs.append((out.data, a.grad, b.grad))
        assert all(map(same, *runs)), (op, a0, b0, runs)
    xs = np.array([0.7, 0.4, 1.9, 3.0])
    b = Value(1.3)
    mean = compiled(xs, b)
    mean.backward()
    eager_values = [fn(Value(float(x)), Value(1.3)) for x in xs]
    assert mean.data == pytest.approx(sum(v.data for v in eager_values) / 4, rel=1e-12)
    want = 0.0
    for x in xs:
        leaf = Value(1.3)
        fn(Value(float(x)), leaf).backward()
        want += leaf.grad / 4
    assert b.grad == pytest.approx(want, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("op", UNARY, ids=eager.key)
def test_an_op_in_anomaly_mode_and_gradient_checks(op: Op) -> None:
    from engine import compare_with_torch, detect_anomaly, gradcheck, origin

    with detect_anomaly():
        node = getattr(Value(0.7), op.torch)()
    assert origin(node) is not None and "test_ops.py" in origin(node)  # type: ignore[operator]
    assert gradcheck(_pair(op), POINTS).ok
    pytest.importorskip("torch")
    assert compare_with_torch(_pair(op), POINTS, rtol=1e-12).ok


def test_abs_then_log_at_zero_is_caught_by_anomaly_mode() -> None:
    from engine import detect_anomaly

    with detect_anomaly(), pytest.raises(FloatingPointError, match="log gave -inf"):
        Value(0.0).abs().log()


def test_maximum_minimum_take_numbers_and_clamp_needs_a_bound() -> None:
    x = Value(0.25)
    for method in ("maximum", "minimum"):
        with_number = getattr(x, method)(0.5)
        with_value = getattr(x, method)(Value(0.5))
        assert with_number.data == with_value.data and with_number._op == method
    assert Value(-3.0).clamp(min=-1.0).data == -1.0 and Value(7.0).clamp(max=2.0).data == 2.0
    with pytest.raises(ValueError, match="clamp needs min or max"):
        x.clamp()
    with pytest.raises(TypeError, match="unsupported operand for clamp"):
        x.clamp("0")  # type: ignore[arg-type]
