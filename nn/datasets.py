"""Toy 2-D datasets for classification (plain Python, no numpy): linear, XOR, moons.

Each returns ``(points, labels)``: a list of ``(x1, x2)`` tuples and a list of 0/1 ints.
"""

from __future__ import annotations

import math

from .layers import Seed, make_rng

Points = list[tuple[float, float]]
Labels = list[int]


def generate_linear(n: int = 100, seed: Seed = 0) -> tuple[Points, Labels]:
    """``n`` points uniform in the unit square, labelled 0 when x1 > x2 and 1 otherwise."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"generate_linear n must be a positive int, got {n!r}")
    rng = make_rng(seed)
    points = [(rng.random(), rng.random()) for _ in range(n)]
    return points, [0 if x1 > x2 else 1 for x1, x2 in points]


def generate_xor_easy() -> tuple[Points, Labels]:
    """The lab's 21 XOR points: (0.1i, 0.1i) labelled 0 and (0.1i, 1 - 0.1i) labelled 1 for
    i = 0..10, leaving out the second point at i = 5 (it would repeat (0.5, 0.5)).

    The points are interleaved as the lab lists them: a 0, then a 1, and so on.
    """
    points: Points = []
    labels: Labels = []
    for i in range(11):
        points.append((0.1 * i, 0.1 * i))
        labels.append(0)
        if i == 5:
            continue
        points.append((0.1 * i, 1.0 - 0.1 * i))
        labels.append(1)
    return points, labels


def make_moons(n: int = 100, noise: float = 0.1, seed: Seed = 0) -> tuple[Points, Labels]:
    """Two interleaving half circles, as scikit-learn's ``make_moons``, shuffled.

    Label 0: (cos t, sin t); label 1: (1 - cos t, 0.5 - sin t), t evenly spaced on [0, pi]
    (``n // 2`` points on the first moon, the rest on the second), plus Gaussian noise of
    standard deviation ``noise`` on each coordinate.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"make_moons n must be an int >= 2, got {n!r}")
    if not (isinstance(noise, int | float) and noise >= 0):
        raise ValueError(f"make_moons noise must be a number >= 0, got {noise!r}")
    rng = make_rng(seed)
    n_outer = n // 2
    n_inner = n - n_outer
    samples: list[tuple[tuple[float, float], int]] = []
    for count, label in ((n_outer, 0), (n_inner, 1)):
        for k in range(count):
            t = math.pi * k / (count - 1) if count > 1 else 0.0
            if label == 0:
                x1, x2 = math.cos(t), math.sin(t)
            else:
                x1, x2 = 1.0 - math.cos(t), 0.5 - math.sin(t)
            samples.append(((x1 + rng.gauss(0.0, noise), x2 + rng.gauss(0.0, noise)), label))
    rng.shuffle(samples)
    return [point for point, _ in samples], [label for _, label in samples]


def train_test_split(
    points: Points, labels: Labels, train_fraction: float, seed: Seed = 0
) -> tuple[Points, Labels, Points, Labels]:
    """Shuffle and split: the first ``round(train_fraction * n)`` samples train, the rest test.

    Returns:
        ``(train_points, train_labels, test_points, test_labels)``.
    """
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must be between 0 and 1, got {train_fraction!r}")
    if len(points) != len(labels):
        raise ValueError(f"got {len(points)} points and {len(labels)} labels; expected as many")
    order = list(range(len(points)))
    make_rng(seed).shuffle(order)
    cut = round(train_fraction * len(order))
    if cut == 0 or cut == len(order):
        raise ValueError(
            f"train_fraction {train_fraction} of {len(order)} samples leaves one side empty"
        )
    train, test = order[:cut], order[cut:]
    return (
        [points[i] for i in train],
        [labels[i] for i in train],
        [points[i] for i in test],
        [labels[i] for i in test],
    )
