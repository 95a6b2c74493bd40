"""SGD: stochastic gradient descent with optional momentum, updating Values in place."""

from __future__ import annotations

import math
from collections.abc import Iterable

from engine import Value


class SGD:
    """Gradient descent as ``torch.optim.SGD(params, lr, momentum)`` (no dampening, no
    Nesterov, no weight decay):

        v <- momentum * v + grad;   p <- p - lr * v        (v starts at 0)

    With ``momentum=0`` this is micrograd's ``p.data -= lr * p.grad``. Updates write ``.data``
    directly, so they are never part of the graph.
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("SGD got an empty parameter list; pass model.parameters()")
        for p in self.params:
            if not isinstance(p, Value):
                raise TypeError(f"SGD params must be Values, got {p!r} ({type(p).__name__})")
        if not (isinstance(lr, int | float) and math.isfinite(lr) and lr > 0):
            raise ValueError(f"SGD lr must be a positive finite number, got {lr!r}")
        if not (isinstance(momentum, int | float) and 0.0 <= momentum < 1.0):
            raise ValueError(f"SGD momentum must be in [0, 1), got {momentum!r}")
        self.lr = float(lr)
        self.momentum = float(momentum)
        self.velocity = [0.0] * len(self.params)

    def step(self) -> None:
        """Apply one update from the parameters' current ``.grad``; a parameter whose grad is
        None (``p.grad = None``, torch's way of saying "no gradient") is left alone, velocity
        included, as torch.optim.SGD leaves it."""
        lr, momentum = self.lr, self.momentum
        if momentum == 0.0:
            for p in self.params:
                if p.grad is not None:
                    p.data -= lr * p.grad
            return
        velocity = self.velocity
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            v = momentum * velocity[i] + p.grad
            velocity[i] = v
            p.data -= lr * v

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0."""
        for p in self.params:
            p.grad = 0.0

    def __repr__(self) -> str:
        return f"SGD({len(self.params)} parameters, lr={self.lr:g}, momentum={self.momentum:g})"
