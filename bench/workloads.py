"""The workloads, each written once and run on either library's ``Value`` class."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

# The same source runs on glassgrad and micrograd: both spell these operations alike.
AnyValue = Any


def chain(value_cls: type, steps: int) -> AnyValue:
    """``y = y * 1.0000001 + 0.0000001``, ``steps`` times (4 nodes a step), then backward.

    Returns the root, so the graph is freed after the clock stops for both libraries (micrograd's
    cycles would otherwise wait for the collector while glassgrad's are freed on the clock).
    """
    x = value_cls(1.0)
    y = x
    for _ in range(steps):
        y = y * 1.0000001 + 0.0000001
    y.backward()
    return y


def chain_graph(value_cls: type, steps: int) -> AnyValue:
    """The chain's graph alone, no backward: what the memory figure counts."""
    y = value_cls(1.0)
    for _ in range(steps):
        y = y * 1.0000001 + 0.0000001
    return y


def sum_of_products(value_cls: type, n: int) -> AnyValue:
    """``sum(a_i * b_i)`` over ``n`` pairs of leaves, then backward."""
    rng = random.Random(0)
    a = [value_cls(rng.uniform(-1.0, 1.0)) for _ in range(n)]
    b = [value_cls(rng.uniform(-1.0, 1.0)) for _ in range(n)]
    total = sum((ai * bi for ai, bi in zip(a, b, strict=True)), value_cls(0.0))
    total.backward()
    return total  # freed after the clock stops, as in ``chain``


def hinge_l2_loss(model: Any, inputs: Sequence[Sequence[Any]], ys: Sequence[int]) -> AnyValue:
    """micrograd's demo loss: mean of relu(1 - y score) plus 1e-4 times the sum of squared
    parameters, written as the demo writes it."""
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(ys, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def signs(labels: Sequence[int]) -> list[int]:
    """0/1 labels as the -1/+1 the hinge loss wants."""
    return [1 if label == 1 else -1 for label in labels]


def update(model: Any, total_loss: AnyValue) -> float:
    """Zero the grads, backward, and one plain SGD step with micrograd's demo rate."""
    model.zero_grad()
    total_loss.backward()
    for p in model.parameters():
        p.data -= 0.05 * p.grad
    return float(total_loss.data)


def moons_step(value_cls: type, model: Any, points: Sequence[Sequence[float]],
               labels: Sequence[int]) -> float:
    """One step of micrograd's demo: forward on all points, hinge loss + 1e-4 L2, backward,
    update. Runs unchanged on both libraries."""
    inputs = [list(map(value_cls, xrow)) for xrow in points]
    return update(model, hinge_l2_loss(model, inputs, signs(labels)))


def jit_moons_step(compiled: Any, model: Any, points: Sequence[Sequence[float]],
                   labels: Sequence[int]) -> float:
    """The same step with the loss compiled by ``engine.jit``: the one line that changes."""
    return update(model, compiled(points, signs(labels)))


def bare_loop(n: int) -> float:
    """One float multiply-add per iteration: CPython's floor for per-node work."""
    acc = 0.0
    for _ in range(n):
        acc = acc * 0.5 + 1.0
    return acc
