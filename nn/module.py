"""Module: the base of every network piece, holding parameters and a forward pass."""

from __future__ import annotations

from typing import Any

from engine import Value
from engine.modes import cyclic_gc_paused


class Module:
    """A piece of a network, as ``torch.nn.Module``: call it to run ``forward``.

    Subclasses implement ``forward`` and ``parameters``; ``zero_grad`` and ``__call__`` come
    from here.
    """

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args: Any) -> Any:
        # The nodes a forward pass makes hold no reference cycles, so the cyclic collector has
        # nothing to free among them; pausing it saves it walking the growing graph many times.
        with cyclic_gc_paused():
            return self.forward(*args)

    def parameters(self) -> list[Value]:
        """Every trainable Value, in a fixed order (the order optimizers and tests rely on)."""
        return []

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0, as before each backward pass."""
        for p in self.parameters():
            p.grad = 0.0

    def num_parameters(self) -> int:
        """How many scalar parameters the module holds (``MLP(2, [16, 16, 1])``: 337)."""
        return len(self.parameters())
