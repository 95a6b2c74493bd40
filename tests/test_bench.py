"""The benchmark's workloads compute what they claim, on glassgrad and on micrograd alike."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

import engine
from bench import anomaly_cost, workloads
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


@pytest.mark.parametrize("make", [anomaly_cost.node_with_flag, anomaly_cost.node_without_flag])
def test_the_benchs_node_makers_make_the_engines_node(make: Callable[..., engine.Value]) -> None:
    """The anomaly-overhead row times two makers written in the bench: each must still make,
    slot for slot, the node the engine's own maker makes (a new slot fails here)."""
    a, b = engine.Value(2.0), engine.Value(3.0)
    shipped = a * b
    ours = make(6.0, (a, b), "*", shipped._grad_fn)
    for slot in engine.Value.__slots__:
        if slot == "_origin":  # set only inside detect_anomaly()
            continue
        assert getattr(ours, slot) == getattr(shipped, slot), slot
    ours.backward()
    assert (a.grad, b.grad) == (3.0, 2.0)


def test_only_the_flagged_maker_checks_new_nodes_in_anomaly_mode() -> None:
    a = engine.Value(-1.0)
    rule = engine.Value(2.0).log()._grad_fn
    with engine.detect_anomaly(), pytest.raises(FloatingPointError, match="log"):
        anomaly_cost.node_with_flag(math.nan, (a,), "log", rule)
    with engine.detect_anomaly():
        node = anomaly_cost.node_without_flag(math.nan, (a,), "log", rule)
    assert math.isnan(node.data)


def test_seconds_per_node_times_both_makers() -> None:
    best = anomaly_cost.seconds_per_node(rounds=1, calls=10)
    assert set(best) == {"with", "without"} and all(0 < s < 1e-3 for s in best.values())
