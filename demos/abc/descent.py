"""Gradient descent on A, B, C over N random inputs, by ``nn.train``, and how it went as text."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from demos.abc.graph import build, random_matrix
from demos.abc_hand import Mat, Vec
from engine import Value, linalg, no_grad
from engine.linalg import Matrix
from nn import Module, TrainOptions, eager_step
from nn import train as nn_train
from nn.steps import Forward, LossFn


class AbcLoss(Module):
    """The trainable A, B, C; called on an input x it gives that sample's loss L(x)."""

    def __init__(self, a: Matrix, b: Matrix, c: Matrix) -> None:
        self.A, self.B, self.C = a, b, c

    def forward(self, x: Sequence[float]) -> Value:
        return build(linalg.vector(list(x)), self.A, self.B, self.C).L

    def parameters(self) -> list[Value]:
        return linalg.parameters(self.A, self.B, self.C)


def mean_of(losses: list[Value], _targets: list[float]) -> Value:
    """(1/N) sum_n L(x_n): the loss ``nn.train`` descends (the A/B/C loss has no targets)."""
    return linalg.vsum(losses) * (1.0 / len(losses))


def mean_loss(inputs: list[Vec], a: Matrix, b: Matrix, c: Matrix) -> Value:
    """(1/N) sum_n L(x_n): one graph over all N samples, sharing the leaves A, B, C."""
    model = AbcLoss(a, b, c)
    return mean_of([model(x) for x in inputs], [])


@dataclass(frozen=True)
class Training:
    """A descent run: the mean loss before each epoch and after the last, the trained matrices."""

    losses: list[float]
    A: Mat
    B: Mat
    C: Mat
    C_start: Mat

    @property
    def final_loss(self) -> float:
        return self.losses[-1]


def frobenius(m: Mat) -> float:
    """||M||_F = sqrt(sum of squared entries)."""
    return math.sqrt(sum(item * item for row in m for item in row))


def train(k: int = 3, n: int = 100, lr: float = 0.2, epochs: int = 100, seed: int = 0,
          progress: bool = True) -> Training:
    """Full-batch gradient descent on A, B, C minimizing the mean of L over N random inputs.

    Each epoch builds the graph of the mean loss, runs backward, and steps every entry p of A, B,
    C to p - lr dmean/dp (``nn.train`` with ``batch_size=None``, i.e. ``nn.SGD``). The inputs and
    the starting matrices come from ``Random(seed)``.

    Args:
        progress: show ``nn.train``'s tqdm progress bar (when tqdm is installed).

    Returns:
        The mean loss before each epoch and once more after the last (epochs + 1 numbers).
    """
    if n < 1 or epochs < 0:
        raise ValueError(f"train() needs n >= 1 and epochs >= 0, got n={n!r}, epochs={epochs!r}")
    rng = random.Random(seed)
    model = AbcLoss(*(linalg.matrix(random_matrix(k, rng), name) for name in "ABC"))
    c_start = linalg.data_of(model.C)
    inputs = [[rng.uniform(-1.0, 1.0) for _ in range(k)] for _ in range(n)]
    losses: list[float] = []

    def step(forward: Forward, loss_fn: LossFn, xs: Sequence[Sequence[float]],
             targets: Sequence[float]) -> float:
        # nn.train's epoch loss is (loss * N) / N, which can be an ulp off the mean loss itself:
        # keep each update's loss as the step computed it.
        losses.append(eager_step(forward, loss_fn, xs, targets))
        return losses[-1]

    if epochs:
        options = TrainOptions(progress=progress, description="descent", step=step)
        nn_train(model, inputs, [0.0] * n, lr=lr, epochs=epochs, loss_fn=mean_of,
                 batch_size=None, options=options)
    with no_grad():
        losses.append(mean_loss(inputs, model.A, model.B, model.C).data)
    return Training(losses, linalg.data_of(model.A), linalg.data_of(model.B),
                    linalg.data_of(model.C), c_start)


MINIMUM_NOTE = (
    "Note: L = ||C z||^2 >= 0, and the minimum 0 is reached when C z = 0 for every input: "
    "C = 0 is one such point. z = sigma(A x) + B x cannot be 0 for every x (sigma(0) = 1/2), "
    "so descent shrinks C and turns it towards a matrix whose null space holds the z's (A and "
    "B help by moving the z's there): a small, nearly singular C is the expected outcome, not "
    "a bug."
)


def format_training(training: Training, print_every: int) -> str:
    """The loss per epoch (every ``print_every``-th, plus the last), the matrices and the note."""
    lines = ["epoch  mean loss"]
    last = len(training.losses) - 1
    for epoch, loss in enumerate(training.losses):
        if epoch % print_every == 0 or epoch == last:
            lines.append(f"{epoch:5d}  {loss!r}")
    for name, m in (("A", training.A), ("B", training.B), ("C", training.C)):
        lines.append(f"trained {name} =")
        lines += ["  [" + ", ".join(f"{item: .6f}" for item in row) + "]" for row in m]
    lines.append(f"final mean loss = {training.final_loss!r} (started at {training.losses[0]!r})")
    lines.append(f"||C||_F: {frobenius(training.C_start):.6f} at the start, "
                 f"{frobenius(training.C):.6f} after training")
    lines.append(MINIMUM_NOTE)
    return "\n".join(lines)


def losses_csv(training: Training) -> str:
    """``epoch,mean_loss`` and one line per recorded loss, in full precision."""
    return "epoch,mean_loss\n" + "".join(f"{i},{loss!r}\n"
                                         for i, loss in enumerate(training.losses))
