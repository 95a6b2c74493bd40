"""Tests for nn.datasets: sizes, labels, seeds, and the train/test split."""

from __future__ import annotations

import math
import random
import re

import pytest

from nn import generate_linear, generate_xor_easy, make_moons, train_test_split


def test_linear_points_are_in_the_unit_square_and_labelled_by_the_diagonal() -> None:
    points, labels = generate_linear(100, seed=3)
    assert len(points) == len(labels) == 100
    assert all(0.0 <= x1 < 1.0 and 0.0 <= x2 < 1.0 for x1, x2 in points)
    assert labels == [0 if x1 > x2 else 1 for x1, x2 in points]
    assert 0 < sum(labels) < 100
    assert generate_linear(100, seed=3) == (points, labels)
    assert generate_linear(100, seed=random.Random(3)) == (points, labels)
    assert generate_linear(100, seed=4)[0] != points


def test_xor_easy_has_the_labs_21_points() -> None:
    points, labels = generate_xor_easy()
    assert len(points) == 21 and labels.count(0) == 11 and labels.count(1) == 10
    zeros = sorted(p for p, y in zip(points, labels, strict=True) if y == 0)
    ones = sorted(p for p, y in zip(points, labels, strict=True) if y == 1)
    # the spec's own formulas, so the floats are the same ones
    assert zeros == sorted((0.1 * i, 0.1 * i) for i in range(11))
    assert ones == sorted((0.1 * i, 1.0 - 0.1 * i) for i in range(11) if i != 5)
    assert labels[:4] == [0, 1, 0, 1]


def test_moons_have_two_labelled_half_circles() -> None:
    points, labels = make_moons(101, noise=0.0, seed=0)
    assert len(points) == 101 and labels.count(0) == 50 and labels.count(1) == 51
    for (x1, x2), y in zip(points, labels, strict=True):
        # noise-free: each point sits on its unit half circle
        cx, cy = (0.0, 0.0) if y == 0 else (1.0, 0.5)
        assert math.hypot(x1 - cx, x2 - cy) == pytest.approx(1.0, rel=1e-12)
        assert (x2 >= -1e-12) if y == 0 else (x2 <= 0.5 + 1e-12)
    noisy = make_moons(100, noise=0.1, seed=1)
    assert noisy == make_moons(100, noise=0.1, seed=1) != make_moons(100, noise=0.1, seed=2)


def test_split_keeps_every_sample_once() -> None:
    points, labels = generate_linear(50, seed=0)
    tr_x, tr_y, te_x, te_y = train_test_split(points, labels, 0.8, seed=1)
    assert len(tr_x) == len(tr_y) == 40 and len(te_x) == len(te_y) == 10
    assert sorted(tr_x + te_x) == sorted(points)
    pairs = dict(zip(points, labels, strict=True))
    assert all(pairs[p] == y for p, y in zip(tr_x + te_x, tr_y + te_y, strict=True))


def test_dataset_mistakes_raise_messages() -> None:
    with pytest.raises(ValueError, match=re.escape("n must be a positive int, got 0")):
        generate_linear(0)
    with pytest.raises(ValueError, match=re.escape("between 0 and 1, got 1.5")):
        train_test_split([(0.0, 0.0)], [0], 1.5)
    with pytest.raises(ValueError, match=re.escape("noise must be a number >= 0, got -1")):
        make_moons(10, noise=-1)
