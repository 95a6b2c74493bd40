"""Tests for the A/B/C demo: engine, hand formulas and torch agree; descent; the demo's files."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from demos import abc, abc_hand
from engine import Value, gradcheck, topological_order
from tests.support import png_size

SIZES = [1, 2, 3, 4, 5]
SEEDS = [0, 1, 7]


def assert_close_blocks(got: list[list[float]], want: list[list[float]], rtol: float) -> None:
    """Every entry within rtol of the block's largest entry (normwise, so near-0 entries that
    come out of cancelling sums do not make the test flaky)."""
    scale = max(abs(v) for row in want for v in row)
    for got_row, want_row in zip(got, want, strict=True):
        for g, w in zip(got_row, want_row, strict=True):
            assert abs(g - w) <= rtol * scale, (g, w, scale)


@pytest.mark.parametrize("k", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
def test_engine_matches_hand_formulas(k: int, seed: int) -> None:
    result = abc.compare(k, seed, use_torch=False)
    assert result.torch_loss is None
    assert result.graph.L.data == pytest.approx(result.hand.L, rel=1e-14)
    for name in ("y", "u", "v", "z", "w"):
        assert [v.data for v in getattr(result.graph, name)] == pytest.approx(
            getattr(result.hand, name), rel=1e-14, abs=1e-15)
    for block in result.blocks:
        assert block.torch is None
        assert_close_blocks(block.engine, block.hand, 1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("k", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
def test_engine_hand_and_torch_agree(k: int, seed: int) -> None:
    result = abc.compare(k, seed)
    assert result.torch_loss is not None
    assert result.graph.L.data == pytest.approx(result.torch_loss, rel=1e-12)
    for block in result.blocks:
        assert block.torch is not None
        assert_close_blocks(block.engine, block.torch, 1e-12)
        assert_close_blocks(block.hand, block.torch, 1e-12)
        assert block.max_abs_diff(block.torch) is not None
    text = abc.format_comparison(result)
    for name in ("A", "B", "C", "x"):  # each block states all three pairwise differences
        assert f"dL/d{name}: max |engine - hand| = " in text
    assert text.count("max |engine - torch| = ") == text.count("max |hand - torch| = ") == 4


def test_hand_formula_for_k1_by_substitution() -> None:
    # K = 1: L = (c (s(a x) + b x))^2, so dL/dc = 2 w z, dL/db = 2 w c x,
    # dL/da = 2 w c s (1 - s) x, dL/dx = 2 w c (s (1 - s) a + b).
    x, a, b, c = 0.7, -1.3, 0.4, 2.1
    s = 1.0 / (1.0 + pow(2.718281828459045, 1.3 * 0.7))
    z = s + b * x
    w = c * z
    hand = abc_hand.gradients([x], [[a]], [[b]], [[c]])
    loss = hand.L
    assert loss == pytest.approx(w * w, rel=1e-13)
    assert hand.dC[0][0] == pytest.approx(2 * w * z, rel=1e-13)
    assert hand.dB[0][0] == pytest.approx(2 * w * c * x, rel=1e-13)
    assert hand.dA[0][0] == pytest.approx(2 * w * c * s * (1 - s) * x, rel=1e-13)
    assert hand.dx[0] == pytest.approx(2 * w * c * (s * (1 - s) * a + b), rel=1e-13)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_gradcheck_on_the_whole_graph(k: int) -> None:
    x, a, b, c = abc.random_point(k, seed=3)
    flat = x + [e for m in (a, b, c) for row in m for e in row]

    def fn(*leaves: Value) -> Value:
        xs = list(leaves[:k])
        rest = leaves[k:]
        mats = [[list(rest[m * k * k + i * k: m * k * k + (i + 1) * k]) for i in range(k)]
                for m in range(3)]
        return abc.build(xs, *mats).L

    report = gradcheck(fn, flat)
    assert report.ok, report.table()
    assert len(report.rows) == 3 * k * k + k


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_sample_graph_is_labelled_and_scoped(k: int) -> None:
    root = abc.sample_graph(k, seed=0)
    order = topological_order(root)
    assert len(order) == 9 * k * k + 2 * k - 1  # 3K^2 + K leaves, 6K^2 + K - 1 ops
    assert sum(1 for n in order if n._prev) == abc.abc_ops(k)
    assert {n.scope for n in order} == {"", "y", "u", "v", "z", "w", "L"}
    assert root.label == "L" and root.scope == "L"
    leaves = {n.label for n in order if not n._prev}
    assert f"A[{k},{k}]" in leaves and "x[1]" in leaves and f"C[1,{k}]" in leaves
    labelled = {n.label for n in order if n._prev and n.label}
    for name in ("y", "u", "v", "z", "w"):
        assert {f"{name}[{i}]" for i in range(1, k + 1)} <= labelled
    # Each scope holds exactly its block's nodes.
    in_scope = {s: sum(1 for n in order if n.scope == s) for s in ("y", "u", "v", "z", "w")}
    assert in_scope == {"y": 2 * k * k - k, "u": k, "v": 2 * k * k - k, "z": k,
                        "w": 2 * k * k - k}


def test_sample_graph_repeats_and_checks_k() -> None:
    assert abc.sample_graph(3, 5).data == abc.sample_graph(3, 5).data
    assert abc.sample_graph(3, 5).data != abc.sample_graph(3, 6).data
    with pytest.raises(ValueError, match="K must be a positive int, got 0"):
        abc.sample_graph(0)


def test_descent_lowers_the_mean_loss_at_a_small_rate() -> None:
    training = abc.train(k=2, n=8, lr=0.01, epochs=6, seed=2, progress=False)
    assert len(training.losses) == 7
    losses = training.losses
    assert all(losses[i + 1] < losses[i] for i in range(len(losses) - 1))
    assert abc.frobenius(training.C) < abc.frobenius(training.C_start)


def test_descent_step_is_the_gradient_step() -> None:
    # One epoch by hand: the mean of the hand gradients over the inputs, times lr.
    k, n, lr, seed = 2, 3, 0.1, 4
    import random

    rng = random.Random(seed)
    a, b, c = (abc.random_matrix(k, rng) for _ in range(3))
    inputs = [[rng.uniform(-1.0, 1.0) for _ in range(k)] for _ in range(n)]
    grads = [abc_hand.gradients(x, a, b, c) for x in inputs]
    training = abc.train(k, n, lr, epochs=1, seed=seed, progress=False)
    for start, trained, name in ((a, training.A, "dA"), (b, training.B, "dB"),
                                 (c, training.C, "dC")):
        for i in range(k):
            for j in range(k):
                mean = sum(getattr(g, name)[i][j] for g in grads) / n
                assert trained[i][j] == pytest.approx(start[i][j] - lr * mean, rel=1e-12)
    assert training.losses[0] == pytest.approx(sum(g.L for g in grads) / n, rel=1e-13)


def test_comparison_text_has_full_precision_and_differences() -> None:
    result = abc.compare(2, 0, use_torch=False)
    text = abc.format_comparison(result)
    assert repr(result.graph.L.data) in text
    assert repr(result.blocks[0].engine[1][0]) in text
    assert "dL/dA[2,1]" in text and "dL/dx[2]" in text
    assert text.count("max |engine - hand|") == 4
    assert "torch comparison switched off" in text


def test_demo_runs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "abc"
    assert abc.main(["--out", str(out), "--k", "2", "--n", "5", "--epochs", "4",
                     "--no-progress", "--no-torch", "--print-every", "1"]) == 0
    printed = capsys.readouterr().out
    assert "final mean loss" in printed and "C z = 0 for every input: C = 0 is one" in printed
    assert (out / "sample.txt").read_text().startswith("One sample")
    rows = (out / "losses.csv").read_text().splitlines()
    assert rows[0] == "epoch,mean_loss" and len(rows) == 1 + 5
    losses = [float(r.split(",")[1]) for r in rows[1:]]
    assert losses[-1] < losses[0]
    width, height = png_size(out / "loss.png")
    assert width >= 400 and height >= 300
    drawings = list(out.glob("graph_k2.*"))
    assert len(drawings) == 1


@pytest.mark.dot
def test_graph_drawing_has_the_blocks(tmp_path: Path) -> None:
    path = abc.draw_graph(tmp_path, k=2, seed=0)
    assert path.suffix == ".svg"
    root = ET.parse(path).getroot()
    ns = {"svg": "http://www.w3.org/2000/svg"}
    texts = {t.text for t in root.iterfind(".//svg:text", ns)}
    assert {"y", "u", "v", "z", "w"} <= texts  # the cluster captions
    clusters = [g for g in root.iterfind(".//svg:g", ns) if g.get("class") == "cluster"]
    assert len(clusters) == 6  # y, u, v, z, w and L


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(SystemExit, match="--k, --n and --cost-k must be >= 1"):
        abc.main(["--k", "0"])


def test_without_torch_the_comparison_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    result = abc.compare(2, 0)
    assert result.torch_loss is None
    assert all(block.torch is None for block in result.blocks)
    text = abc.format_comparison(result)
    assert "torch is not installed: engine vs hand only (pip install torch==2.13.0)" in text
    assert "max |engine - torch|" not in text


def test_without_dot_the_drawing_is_dot_text(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no Graphviz programs to find
    path = abc.draw_graph(tmp_path, k=2, seed=0)
    assert path.name == "graph_k2.dot"
    text = path.read_text()
    assert text.startswith("digraph") and "cluster" in text and "y[1]" in text
