"""Tests for nn.train: online, full-batch and minibatch loops, early stop, divergence, seeds."""

from __future__ import annotations

import itertools
import math
import re
import sys
from collections.abc import Sequence

import pytest

from engine import Value
from nn import (
    MLP,
    CompiledStep,
    Module,
    accuracy,
    binary_cross_entropy_with_logits,
    eager_step,
    generate_linear,
    generate_xor_easy,
    mse_loss,
    predict,
    train,
)


class Scale(Module):
    """y = w * x[0]: one parameter, so every update can be derived by hand."""

    def __init__(self, w: float) -> None:
        self.w = Value(w, label="w")

    def forward(self, x: Sequence[float]) -> Value:
        return self.w * x[0]

    def parameters(self) -> list[Value]:
        return [self.w]


def test_a_seeded_run_repeats_bit_for_bit() -> None:
    points, labels = generate_linear(30, seed=0)
    targets = [float(y) for y in labels]

    def run() -> tuple[list[float], list[float]]:
        model = MLP(2, [4, 1], "sigmoid", seed=5)
        result = train(model, points, targets, lr=0.2, epochs=15, shuffle=9, progress=False)
        return result.losses, [p.data for p in model.parameters()]

    first, again = run(), run()
    assert first == again
    assert len(first[0]) == 15 and first[0][-1] < first[0][0]


@pytest.mark.parametrize("batch_size", [1, 4, None])
def test_a_compiled_step_trains_exactly_as_the_eager_one(batch_size: int | None) -> None:
    """engine.jit replays the same arithmetic, so training is the same to the last bit."""
    points, labels = generate_linear(10, seed=3)
    targets = [float(y) for y in labels]

    def run(step: object) -> tuple[list[float], list[float]]:
        model = MLP(2, [3, 3, 1], "sigmoid", seed=2)
        result = train(model, points, targets, lr=0.3, epochs=4, batch_size=batch_size,
                       momentum=0.5, loss_fn=binary_cross_entropy_with_logits,
                       progress=False, step=step)  # type: ignore[arg-type]
        return result.losses, [p.data for p in model.parameters()]

    compiled = CompiledStep()
    assert run(compiled) == run(eager_step)
    # Batches of 10 samples in 4 give sizes 4, 4 and 2: one trace per size, none per call.
    assert compiled._compiled is not None
    assert compiled._compiled.traces == {1: 1, 4: 2, None: 1}[batch_size]


def test_xor_is_learned_with_a_nonlinearity_and_not_without() -> None:
    points, labels = generate_xor_easy()
    targets = [float(y) for y in labels]
    model = MLP(2, [8, 1], "tanh", seed=0, weight_scale=2.0)
    train(model, points, targets, lr=0.1, epochs=300, progress=False)
    assert accuracy(predict(model, points), labels) == 1.0
    linear = MLP(2, [8, 1], "linear", seed=0, weight_scale=2.0)
    result = train(linear, points, targets, lr=0.01, epochs=300, progress=False)
    assert not result.diverged
    # a linear function of (x1, x2) cannot separate the two diagonals
    assert accuracy(predict(linear, points), labels) <= 0.8


def test_divergence_stops_at_the_first_infinite_loss_and_keeps_the_curve() -> None:
    # loss = (w x)^2 with x = 1: w <- w (1 - 2 lr), so w_k = (1 - 2e50)^k and the loss before
    # epoch k's update is w_(k-1)^2: 1, ~4e100, ~1.6e201, ~6.4e301, then inf at epoch 5.
    model = Scale(1.0)
    result = train(model, [[1.0]], [0.0], lr=1e50, epochs=20, progress=False)
    assert result.diverged and not result.converged
    assert result.message == "diverged at epoch 5 (loss = inf); try a smaller learning rate"
    assert result.epochs == 5 and len(result.losses) == 4
    assert result.losses[0] == 1.0 and all(math.isfinite(x) for x in result.losses)
    # lr = 1e100: losses 1, ~4e200, then ~1.6e401 = inf in epoch 3, the README's message.
    result = train(Scale(1.0), [[1.0]], [0.0], lr=1e100, epochs=20, progress=False)
    assert result.message == "diverged at epoch 3 (loss = inf); try a smaller learning rate"
    assert result.losses == [1.0, pytest.approx(4e200, rel=1e-12)]


def test_an_epoch_loss_that_overflows_is_divergence_too() -> None:
    # Two samples, each loss 1e308 (finite), no update (x = 0 gives no gradient): the epoch sum
    # 2e308 is inf, and a curve must not hold it as if it were a number.
    model = Scale(1.0)
    big = math.sqrt(1e308)
    result = train(model, [[0.0], [0.0]], [big, big], lr=0.1, epochs=5, epoch_loss="sum",
                   progress=False)
    assert result.diverged and result.epochs == 1 and result.losses == []
    assert result.message == "diverged at epoch 1 (loss = inf); try a smaller learning rate"


def test_early_stop_when_the_epoch_loss_barely_moves() -> None:
    points, labels = generate_linear(20, seed=1)
    model = MLP(2, [3, 1], "sigmoid", seed=0)
    result = train(
        model, points, [float(y) for y in labels], lr=0.1, epochs=500, eps=1e-3, progress=False
    )
    losses = result.losses
    assert result.converged and result.epochs == len(losses) < 500
    assert abs(losses[-1] - losses[-2]) < 1e-3
    assert all(abs(a - b) >= 1e-3 for a, b in itertools.pairwise(losses[:-1]))
    assert result.message == (
        f"stopped early at epoch {result.epochs}: the epoch loss changed by less than "
        f"eps = 0.001 (loss {losses[-1]:.6g})"
    )


def test_full_batch_is_one_update_on_the_mean_loss() -> None:
    xs, ys = [[1.0], [2.0], [-3.0]], [0.5, 1.0, 2.0]
    model = Scale(0.25)
    result = train(model, xs, ys, lr=0.01, epochs=1, batch_size=None, progress=False)
    w = 0.25
    mean_loss = sum((w * x[0] - y) ** 2 for x, y in zip(xs, ys, strict=True)) / 3
    slope = sum(2 * (w * x[0] - y) * x[0] for x, y in zip(xs, ys, strict=True)) / 3
    assert result.losses == [pytest.approx(mean_loss, rel=1e-12)]
    assert model.w.data == pytest.approx(w - 0.01 * slope, rel=1e-12)


def test_online_updates_once_per_sample_and_sums_when_asked() -> None:
    xs, ys = [[1.0], [2.0]], [1.0, 0.0]
    model = Scale(0.5)
    result = train(model, xs, ys, lr=0.1, epochs=1, epoch_loss="sum", progress=False)
    w1 = 0.5 - 0.1 * 2 * (0.5 - 1.0)  # first sample's update
    w2 = w1 - 0.1 * 2 * (w1 * 2.0) * 2.0  # second sample's, from w1
    assert model.w.data == pytest.approx(w2, rel=1e-12)
    assert result.losses == [pytest.approx((0.5 - 1.0) ** 2 + (w1 * 2.0) ** 2, rel=1e-12)]


def test_minibatch_epoch_loss_weights_batches_by_size() -> None:
    calls: list[int] = []

    def counting_step(forward, loss_fn, optimizer, inputs, targets):  # type: ignore[no-untyped-def]
        calls.append(len(inputs))
        return eager_step(forward, loss_fn, optimizer, inputs, targets)

    xs = [[float(i)] for i in range(5)]
    train(
        Scale(0.0),
        xs,
        [0.0] * 5,
        lr=0.01,
        epochs=2,
        batch_size=2,
        step=counting_step,
        progress=False,
    )
    assert calls == [2, 2, 1, 2, 2, 1]


def test_training_runs_without_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    result = train(Scale(0.5), [[1.0]], [1.0], lr=0.1, epochs=3, progress=True)
    assert len(result.losses) == 3


def test_progress_bar_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    train(Scale(0.5), [[1.0]], [1.0], lr=0.1, epochs=3, progress=True, description="demo-bar")
    assert "demo-bar" in capsys.readouterr().err


def test_train_mistakes_raise_messages() -> None:
    with pytest.raises(ValueError, match=re.escape("train got 2 inputs and 1 targets")):
        train(Scale(1.0), [[1.0], [2.0]], [1.0], progress=False)
    with pytest.raises(ValueError, match=re.escape("epochs must be a positive int, got 0")):
        train(Scale(1.0), [[1.0]], [1.0], epochs=0, progress=False)
    with pytest.raises(ValueError, match=re.escape("positive int or None, got 2.5")):
        train(Scale(1.0), [[1.0]], [1.0], batch_size=2.5, progress=False)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=re.escape("'mean' or 'sum', got 'max'")):
        train(Scale(1.0), [[1.0]], [1.0], epoch_loss="max", progress=False)
    with pytest.raises(ValueError, match=re.escape("accuracy got 1 predictions and 2 labels")):
        accuracy([0.3], [0, 1])


def test_mse_loss_is_the_default_and_predict_records_no_graph() -> None:
    model = Scale(2.0)
    assert predict(model, [[1.5], [-1.0]]) == [3.0, -2.0]
    assert mse_loss(model([1.0]), 2.0).data == 0.0
    assert accuracy([0.9, 0.1, 0.6], [1, 0, 0]) == pytest.approx(2 / 3)
