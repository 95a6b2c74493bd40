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
    TrainOptions,
    accuracy,
    binary_cross_entropy_with_logits,
    eager_step,
    generate_linear,
    generate_xor_easy,
    mse_loss,
    predict,
    train,
)

QUIET = TrainOptions(progress=False)


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
        result = train(model, points, targets, lr=0.2, epochs=15,
                       options=TrainOptions(shuffle=9, progress=False))
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
        options = TrainOptions(momentum=0.5, progress=False, step=step)  # type: ignore[arg-type]
        result = train(model, points, targets, lr=0.3, epochs=4, batch_size=batch_size,
                       loss_fn=binary_cross_entropy_with_logits, options=options)
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
    train(model, points, targets, lr=0.1, epochs=300, options=QUIET)
    assert accuracy(predict(model, points), labels) == 1.0
    linear = MLP(2, [8, 1], "linear", seed=0, weight_scale=2.0)
    result = train(linear, points, targets, lr=0.01, epochs=300, options=QUIET)
    assert not result.diverged
    # a linear function of (x1, x2) cannot separate the two diagonals
    assert accuracy(predict(linear, points), labels) <= 0.8


def back(where: str) -> str:
    return f"the parameters are back where {where}; try a smaller learning rate"


def test_divergence_stops_at_the_first_infinite_loss_and_keeps_the_curve() -> None:
    # loss = (w x)^2 with x = 1: w <- w (1 - 2 lr), so w_k = (1 - 2e50)^k and the loss before
    # epoch k's update is w_(k-1)^2: 1, ~4e100, ~1.6e201, ~6.4e301, then inf at epoch 5.
    model = Scale(1.0)
    result = train(model, [[1.0]], [0.0], lr=1e50, epochs=20, options=QUIET)
    assert result.diverged and not result.stopped_early
    assert result.message == f"diverged at epoch 5 (loss = inf); {back('training began')}"
    assert result.epochs == 5 and len(result.losses) == 4
    assert result.losses[0] == 1.0 and all(math.isfinite(x) for x in result.losses)
    assert model.w.data == 1.0  # epoch 1, the lowest loss, is where training began
    # lr = 1e100: losses 1, ~4e200, then ~1.6e401 = inf in epoch 3, the README's message.
    result = train(Scale(1.0), [[1.0]], [0.0], lr=1e100, epochs=20, options=QUIET)
    assert result.message.startswith("diverged at epoch 3 (loss = inf); the parameters are back")
    assert result.losses == [1.0, pytest.approx(4e200, rel=1e-12)]


class Cube(Module):
    """y = w^3 x: on loss (w^3 - 1)^2 the curvature grows with w, so a fixed lr that is fine
    at first overshoots near the minimum and then blows up."""

    def __init__(self, w: float) -> None:
        self.w = Value(w, label="w")

    def forward(self, x: Sequence[float]) -> Value:
        return self.w**3 * x[0]

    def parameters(self) -> list[Value]:
        return [self.w]


def test_the_model_goes_back_to_the_start_of_its_lowest_epoch() -> None:
    # Full batch: one update per epoch, so an epoch's loss is exactly the loss where it began.
    # From w = 0.1 at lr = 1 the losses fall to ~0.099 in epoch 4, then overshoot and grow to
    # inf in epoch 8: the model goes back to epoch 4's start, whose loss it gives again.
    model = Cube(0.1)
    result = train(model, [[1.0]], [1.0], lr=1.0, epochs=60, batch_size=None, options=QUIET)
    losses = result.losses
    assert result.diverged and result.epochs == 8 and len(losses) == 7
    assert losses[:4] == sorted(losses[:4], reverse=True) and min(losses) == losses[3] < 0.1
    assert result.message == (
        "diverged at epoch 8 (loss = inf); "
        + back(f"epoch 4 began (the lowest epoch loss, {losses[3]:.6g})")
    )
    assert (model.w.data**3 - 1.0) ** 2 == pytest.approx(losses[3], rel=1e-12)


def test_an_update_that_overflows_is_undone() -> None:
    # loss = (w x - 0)^2 at w = 1, x = 1e150: the loss 1e300 and its gradient 2e300 are finite,
    # but w - lr * 2e300 with lr = 1e10 is -inf; w goes back to 1.
    model = Scale(1.0)
    result = train(model, [[1e150]], [0.0], lr=1e10, epochs=3, options=QUIET)
    assert result.diverged and result.epochs == 1 and result.losses == []
    assert result.message == (
        "diverged at epoch 1 (loss = 1e+300, but the update made w = -inf (grad = 2e+300)); "
        + back("training began")
    )
    assert model.w.data == 1.0


def test_huge_but_finite_parameters_are_not_divergence() -> None:
    # y = w x + v x with w = v = 1.5e308: the parameters sum to inf, yet each is finite, and at
    # x = 0 the loss and gradient are 0: training goes on.
    class Pair(Module):
        def __init__(self) -> None:
            self.w, self.v = Value(1.5e308, label="w"), Value(1.5e308, label="v")

        def forward(self, x: Sequence[float]) -> Value:
            return self.w * x[0] + self.v * x[0]

        def parameters(self) -> list[Value]:
            return [self.w, self.v]

    model = Pair()
    result = train(model, [[0.0]], [0.0], lr=0.1, epochs=2, options=QUIET)
    assert not result.diverged and result.losses == [0.0, 0.0]
    assert model.w.data == model.v.data == 1.5e308


@pytest.mark.parametrize("lr", [1.0, 10.0])
def test_after_divergence_the_model_trains_on_with_a_smaller_lr(lr: float) -> None:
    """The issue's case: a large lr blows a tanh MLP up after a few epochs (losses ~1e290
    before the inf); the model goes back to its lowest epoch's start, and the same model then
    trains at lr = 0.01 without diverging."""
    points, labels = generate_linear(20, seed=4)
    targets = [float(y) for y in labels]
    model = MLP(2, [4, 1], "tanh", seed=1)
    blown = train(model, points, targets, lr=lr, epochs=50, options=QUIET)
    assert blown.diverged and blown.epochs > 1 and max(blown.losses) > 1e200
    lowest = min(range(len(blown.losses)), key=blown.losses.__getitem__) + 1
    where = f"epoch {lowest} began" if lowest > 1 else "training began"
    assert f"back where {where}" in blown.message
    # The parameters are exactly where that epoch began: rerunning the epochs before it from
    # the same seed ends there too.
    replay = MLP(2, [4, 1], "tanh", seed=1)
    if lowest > 1:
        train(replay, points, targets, lr=lr, epochs=lowest - 1, options=QUIET)
    assert [p.data for p in model.parameters()] == [p.data for p in replay.parameters()]
    again = train(model, points, targets, lr=0.01, epochs=5, options=QUIET)
    assert not again.diverged and again.epochs == 5 and again.losses[-1] < 1.0
    assert all(math.isfinite(x) for x in predict(model, points))


@pytest.mark.parametrize(
    ("inputs", "targets", "message"),
    [
        ([[1.0], [math.nan]], [0.0, 1.0], "train: input 1 is [nan], which holds inf or nan"),
        ([[1.0, -math.inf]], [0.0], "train: input 0 is [1.0, -inf], which holds inf or nan"),
        ([[1.0], [2.0], [3.0]], [0.0, 1.0, math.nan], "train: target 2 is nan (input [3.0])"),
    ],
)
def test_inf_or_nan_in_the_data_is_named_before_training(
    inputs: list[list[float]], targets: list[float], message: str
) -> None:
    model = Scale(0.5)
    with pytest.raises(ValueError, match=re.escape(message)) as error:
        train(model, inputs, targets, lr=0.1, epochs=3, options=QUIET)
    assert str(error.value).endswith("a problem in the data, not the learning rate)")
    assert model.w.data == 0.5 and model.w.grad == 0.0  # nothing ran


def test_an_epoch_loss_that_overflows_is_divergence_too() -> None:
    # Two samples, each loss 1e308 (finite), no update (x = 0 gives no gradient): the epoch sum
    # 2e308 is inf, and a curve must not hold it as if it were a number.
    model = Scale(1.0)
    big = math.sqrt(1e308)
    result = train(model, [[0.0], [0.0]], [big, big], lr=0.1, epochs=5,
                   options=TrainOptions(epoch_loss="sum", progress=False))
    assert result.diverged and result.epochs == 1 and result.losses == []
    assert result.message == (
        f"diverged at epoch 1 (epoch loss = inf, a sum that overflowed); {back('training began')}"
    )


def test_early_stop_when_the_epoch_loss_barely_moves() -> None:
    points, labels = generate_linear(20, seed=1)
    model = MLP(2, [3, 1], "sigmoid", seed=0)
    result = train(
        model, points, [float(y) for y in labels], lr=0.1, epochs=500,
        options=TrainOptions(eps=1e-3, progress=False),
    )
    losses = result.losses
    assert result.stopped_early and result.epochs == len(losses) < 500
    assert abs(losses[-1] - losses[-2]) < 1e-3
    assert all(abs(a - b) >= 1e-3 for a, b in itertools.pairwise(losses[:-1]))
    assert result.message == (
        f"stopped early at epoch {result.epochs}: the epoch loss changed by less than "
        f"eps = 0.001 (loss {losses[-1]:.6g})"
    )


def test_full_batch_is_one_update_on_the_mean_loss() -> None:
    xs, ys = [[1.0], [2.0], [-3.0]], [0.5, 1.0, 2.0]
    model = Scale(0.25)
    result = train(model, xs, ys, lr=0.01, epochs=1, batch_size=None, options=QUIET)
    w = 0.25
    mean_loss = sum((w * x[0] - y) ** 2 for x, y in zip(xs, ys, strict=True)) / 3
    slope = sum(2 * (w * x[0] - y) * x[0] for x, y in zip(xs, ys, strict=True)) / 3
    assert result.losses == [pytest.approx(mean_loss, rel=1e-12)]
    assert model.w.data == pytest.approx(w - 0.01 * slope, rel=1e-12)


def test_online_updates_once_per_sample_and_sums_when_asked() -> None:
    xs, ys = [[1.0], [2.0]], [1.0, 0.0]
    model = Scale(0.5)
    result = train(model, xs, ys, lr=0.1, epochs=1,
                   options=TrainOptions(epoch_loss="sum", progress=False))
    w1 = 0.5 - 0.1 * 2 * (0.5 - 1.0)  # first sample's update
    w2 = w1 - 0.1 * 2 * (w1 * 2.0) * 2.0  # second sample's, from w1
    assert model.w.data == pytest.approx(w2, rel=1e-12)
    assert result.losses == [pytest.approx((0.5 - 1.0) ** 2 + (w1 * 2.0) ** 2, rel=1e-12)]


def test_minibatch_epoch_loss_weights_batches_by_size() -> None:
    calls: list[int] = []

    def counting_step(forward, loss_fn, inputs, targets):  # type: ignore[no-untyped-def]
        calls.append(len(inputs))
        return eager_step(forward, loss_fn, inputs, targets)

    xs = [[float(i)] for i in range(5)]
    train(
        Scale(0.0),
        xs,
        [0.0] * 5,
        lr=0.01,
        epochs=2,
        batch_size=2,
        options=TrainOptions(step=counting_step, progress=False),
    )
    assert calls == [2, 2, 1, 2, 2, 1]


def test_training_runs_without_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    result = train(Scale(0.5), [[1.0]], [1.0], lr=0.1, epochs=3)  # progress=True by default
    assert len(result.losses) == 3


def test_progress_bar_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    options = TrainOptions(description="demo-bar")
    train(Scale(0.5), [[1.0]], [1.0], lr=0.1, epochs=3, options=options)
    assert "demo-bar" in capsys.readouterr().err


def test_train_mistakes_raise_messages() -> None:
    with pytest.raises(ValueError, match=re.escape("train got 2 inputs and 1 targets")):
        train(Scale(1.0), [[1.0], [2.0]], [1.0], options=QUIET)
    with pytest.raises(ValueError, match=re.escape("epochs must be a positive int, got 0")):
        train(Scale(1.0), [[1.0]], [1.0], epochs=0, options=QUIET)
    with pytest.raises(ValueError, match=re.escape("positive int or None, got 2.5")):
        train(Scale(1.0), [[1.0]], [1.0], batch_size=2.5, options=QUIET)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=re.escape("'mean' or 'sum', got 'max'")):
        TrainOptions(epoch_loss="max")
    with pytest.raises(ValueError, match=re.escape("eps must be a number >= 0 or None, got -1")):
        TrainOptions(eps=-1)
    with pytest.raises(ValueError, match=re.escape("accuracy got 1 predictions and 2 labels")):
        accuracy([0.3], [0, 1])


def test_mse_loss_is_the_default_and_predict_records_no_graph() -> None:
    model = Scale(2.0)
    assert predict(model, [[1.5], [-1.0]]) == [3.0, -2.0]
    assert mse_loss(model([1.0]), 2.0).data == 0.0
    assert accuracy([0.9, 0.1, 0.6], [1, 0, 0]) == pytest.approx(2 / 3)
