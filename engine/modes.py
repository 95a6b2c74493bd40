"""The engine's recording modes: gradient recording on or off, and the name scope of new nodes."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


class _Mode:
    """Process-wide switches read by every op when it makes a node.

    One small object so an op pays a single attribute read per switch.
    """

    __slots__ = ("anomaly", "grad_enabled", "leaves_made", "scope")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.scope = ""
        self.anomaly = False
        # engine.jit's tracing sets a list here: every leaf made while it is set is appended
        # (Value(...), the constant an op makes for a number, an op's result under no_grad),
        # and after a copy Value(v) of a Value or v.detach(), the pair (copy, v).
        self.leaves_made: list[object] | None = None


MODE = _Mode()


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block ops record no parents: results are leaves, as under ``torch.no_grad()``.

    Use it for evaluation and for parameter updates you do not want in the graph.
    """
    previous = MODE.grad_enabled
    MODE.grad_enabled = False
    try:
        yield
    finally:
        MODE.grad_enabled = previous


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``."""
    return MODE.grad_enabled


@contextmanager
def name_scope(name: str) -> Iterator[str]:
    """Tag every node made inside the block with a scope such as ``"Layer 1 / Neuron 3"``.

    Scopes nest, joined by ``" / "``. ``nn`` modules use them to name the nodes they create, and
    ``viz`` groups a drawing by them without knowing anything about ``nn``.

    Yields:
        The full scope path now in force.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name_scope needs a non-empty string, got {name!r}")
    previous = MODE.scope
    MODE.scope = f"{previous} / {name}" if previous else name
    try:
        yield MODE.scope
    finally:
        MODE.scope = previous


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block, then restore it as it was.

    The engine makes no reference cycles (a node's local-derivative rule never holds the node),
    so every node is freed by reference counting and the cyclic collector has nothing to find
    among them. Yet while a forward pass builds tens of thousands of nodes, the collector would
    walk every live node several times over. ``nn`` modules pause it around their forward pass;
    the user's setting is always restored, never left off.
    """
    was_enabled = gc.isenabled()
    if was_enabled:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
