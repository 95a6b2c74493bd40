"""The benchmark's workloads compute what they claim, on glassgrad and on micrograd alike."""

from __future__ import annotations

import pytest

import engine
from bench import workloads
from bench.__main__ import _without_anomaly_check
from engine import value as value_module
from nn import MLP, make_moons


def test_chain_gradient_is_the_product_of_the_factors() -> None:
    y = workloads.chain(engine.Value, 1000)
    x = next(node for node in engine.topological_order(y) if node.data == 1.0 and not node._prev)
    assert x.grad == pytest.approx(1.0000001**1000, rel=1e-12)


def test_sum_of_products_gradients() -> None:
    total = workloads.sum_of_products(engine.Value, 50)
    pairs = [node for node in engine.topological_order(total) if node._op == "*"]
    assert len(pairs) == 50
    for product in pairs:
        a, b = product._prev
        assert (a.grad, b.grad) == (b.data, a.data)


def test_moons_step_lowers_the_loss_and_jit_matches_eager() -> None:
    points, labels = make_moons(20, noise=0.1, seed=0)
    eager, compiled_model = MLP(2, [4, 1], seed=3), MLP(2, [4, 1], seed=3)
    compiled = engine.jit(lambda xs, ys: workloads.hinge_l2_loss(compiled_model, xs, ys))
    losses = []
    for _ in range(3):
        losses.append(workloads.moons_step(engine.Value, eager, points, labels))
        assert workloads.jit_moons_step(compiled, compiled_model, points, labels) == losses[-1]
    assert losses[-1] < losses[0]
    assert [p.data for p in eager.parameters()] == [p.data for p in compiled_model.parameters()]


def test_micrograd_runs_the_same_workload_source() -> None:
    micrograd = pytest.importorskip("micrograd.engine")
    ours = workloads.chain(engine.Value, 200)
    theirs = workloads.chain(micrograd.Value, 200)
    assert ours.data == theirs.data


def test_the_flag_free_node_maker_still_matches_the_shipped_one() -> None:
    """The anomaly-overhead row compares against _make_node minus its two anomaly lines."""
    without = _without_anomaly_check(value_module)
    a, b = engine.Value(2.0), engine.Value(3.0)
    node = without(6.0, (a, b), "*", (a * b)._grad_fn)
    assert (node.data, node._prev, node._op, node.local_grads()) == (6.0, (a, b), "*", (3.0, 2.0))
    node.backward()
    assert (a.grad, b.grad) == (3.0, 2.0)
