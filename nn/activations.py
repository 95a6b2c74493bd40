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


def resolve_activation(activation: str | bool | None, nonlin: bool | None) -> str:
    """The activation a Neuron or Layer applies, from glassgrad's ``activation`` or micrograd's
    ``nonlin`` (True: ReLU, False: linear; a bool given in ``activation``'s place, as in
    micrograd's ``Neuron(2, False)``, means the same). Neither given: ``"relu"``."""
    if isinstance(activation, bool):
        if nonlin is not None:
            raise TypeError(
                f"got nonlin twice: positionally ({activation!r}) and as nonlin={nonlin!r}"
            )
        activation, nonlin = None, activation
    if nonlin is None:
        name = "relu" if activation is None else activation
        get_activation(name)
        return name
    if not isinstance(nonlin, bool):
        raise TypeError(f"nonlin must be True (ReLU) or False (linear), got {nonlin!r}")
    if activation is not None:
        raise ValueError(
            f"give activation={activation!r} or micrograd's nonlin={nonlin!r}, not both"
        )
    return "relu" if nonlin else "linear"
