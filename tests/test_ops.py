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
    ops.POW: lambda a, b: a**b,
    ops.POW_NUMBER: lambda x, n: x**n,
    ops.EXP: lambda x: x.exp(),
    ops.LOG: lambda x: x.log(),
    ops.TANH: lambda x: x.tanh(),
    ops.SIGMOID: lambda x: x.sigmoid(),
    ops.RELU: lambda x: x.relu(),
}

EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, math.inf, -math.inf, math.nan, 1000.0, -1000.0,
         5e-324, -5e-324, 2.2250738585072014e-308, 1e-310, -1e-310, 1e300]
FLOAT = st.one_of(st.sampled_from(EDGES), st.floats(allow_nan=True, allow_infinity=True))
#: Number parameters, by name: the exponents the engine special-cases, and any float.
PARAMS: dict[str, st.SearchStrategy[float]] = {
    "n": st.one_of(st.sampled_from([0.0, 1.0, 2.0, 3.0, 0.5, -0.5, -1.0, 1 / 3, -2.5]),
                   st.floats(-5.0, 5.0)),
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


_JITTED: dict[tuple[Op, tuple[float, ...]], Any] = {}


@pytest.mark.parametrize("op", ops.TABLE, ids=eager.key)
def test_jit_reading_is_bit_identical(op: Op) -> None:
    """engine.jit's scalar code (the codegen's reading of the rule) computes the eager numbers."""

    @settings(max_examples=60, deadline=None)
    @given(case(op))
    def check(example: tuple[list[float], list[float], float]) -> None:
        xs, params, _ = example
        key = (op, tuple(params))
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


def test_readme_op_table_matches_the_op_table() -> None:
    """The README's table of ops lists each op of the table once, by torch name and spelling."""
    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \| `([^`]+)` \| (.+?) \|$", text, re.M)
    assert rows, "the README has no op table"
    assert [(torch, spelling) for torch, spelling, _ in rows] == [
        (op.torch, op.spelling) for op in ops.TABLE
    ]
    for (_, _, rule), op in zip(rows, ops.TABLE, strict=True):
        assert rule == op.text
