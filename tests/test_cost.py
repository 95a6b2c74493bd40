"""Tests for the cost study: exact node counts, finite differences against backprop, the plot."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from demos import abc, abc_hand, cost
from engine import Value, linalg, no_grad, topological_order
from engine.forward import push_tangents
from tests.support import png_size


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6])
def test_abc_node_counts_follow_the_formulas(k: int) -> None:
    assert cost.count_ops(abc.sample_graph(k, seed=k)) == 6 * k * k + k - 1
    assert abc.abc_ops(k) == 6 * k * k + k - 1


@pytest.mark.parametrize("k", [1, 2, 3])
def test_measured_row_counts(k: int) -> None:
    row = abc.abc_cost_row(k, seed=1, budget=0.0)
    ops = 6 * k * k + k - 1
    assert (row.params, row.ops) == (3 * k * k, ops)
    assert row.backprop_nodes == 2 * ops
    assert row.fd_nodes == 2 * 3 * k * k * ops
    assert row.backprop_seconds > 0 and row.fd_seconds > 0
    assert row.backprop_runs >= 1 and row.fd_runs >= 1
    assert row.max_rel_diff < 1e-6
    # Forward mode: P forward passes of N nodes, plus the tangents of the nodes each parameter
    # reaches (at least the path to L, at most all N), exact to rounding.
    forward = row.costs["forward"]
    assert row.params * ops < forward.nodes <= 2 * row.params * ops
    assert forward.seconds > 0 and forward.runs >= 1
    assert forward.max_rel_diff < 1e-12


@pytest.mark.parametrize("k", [1, 2, 4])
def test_finite_differences_agree_with_backprop(k: int) -> None:
    graph = abc.build_from_floats(*abc.random_point(k, seed=11))
    params = linalg.parameters(graph.A, graph.B, graph.C)
    before = [p.data for p in params]

    def loss_fn() -> Value:
        return abc.build(graph.x, graph.A, graph.B, graph.C).L

    backprop = cost.backprop_gradients(loss_fn, params)
    numeric = cost.fd_gradients(loss_fn, params)
    assert [p.data for p in params] == before  # every nudge was undone
    assert cost.max_relative_difference(numeric, backprop) < 1e-6
    forward = cost.forward_gradients(loss_fn, params)
    assert cost.max_relative_difference(forward, backprop) < 1e-13
    # The count is the tangents forward mode computes, one pass per parameter, plus N a pass.
    tangents = sum(len(push_tangents(topological_order(loss_fn()), {id(p): 1.0})) - 1
                   for p in params)
    assert cost.forward_mode_nodes(loss_fn, params) == (
        len(params) * cost.count_ops(loss_fn()) + tangents)
    # and backprop is the hand formula
    x, a, b, c = (linalg.data_of([graph.x])[0], linalg.data_of(graph.A),
                  linalg.data_of(graph.B), linalg.data_of(graph.C))
    hand = abc_hand.gradients(x, a, b, c)
    flat = [e for m in (hand.dA, hand.dB, hand.dC) for row in m for e in row]
    assert cost.max_relative_difference(backprop, flat) < 1e-12


def test_lab1_network_row() -> None:
    row = cost.lab1_cost_row(hidden=(3,), seed=0, budget=0.0)
    assert row.params == 2 * 3 + 3 + 3 + 1
    # by default, the network Lab 1 trains: 2-4-4-1 (issue 9: "at its default size")
    default = cost.lab1_cost_row(budget=0.0)
    assert default.name == "Lab 1 MLP 2-4-4-1" and default.params == (2 + 1) * 4 + (4 + 1) * 4 + 5
    assert row.backprop_nodes == 2 * row.ops
    assert row.fd_nodes == 2 * row.params * row.ops
    assert row.max_rel_diff < 1e-6


def test_fit_slope_and_relative_difference() -> None:
    xs = [3.0, 12.0, 48.0, 192.0]
    assert cost.fit_slope(xs, [5.0 * x**2 for x in xs]) == pytest.approx(2.0, rel=1e-12)
    assert cost.fit_slope(xs, [0.1 * x for x in xs]) == pytest.approx(1.0, rel=1e-12)
    with pytest.raises(ValueError, match="two different x values"):
        cost.fit_slope([2.0, 2.0], [1.0, 3.0])
    assert cost.max_relative_difference([1.0, 2.5], [1.0, 2.0]) == pytest.approx(0.25)
    assert cost.max_relative_difference([0.0, 0.1], [0.0, 0.0]) == pytest.approx(0.1)


def test_median_seconds_counts_runs() -> None:
    calls: list[int] = []
    _, runs = cost.median_seconds(lambda: calls.append(1), budget=0.0)
    assert runs == 1 and len(calls) == 1
    median, runs = cost.median_seconds(lambda: calls.append(1), budget=100.0, max_runs=4,
                                       first=50.0)
    assert runs == 4 and len(calls) == 4
    assert median < 50.0  # three fast runs against one slow one


def test_slopes_of_node_counts_and_plot(tmp_path: Path) -> None:
    rows = [abc.abc_cost_row(k, budget=0.0) for k in (1, 2, 4, 8)]
    fitted = cost.slopes(rows)
    # Nodes: 2N = 12K^2 + 2K - 2 grows like P = 3K^2; 2PN like P^2 (slightly under, from K - 1).
    assert fitted["backprop nodes"] == pytest.approx(1.0, abs=0.05)
    assert fitted["fd nodes"] == pytest.approx(2.0, abs=0.05)
    assert math.isclose(fitted["fd nodes"] - fitted["backprop nodes"], 1.0, rel_tol=1e-12)
    assert fitted["forward nodes"] == pytest.approx(2.0, abs=0.1)
    table = cost.format_table(rows)
    assert "K=8" in table and str(rows[-1].fd_nodes) in table
    path = cost.plot(rows, tmp_path / "cost.png", "test")
    width, height = png_size(path)
    assert width >= 800 and height >= 300


def test_cost_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert abc.main(["--cost", "--cost-k", "1", "2", "3", "--no-lab1", "--out",
                     str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "log-log slopes" in printed
    assert (tmp_path / "cost.png").exists() and (tmp_path / "cost.txt").exists()
    assert not (tmp_path / "sample.txt").exists()  # --cost runs the cost study alone
    png_size(tmp_path / "cost.png")


def test_a_single_size_is_tabled_and_plotted_without_slopes(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    assert cost.slopes([abc.abc_cost_row(1, budget=0.0)]) == {}
    assert abc.main(["--cost", "--cost-k", "2", "--no-lab1", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "K=2" in printed and "log-log slopes" not in printed
    png_size(tmp_path / "cost.png")


def _one_sided(loss_fn: Callable[[], Value], params: Sequence[Value]) -> list[float]:
    """(L(p + h) - L(p)) / h: P + 1 forward passes, a method the study does not ship."""
    grads = []
    with no_grad():
        base = loss_fn().data
        for p in params:
            x = p.data
            p.data = x + 1e-7
            grads.append((loss_fn().data - base) / 1e-7)
            p.data = x
    return grads


def test_a_third_method_gets_its_own_columns_slopes_and_points(tmp_path: Path) -> None:
    third = cost.Method("os", "one-sided differences", "one-sided", "PN",
                        nodes=lambda p, n: p * n, gradients=_one_sided, max_runs=1)
    methods = (cost.BACKPROP, cost.CENTRAL_DIFFERENCES, third)
    rows = []
    for k in (2, 3):
        graph = abc.build_from_floats(*abc.random_point(k, seed=5))

        def loss_fn(graph: abc.AbcGraph = graph) -> Value:
            return abc.build(graph.x, graph.A, graph.B, graph.C).L

        params = linalg.parameters(graph.A, graph.B, graph.C)
        rows.append(cost.measure(f"K={k}", loss_fn, params, budget=0.0, methods=methods))
    costs = rows[0].costs
    assert list(costs) == ["backprop", "fd", "os"]
    assert costs["os"].nodes == 12 * 25 and costs["backprop"].max_rel_diff == 0.0
    assert 1e-9 < costs["os"].max_rel_diff < 1e-4 and costs["fd"].max_rel_diff < 1e-8
    header = cost.format_table(rows, methods).splitlines()[0].split()
    assert " ".join(header[5:]) == (
        "backprop nodes fd nodes os nodes backprop s fd s os s fd / backprop os / backprop "
        "fd max rel diff os max rel diff")
    assert set(cost.slopes(rows, methods)) == {
        f"{m} {what}" for what in ("time", "nodes") for m in ("backprop", "fd", "os")}
    png_size(cost.plot(rows, tmp_path / "three.png", "three methods", rows[:1], methods))
