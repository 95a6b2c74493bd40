"""Training loops: online SGD (one update per sample) and full-batch or minibatch descent."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from engine import Value, no_grad

from .layers import Seed, make_rng
from .losses import mse_loss
from .module import Module
from .optim import SGD
from .steps import LossFn, StepFn, eager_step


@dataclass(frozen=True)
class TrainOptions:
    """The settings of ``train`` that most runs leave at their defaults.

    Attributes:
        momentum: SGD's momentum (``torch.optim.SGD``'s), 0 for plain descent.
        shuffle: False keeps the sample order; an int or ``random.Random`` shuffles every
            epoch from that seed (True: from seed 0).
        eps: stop early when the epoch loss changes by less than ``eps`` from the epoch before
            (None: run every epoch).
        epoch_loss: ``"mean"``: an epoch's loss is the mean over its samples of the loss seen
            before each update; ``"sum"``: their sum (the lab's Algorithm 1 adds the per-sample
            losses up; ``eps`` then applies to that sum).
        progress: show a tqdm bar (when tqdm is installed), labelled ``description``.
        step: the gradient of one batch: ``eager_step`` builds the graph afresh every time;
            ``CompiledStep()`` compiles it once with ``engine.jit`` (same numbers, far faster).
    """

    momentum: float = 0.0
    shuffle: Seed | bool = False
    eps: float | None = None
    epoch_loss: str = "mean"
    progress: bool = True
    description: str = "train"
    step: StepFn = eager_step

    def __post_init__(self) -> None:
        if self.epoch_loss not in ("mean", "sum"):
            raise ValueError(f"epoch_loss must be 'mean' or 'sum', got {self.epoch_loss!r}")
        if self.eps is not None and not (isinstance(self.eps, int | float) and self.eps >= 0):
            raise ValueError(f"eps must be a number >= 0 or None, got {self.eps!r}")


@dataclass
class TrainResult:
    """What a training run did.

    Attributes:
        losses: the loss of each finished epoch, first epoch first (see ``TrainOptions``'s
            ``epoch_loss``); a diverged run keeps the epochs before the one that blew up.
        epochs: how many epochs ran (the diverged one included).
        diverged: a loss or an update became inf or nan, so training stopped; the parameters
            are put back where the epoch with the lowest loss began (finite, so training can
            go on from there).
        stopped_early: the epoch loss changed by less than ``eps``, so training stopped before
            ``epochs`` (a minimum, a plateau or a tiny learning rate all do that).
        message: one line saying how the run ended.
    """

    losses: list[float] = field(default_factory=list)
    epochs: int = 0
    diverged: bool = False
    stopped_early: bool = False
    message: str = ""

    @property
    def final_loss(self) -> float:
        """The last finished epoch's loss (nan when none finished)."""
        return self.losses[-1] if self.losses else math.nan


def _batches(n: int, batch_size: int | None, rng: random.Random | None) -> Iterator[list[int]]:
    order = list(range(n))
    if rng is not None:
        rng.shuffle(order)
    size = n if batch_size is None else batch_size
    for start in range(0, n, size):
        yield order[start : start + size]


def _progress(epochs: int, enabled: bool, description: str) -> Iterable[int]:
    """``range(1, epochs + 1)``, behind a tqdm bar when asked for and tqdm is installed."""
    epoch_range = range(1, epochs + 1)
    if not enabled:
        return epoch_range
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm is in the plots extra; without it, train silently
        return epoch_range
    return tqdm(epoch_range, desc=description, unit="epoch", leave=False)


def _is_bad_number(x: object) -> bool:
    """A float (or a Value's data) that is inf or nan; anything else is the model's business."""
    if isinstance(x, Value):
        x = x.data
    return isinstance(x, float) and not math.isfinite(x)


def _check_samples(inputs: Sequence[Sequence[float]], targets: Sequence[float]) -> None:
    """Raise a ValueError naming the first sample whose input or target is inf or nan, or a
    count that does not match: bad data, found before any update, never blamed on the
    learning rate."""
    n = len(inputs)
    if n == 0 or n != len(targets):
        raise ValueError(f"train got {n} inputs and {len(targets)} targets; expected as many, > 0")
    for i, (x, y) in enumerate(zip(inputs, targets, strict=True)):
        if any(_is_bad_number(xk) for xk in x):
            raise ValueError(
                f"train: input {i} is {list(x)!r}, which holds inf or nan; inputs and targets "
                "must be finite (a problem in the data, not the learning rate)"
            )
        if _is_bad_number(y):
            raise ValueError(
                f"train: target {i} is {y!r} (input {list(x)!r}); inputs and targets must be "
                "finite (a problem in the data, not the learning rate)"
            )


def _check_loop(epochs: int, batch_size: int | None) -> None:
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")


def train(
    model: Module,
    inputs: Sequence[Sequence[float]],
    targets: Sequence[float],
    *,
    lr: float = 0.1,
    epochs: int = 1000,
    loss_fn: LossFn = mse_loss,
    batch_size: int | None = 1,
    options: TrainOptions | None = None,
) -> TrainResult:
    """Train ``model`` with SGD and record the loss of every epoch.

    ``batch_size=1`` is online SGD, one update per sample in order (the lab's Algorithm 1);
    ``batch_size=None`` is full-batch descent (one update per epoch on the mean loss); any other
    number gives minibatches. Each update is ``p <- p - lr * grad`` (with ``options.momentum``,
    ``torch.optim.SGD``'s). The rarer settings (momentum, shuffling, early stop, how an epoch's
    loss is summed up, the progress bar, a compiled step) live in ``TrainOptions``.

    Training stops after ``epochs`` epochs; early, when ``options.eps`` is given and the epoch
    loss changes by less than it (``stopped_early``); and at the first batch loss, update or
    epoch loss that is inf or nan (an infinite loss's update is not applied). The parameters
    then go back to where the epoch with the lowest loss began (or where training began), so
    the model is finite and can be trained on with a smaller ``lr``: ``diverged at epoch 5
    (loss = inf); the parameters are back where epoch 2 began (the lowest epoch loss, 0.61);
    try a smaller learning rate``. Inputs and targets are checked first: an inf or nan in them
    raises a ValueError naming the sample.

    Args:
        model: the network; ``model(x)`` must give one Value per input.
        inputs, targets: the samples.
        lr: SGD's learning rate.
        epochs: the most epochs to run.
        loss_fn: ``loss_fn(predictions, targets) -> Value``, a mean over the batch.
        batch_size: samples per update; None for the whole set.
        options: the rest (``TrainOptions()`` when None).
    """
    _check_samples(inputs, targets)
    _check_loop(epochs, batch_size)
    options = TrainOptions() if options is None else options
    optimizer = SGD(model.parameters(), lr, options.momentum)
    shuffle = options.shuffle
    rng = None if shuffle is False else make_rng(0 if shuffle is True else shuffle)
    divisor = float(len(inputs)) if options.epoch_loss == "mean" else 1.0
    eps = options.eps
    result = TrainResult()
    params = optimizer.params
    best = _Best([p.data for p in params])
    for epoch in _progress(epochs, options.progress, options.description):
        result.epochs = epoch
        start = [p.data for p in params]
        total = 0.0
        for batch in _batches(len(inputs), batch_size, rng):
            optimizer.zero_grad()
            loss = options.step(
                model, loss_fn, [inputs[i] for i in batch], [targets[i] for i in batch]
            )
            problem = _update(optimizer, loss)
            if problem is not None:
                return _diverged(result, problem, params, best)
            total += loss * len(batch)
        loss_now = total / divisor
        if not math.isfinite(loss_now):  # every batch was finite, but their sum overflowed
            why = f"epoch loss = {loss_now}, a sum that overflowed"
            return _diverged(result, why, params, best)
        result.losses.append(loss_now)
        best.offer(epoch, loss_now, start)
        if eps is not None and epoch > 1 and abs(result.losses[-2] - loss_now) < eps:
            # "Stopped", not "converged": a tiny learning rate also moves the loss by < eps.
            result.stopped_early = True
            result.message = (
                f"stopped early at epoch {epoch}: the epoch loss changed by less than "
                f"eps = {eps:g} (loss {loss_now:.6g})"
            )
            return result
    result.message = f"finished {result.epochs} epochs (loss {result.final_loss:.6g})"
    return result


class _Best:
    """The parameters at the start of the epoch with the lowest loss so far (epoch 1's start
    until an epoch finishes): where a diverged run puts the model back. For full-batch descent
    an epoch's loss is exactly the loss at its starting parameters; for smaller batches it is
    the mean over the epoch's updates, so "lowest" is as near as the curve can tell."""

    def __init__(self, start: list[float]) -> None:
        self.epoch, self.loss, self.params = 1, math.inf, start

    def offer(self, epoch: int, loss: float, start: list[float]) -> None:
        if loss < self.loss:
            self.epoch, self.loss, self.params = epoch, loss, start


def _update(optimizer: SGD, loss: float) -> str | None:
    """Apply the update for a batch whose gradient is in ``.grad``; say what went inf or nan
    if the batch loss did (then the update is skipped) or a parameter did after it."""
    if not math.isfinite(loss):
        return f"loss = {loss}"
    optimizer.step()
    # One sum is finite only if every term is (inf and nan propagate); only a sum that
    # overflowed from finite terms needs the element-wise look. (About 3 us for Lab 1's 37
    # parameters, ~3 % of a compiled step; a list sums faster than a generator.)
    if math.isfinite(sum([p.data for p in optimizer.params])):
        return None
    for i, p in enumerate(optimizer.params):
        if not math.isfinite(p.data):
            name = p.label or f"parameter {i}"
            return f"loss = {loss:.6g}, but the update made {name} = {p.data} (grad = {p.grad:.6g})"
    return None


def _diverged(
    result: TrainResult, why: str, params: list[Value], best: _Best
) -> TrainResult:
    """Mark the run diverged and put the parameters back where the best epoch began."""
    for p, x in zip(params, best.params, strict=True):
        p.data = x
    result.diverged = True
    if best.epoch > 1:
        where = f"epoch {best.epoch} began (the lowest epoch loss, {best.loss:.6g})"
    else:
        where = "training began"
    result.message = (
        f"diverged at epoch {result.epochs} ({why}); the parameters are back where {where}; "
        "try a smaller learning rate"
    )
    return result


def predict(model: Module, inputs: Sequence[Sequence[float]]) -> list[float]:
    """The model's output for each input, as floats, computed without recording a graph."""
    with no_grad():
        return [model(x).item() for x in inputs]  # a Value is not a float by itself


def accuracy(predictions: Sequence[float], labels: Sequence[int], threshold: float = 0.5) -> float:
    """The fraction of predictions on the right side of ``threshold`` (above it means 1)."""
    if len(predictions) != len(labels) or not labels:
        raise ValueError(
            f"accuracy got {len(predictions)} predictions and {len(labels)} labels; "
            "expected as many, > 0"
        )
    hits = sum((p > threshold) == (y == 1) for p, y in zip(predictions, labels, strict=True))
    return hits / len(labels)
