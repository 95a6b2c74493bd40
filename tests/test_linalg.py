"""Tests for engine.linalg: values, gradients (torch, central differences), node counts, errors."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value, gradcheck, linalg, topological_order

finite = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False)


def _random(rows: int, cols: int, seed: int) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.uniform(-2.0, 2.0) for _ in range(cols)] for _ in range(rows)]


def test_vector_and_matrix_labels_count_from_one() -> None:
    x = linalg.vector([1.0, 2.0], "x")
    m = linalg.matrix([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "A")
    assert [v.label for v in x] == ["x[1]", "x[2]"]
    assert m[1][2].label == "A[2,3]" and m[1][2].data == 6.0
    assert linalg.shape(m) == (2, 3)
    assert all(not v._prev for row in m for v in row)
    assert [v.label for v in linalg.vector([1.0])] == [""]


def test_matvec_values_and_node_count() -> None:
    data = _random(3, 4, 0)
    xs = [0.5, -1.0, 2.0, 0.25]
    out = linalg.matvec(linalg.matrix(data), linalg.vector(xs))
    for row, value in zip(data, out, strict=True):
        expected = row[0] * xs[0] + row[1] * xs[1] + row[2] * xs[2] + row[3] * xs[3]
        assert value.data == expected  # same order of additions, so bit for bit
    # One root over the three rows: 3 x 4 products, 3 x 3 row sums, 2 sums joining rows.
    root = linalg.vsum(out)
    ops = sum(1 for node in topological_order(root) if node._prev)
    assert ops == 3 * 4 + 3 * 3 + 2


def test_gradients_against_hand_formulas() -> None:
    # L = ||M x||^2: dL/dM = 2 (M x) x^T and dL/dx = M^T 2 M x.
    data = _random(3, 3, 1)
    xs = [0.3, -0.7, 1.1]
    m, x = linalg.matrix(data, "M"), linalg.vector(xs, "x")
    y = linalg.matvec(m, x)
    loss = linalg.squared_norm(y)
    loss.backward()
    ys = [v.data for v in y]
    for i in range(3):
        for j in range(3):
            assert m[i][j].grad == pytest.approx(2.0 * ys[i] * xs[j], rel=1e-14)
    for j in range(3):
        expected = sum(data[i][j] * 2.0 * ys[i] for i in range(3))
        assert x[j].grad == pytest.approx(expected, rel=1e-13)


@pytest.mark.torch
@settings(max_examples=25, deadline=None)
@given(st.lists(finite, min_size=6, max_size=6), st.lists(finite, min_size=3, max_size=3))
def test_composition_against_torch(entries: list[float], xs: list[float]) -> None:
    import torch

    data = [entries[0:3], entries[3:6]]
    m, x = linalg.matrix(data, "M"), linalg.vector(xs, "x")
    u = linalg.vmap(Value.sigmoid, linalg.matvec(m, x))
    o = linalg.outer(u, x[:2])
    loss = linalg.vsum([linalg.dot(row, u) for row in o]) + linalg.squared_norm(linalg.vadd(u, u))
    loss.backward()

    tm = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    tx = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    tu = torch.sigmoid(tm @ tx)
    to = torch.outer(tu, tx[:2])
    tloss = (to @ tu).sum() + ((tu + tu) ** 2).sum()
    tloss.backward()
    assert loss.data == pytest.approx(tloss.item(), rel=1e-12, abs=1e-14)
    for mine, theirs in zip(linalg.grad_of(m), tm.grad.tolist(), strict=True):
        assert mine == pytest.approx(theirs, rel=1e-12, abs=1e-14)
    assert [v.grad for v in x] == pytest.approx(tx.grad.tolist(), rel=1e-12, abs=1e-14)


def test_gradcheck_of_a_matrix_expression() -> None:
    def fn(*leaves: Value) -> Value:
        m = [list(leaves[0:2]), list(leaves[2:4])]
        x = list(leaves[4:6])
        return linalg.squared_norm(linalg.vmap(Value.tanh, linalg.matvec(m, x)))

    report = gradcheck(fn, [0.3, -1.2, 0.8, 0.5, 1.5, -0.4])
    assert report.ok, report.table()


def test_outer_dot_data_and_parameters() -> None:
    a, b = linalg.vector([1.0, 2.0]), linalg.vector([3.0, 4.0, 5.0])
    assert linalg.data_of(linalg.outer(a, b)) == [[3.0, 4.0, 5.0], [6.0, 8.0, 10.0]]
    assert linalg.dot(a, a).data == 5.0
    m1, m2 = linalg.matrix([[1.0]]), linalg.matrix([[2.0, 3.0]])
    assert [p.data for p in linalg.parameters(m1, m2)] == [1.0, 2.0, 3.0]
    named = linalg.label(linalg.vadd(a, a), "s")
    assert [v.label for v in named] == ["s[1]", "s[2]"]
    assert math.isclose(linalg.squared_norm(b).data, 50.0)


def test_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match=r"rows of one length, got lengths \[2, 1\]"):
        linalg.matrix([[1.0, 2.0], [3.0]])
    with pytest.raises(ValueError, match="2x2 matrix and 3 entries"):
        linalg.matvec(linalg.matrix([[1.0, 2.0], [3.0, 4.0]]), linalg.vector([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"vadd\(\) needs equal lengths, got 1 and 2"):
        linalg.vadd(linalg.vector([1.0]), linalg.vector([1.0, 2.0]))
    with pytest.raises(ValueError, match="empty vector"):
        linalg.vsum([])
    with pytest.raises(TypeError, match="sequence of floats, got 'ab'"):
        linalg.vector("ab")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="needs an int or float"):
        linalg.vector([None])  # type: ignore[list-item]
