"""The activation functions a layer can apply, by name."""

from __future__ import annotations

from collections.abc import Callable

from engine import Value


def _linear(x: Value) -> Value:
    return x


#: name -> function on one Value; "linear" is the identity (no node is added).
ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": _linear,
}


def get_activation(name: str) -> Callable[[Value], Value]:
    """The activation called ``name``, or a ValueError listing the choices."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        choices = ", ".join(repr(key) for key in ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r}; expected one of {choices}") from None
