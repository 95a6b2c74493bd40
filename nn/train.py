"""Training loops: online SGD (one update per sample) and full-batch or minibatch descent."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from engine import Value, jit, no_grad

from .layers import Seed, make_rng
from .losses import mse_loss
from .module import Module
from .optim import SGD

Forward = Callable[[Sequence[float]], Value]
LossFn = Callable[[list[Value], list[float]], Value]
#: One update: (forward, loss_fn, optimizer, inputs, targets) -> the batch's loss before it.
StepFn = Callable[[Forward, LossFn, SGD, Sequence[Sequence[float]], Sequence[float]], float]


def eager_step(
    forward: Forward,
    loss_fn: LossFn,
    optimizer: SGD,
    inputs: Sequence[Sequence[float]],
    targets: Sequence[float],
) -> float:
    """One update on one batch: forward each input, the loss, backward, optimizer step.

    Builds a fresh graph for every call (the eager engine). ``train`` takes the step as an
    argument so that a compiled forward can replace this one without touching the loop.

    Returns:
        The batch's loss, computed before the update.
    """
    optimizer.zero_grad()
    return _descend(optimizer, loss_fn([forward(x) for x in inputs], list(targets)))


def _descend(optimizer: SGD, loss: Value) -> float:
    """Backward from ``loss`` (grads zeroed before the forward), then one optimizer step."""
    loss.backward()
    optimizer.step()
    return loss.data


class CompiledStep:
    """A step like ``eager_step`` whose forward and loss are compiled once by ``engine.jit``.

    The first call records the batch's graph (forward of each input, then the loss) and turns it
    into straight-line Python; later calls with batches of the same shape replay that code with
    the current parameters, and ``backward()`` fills exactly the gradients the eager graph gives.
    A batch of another size traces once more. Python branches on ``.data`` inside the model or
    loss would be frozen at the first trace (see ``engine.jit``); nn's layers and losses have
    none. Use one instance per training run: ``train(..., step=CompiledStep())``.
    """

    def __init__(self) -> None:
        self._for: tuple[Forward, LossFn] | None = None
        self._compiled: Callable[..., Value] | None = None

    def __call__(
        self,
        forward: Forward,
        loss_fn: LossFn,
        optimizer: SGD,
        inputs: Sequence[Sequence[float]],
        targets: Sequence[float],
    ) -> float:
        if self._compiled is None or self._for is None or self._for[0] is not forward \
                or self._for[1] is not loss_fn:
            self._for = (forward, loss_fn)
            self._compiled = jit(lambda xs, ys: loss_fn([forward(x) for x in xs], ys))
        optimizer.zero_grad()
        return _descend(optimizer, self._compiled([list(x) for x in inputs], list(targets)))


@dataclass
class TrainResult:
    """What a training run did.

    Attributes:
        losses: the loss of each finished epoch, first epoch first (see ``train``'s
            ``epoch_loss``); a diverged run keeps the epochs before the one that blew up.
        epochs: how many epochs ran (the diverged one included).
        diverged: a loss became inf or nan, so training stopped.
        converged: the epoch loss changed by less than ``eps``, so training stopped early.
        message: one line saying how the run ended.
    """

    losses: list[float] = field(default_factory=list)
    epochs: int = 0
    diverged: bool = False
    converged: bool = False
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


def train(
    model: Module,
    inputs: Sequence[Sequence[float]],
    targets: Sequence[float],
    *,
    lr: float = 0.1,
    epochs: int = 1000,
    loss_fn: LossFn = mse_loss,
    batch_size: int | None = 1,
    momentum: float = 0.0,
    eps: float | None = None,
    epoch_loss: str = "mean",
    shuffle: Seed | bool = False,
    progress: bool = True,
    description: str = "train",
    step: StepFn = eager_step,
) -> TrainResult:
    """Train ``model`` with SGD and record the loss of every epoch.

    ``batch_size=1`` is online SGD, one update per sample in order (the lab's Algorithm 1);
    ``batch_size=None`` is full-batch descent (one update per epoch on the mean loss); any other
    number gives minibatches. An epoch's loss is the mean over its samples of the loss seen
    before each update, or with ``epoch_loss="sum"`` their sum (the lab's Algorithm 1 adds the
    per-sample losses up; ``eps`` then applies to that sum).

    Training stops after ``epochs`` epochs; early, when ``eps`` is given and the epoch loss
    changes by less than ``eps`` from the epoch before (``converged`` is then True, though a
    plateau or a tiny learning rate stops it too); and at the first batch loss, or epoch loss,
    that is inf or nan, with the message
    ``diverged at epoch 3 (loss = inf); try a smaller learning rate``.

    Args:
        model: the network; ``model(x)`` must give one Value per input.
        inputs, targets: the samples.
        lr, momentum: for ``SGD``.
        loss_fn: ``loss_fn(predictions, targets) -> Value``, a mean over the batch.
        shuffle: False keeps the sample order; an int or ``random.Random`` shuffles every
            epoch from that seed (True: from seed 0).
        progress: show a tqdm bar (when tqdm is installed).
        step: the per-batch update: ``eager_step`` builds the graph afresh every time;
            ``CompiledStep()`` compiles it once with ``engine.jit`` (same numbers, far faster).
    """
    n = len(inputs)
    if n == 0 or n != len(targets):
        raise ValueError(f"train got {n} inputs and {len(targets)} targets; expected as many, > 0")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if epoch_loss not in ("mean", "sum"):
        raise ValueError(f"epoch_loss must be 'mean' or 'sum', got {epoch_loss!r}")
    divisor = float(n) if epoch_loss == "mean" else 1.0
    optimizer = SGD(model.parameters(), lr, momentum)
    rng = None if shuffle is False else make_rng(0 if shuffle is True else shuffle)
    result = TrainResult()
    for epoch in _progress(epochs, progress, description):
        result.epochs = epoch
        total = 0.0
        for batch in _batches(n, batch_size, rng):
            loss = step(
                model, loss_fn, optimizer, [inputs[i] for i in batch], [targets[i] for i in batch]
            )
            if not math.isfinite(loss):
                result.diverged = True
                result.message = _diverged(epoch, loss)
                return result
            total += loss * len(batch)
        loss_now = total / divisor
        if not math.isfinite(loss_now):  # every batch was finite, but their sum overflowed
            result.diverged = True
            result.message = _diverged(epoch, loss_now)
            return result
        result.losses.append(loss_now)
        if eps is not None and epoch > 1 and abs(result.losses[-2] - loss_now) < eps:
            # "Stopped", not "converged": a tiny learning rate also moves the loss by < eps.
            result.converged = True
            result.message = (
                f"stopped early at epoch {epoch}: the epoch loss changed by less than "
                f"eps = {eps:g} (loss {loss_now:.6g})"
            )
            return result
    result.message = f"finished {result.epochs} epochs (loss {result.final_loss:.6g})"
    return result


def _diverged(epoch: int, loss: float) -> str:
    return f"diverged at epoch {epoch} (loss = {loss}); try a smaller learning rate"


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
