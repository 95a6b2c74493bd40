"""Gradient steps for ``train``: one batch's forward, loss and backward, eager or compiled."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from engine import Value, jit

Forward = Callable[[Sequence[float]], Value]
LossFn = Callable[[list[Value], list[float]], Value]
#: One batch's gradient: (forward, loss_fn, inputs, targets) -> the batch's loss. It fills the
#: parameters' ``.grad`` (``train`` zeroes them before) and leaves the update to ``train``, which
#: applies it only when the loss and every new parameter value are finite.
StepFn = Callable[[Forward, LossFn, Sequence[Sequence[float]], Sequence[float]], float]


def eager_step(
    forward: Forward,
    loss_fn: LossFn,
    inputs: Sequence[Sequence[float]],
    targets: Sequence[float],
) -> float:
    """Forward each input, the batch's loss, backward: the gradient of one batch.

    Builds a fresh graph for every call (the eager engine). ``train`` takes the step as an
    option so that a compiled forward can replace this one without touching the loop.

    Returns:
        The batch's loss (the parameters' ``.grad`` now hold its gradient).
    """
    loss = loss_fn([forward(x) for x in inputs], list(targets))
    loss.backward()
    return loss.data


class CompiledStep:
    """A step like ``eager_step`` whose forward and loss are compiled once by ``engine.jit``.

    The first call records the batch's graph (forward of each input, then the loss) and turns it
    into Python (one loop over the samples for a big batch); later calls with batches of the
    same shape replay that code with the current parameters, and ``backward()`` fills exactly
    the gradients the eager graph gives.
    A batch of another size traces once more. Python branches on ``.data`` inside the model or
    loss would be frozen at the first trace (see ``engine.jit``); nn's layers and losses have
    none. Use one instance per training run: ``TrainOptions(step=CompiledStep())``.
    """

    def __init__(self) -> None:
        self._for: tuple[Forward, LossFn] | None = None
        self._compiled: Callable[..., Value] | None = None

    def __call__(
        self,
        forward: Forward,
        loss_fn: LossFn,
        inputs: Sequence[Sequence[float]],
        targets: Sequence[float],
    ) -> float:
        if self._compiled is None or self._for is None or self._for[0] is not forward \
                or self._for[1] is not loss_fn:
            self._for = (forward, loss_fn)
            self._compiled = jit(lambda xs, ys: loss_fn([forward(x) for x in xs], ys))
        loss = self._compiled([list(x) for x in inputs], list(targets))
        loss.backward()
        return loss.data
