"""Tests for nn.optim.SGD: the update against torch.optim.SGD over several steps."""

from __future__ import annotations

import re

import pytest

from engine import Value
from nn import SGD


def _loss(params: list[Value]) -> Value:
    a, b, c = params
    return (a * b - 1.5) ** 2 + (b + c).tanh() * a + c**2 * 0.5


def _steps_beside_torch(momentum: float, steps: int, without_grad: bool = False) -> None:
    """Our SGD and torch.optim.SGD from the same start, ``steps`` steps of ``_loss`` (the same
    function runs on Values and tensors); with ``without_grad``, one parameter a step has its
    grad set to None, and must not move. Both end at the same parameters."""
    import torch

    start = [0.3, -1.2, 0.7]
    ours = [Value(x) for x in start]
    theirs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in start]
    opt = SGD(ours, lr=0.05, momentum=momentum)
    reference = torch.optim.SGD(theirs, lr=0.05, momentum=momentum)
    for step in range(steps):
        opt.zero_grad()
        _loss(ours).backward()
        reference.zero_grad()
        _loss(theirs).backward()
        skipped = step % len(start)
        held = ours[skipped].data
        if without_grad:
            ours[skipped].grad = None
            theirs[skipped].grad = None
        opt.step()
        reference.step()
        if without_grad:
            assert ours[skipped].data == held
    assert [p.data for p in ours] == pytest.approx([t.item() for t in theirs], rel=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_sgd_matches_torch_over_steps(momentum: float) -> None:
    _steps_beside_torch(momentum, 6)


@pytest.mark.torch
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_a_grad_of_none_is_skipped_as_torch_skips_it(momentum: float) -> None:
    _steps_beside_torch(momentum, 5, without_grad=True)


def test_plain_sgd_is_micrograds_update() -> None:
    p = Value(2.0)
    p.grad = 0.5
    SGD([p], lr=0.1).step()
    assert p.data == 2.0 - 0.1 * 0.5


def test_sgd_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match=re.escape("lr must be a positive finite number, got -1")):
        SGD([Value(1.0)], lr=-1)
    with pytest.raises(ValueError, match=re.escape("momentum must be in [0, 1), got 1.5")):
        SGD([Value(1.0)], lr=0.1, momentum=1.5)
    with pytest.raises(ValueError, match=re.escape("empty parameter list")):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match=re.escape("params must be Values, got 1.0")):
        SGD([1.0], lr=0.1)  # type: ignore[list-item]
