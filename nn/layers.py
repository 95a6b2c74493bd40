"""Neuron, Layer and MLP: fully connected networks of scalar Values, micrograd-compatible."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from engine import Value, name_scope

from .activations import get_activation, resolve_activation
from .module import Module

Seed = int | random.Random | None


def make_rng(seed: Seed) -> random.Random:
    """A ``random.Random`` from a seed: an int seeds a new one, a Random is used as it is
    (so several modules can draw from one stream), None gives a fresh unseeded one."""
    if isinstance(seed, random.Random):
        return seed
    if seed is None:
        return random.Random()
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(
            f"seed must be an int, a random.Random or None, got {seed!r} ({type(seed).__name__})"
        )
    return random.Random(seed)


def _check_width(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive int, got {value!r}")
    return value


class Neuron(Module):
    """One unit: ``act(w · x + b)``, with ``nin`` weights and a bias.

    Weights are drawn from the uniform distribution on [-weight_scale, weight_scale] (by default
    [-1, 1], as in micrograd) and the bias starts at 0. Parameters are labelled ``w<name>.<k>``
    and ``b<name>`` (``w1.3.0``: layer 1, neuron 3, input 0), and every node the neuron makes,
    parameters and forward pass alike, carries the scope ``Neuron <name>`` under whatever scope
    encloses it.

    Args:
        nin: number of inputs.
        activation: ``"relu"`` (the default), ``"tanh"``, ``"sigmoid"`` or ``"linear"``
            (identity).
        nonlin: micrograd's spelling: True is ReLU, False is linear (``Neuron(2, nonlin=False)``,
            or ``Neuron(2, False)`` as micrograd allows); give it or ``activation``, not both.
        seed: an int, a ``random.Random`` to draw from, or None for an unseeded one.
        name: the neuron's number, such as ``"1.3"``; empty for a lone neuron.
        weight_scale: the half-width of the uniform weight distribution (> 0).
    """

    def __init__(
        self,
        nin: int,
        activation: str | bool | None = None,
        *,
        nonlin: bool | None = None,
        seed: Seed = None,
        name: str = "",
        weight_scale: float = 1.0,
    ) -> None:
        self.nin = _check_width(nin, "Neuron nin")
        if not (isinstance(weight_scale, int | float) and 0.0 < weight_scale < math.inf):
            raise ValueError(f"weight_scale must be a positive finite number, got {weight_scale!r}")
        self.activation = resolve_activation(activation, nonlin)
        self._act = get_activation(self.activation)
        self.name = name
        self._scope = f"Neuron {name}" if name else "Neuron"
        rng = make_rng(seed)
        prefix = f"w{name}." if name else "w"
        with name_scope(self._scope):
            self.w = [
                Value(rng.uniform(-weight_scale, weight_scale), label=f"{prefix}{k}")
                for k in range(nin)
            ]
            self.b = Value(0.0, label=f"b{name}")

    def forward(self, x: Sequence[Value | float]) -> Value:
        """``act(sum_k w_k x_k + b)`` for one input vector ``x`` of length ``nin``."""
        if len(x) != self.nin:
            raise ValueError(f"{self._scope} expects {self.nin} inputs, got {len(x)}: {x!r}")
        with name_scope(self._scope):
            total = self.b
            for wk, xk in zip(self.w, x, strict=True):
                total = total + wk * xk
            return self._act(total)

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"Neuron({self.nin} inputs, {self.activation})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs; returns a list of ``nout`` Values,
    whatever ``nout`` is (a width-1 layer returns a list of one).

    The layer's nodes carry the scope ``Layer <index>``; its neurons are numbered
    ``<index>.1`` to ``<index>.<nout>``. ``activation`` and micrograd's ``nonlin`` are as for
    ``Neuron`` (``Layer(3, 4, nonlin=False)`` is a linear layer).
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | bool | None = None,
        *,
        nonlin: bool | None = None,
        seed: Seed = None,
        index: int = 1,
        weight_scale: float = 1.0,
    ) -> None:
        self.nin = _check_width(nin, "Layer nin")
        self.nout = _check_width(nout, "Layer nout")
        activation = resolve_activation(activation, nonlin)
        self.activation = activation
        self.index = index
        self._scope = f"Layer {index}"
        rng = make_rng(seed)
        with name_scope(self._scope):
            self.neurons = [
                Neuron(nin, activation, seed=rng, name=f"{index}.{j}", weight_scale=weight_scale)
                for j in range(1, nout + 1)
            ]

    def forward(self, x: Sequence[Value | float]) -> list[Value]:
        """Each neuron's output for input ``x``, in order."""
        with name_scope(self._scope):
            return [neuron(x) for neuron in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for neuron in self.neurons for p in neuron.parameters()]

    def __repr__(self) -> str:
        return f"Layer {self.index}: {self.nout} × Neuron({self.nin} inputs, {self.activation})"


class MLP(Module):
    """A multilayer perceptron, micrograd's ``MLP(nin, nouts)``: hidden layers apply
    ``activation`` (ReLU by default), the last layer ``output_activation`` (linear by default,
    as in micrograd). The lecture's network, tanh in every layer, output included, is
    ``MLP(3, [4, 4, 1], "tanh", output_activation="tanh")``.

    ``MLP(2, [16, 16, 1])`` is 2 inputs -> 16 -> 16 -> 1 output: 337 parameters. Calling the
    model on one input vector returns a single Value when the last layer has width 1 (as
    micrograd does, so ``loss = (model(x) - y) ** 2`` works), and a list of Values otherwise;
    ``model.layers[-1](h)`` always gives a list.

    Args:
        nin: number of inputs.
        nouts: the width of each layer, the output layer last.
        activation: for the hidden layers: ``"relu"``, ``"tanh"``, ``"sigmoid"`` or
            ``"linear"`` (no non-linearity at all).
        output_activation: for the last layer, one of the same names (``"linear"``).
        seed: an int or a ``random.Random`` for the weights (see ``Neuron``); the same seed
            gives the same network.
        weight_scale: weights start uniform on [-weight_scale, weight_scale], biases at 0.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        *,
        output_activation: str = "linear",
        seed: Seed = None,
        weight_scale: float = 1.0,
    ) -> None:
        if isinstance(nouts, int | str) or not nouts:
            raise ValueError(f"MLP nouts must be a non-empty list of layer widths, got {nouts!r}")
        # fail on a bad name before building anything
        for name in (activation, output_activation):
            if not isinstance(name, str):
                raise TypeError(f"MLP activations are names such as 'tanh', got {name!r}")
            get_activation(name)
        rng = make_rng(seed)
        sizes = [_check_width(nin, "MLP nin"), *nouts]
        last = len(nouts)
        self.activation = activation
        self.output_activation = output_activation
        self.layers = [
            Layer(
                sizes[i - 1],
                sizes[i],
                activation if i < last else output_activation,
                seed=rng,
                index=i,
                weight_scale=weight_scale,
            )
            for i in range(1, last + 1)
        ]

    @property
    def nin(self) -> int:
        return self.layers[0].nin

    @property
    def nout(self) -> int:
        return self.layers[-1].nout

    def forward(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """The network's output for one input vector: one Value if the output width is 1,
        else a list of Values."""
        h: Sequence[Value | float] = x
        for layer in self.layers:
            h = layer(h)
        out: list[Value] = h  # type: ignore[assignment]  # a layer returns a list
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        widths = [layer.nout for layer in self.layers]
        returns = "one Value" if self.nout == 1 else f"a list of {self.nout} Values"
        lines = [
            f"MLP({self.nin} -> {widths}, {self.activation} hidden, "
            f"{self.output_activation} output, "
            f"{self.num_parameters()} parameters; returns {returns})"
        ]
        lines += [f"  {layer!r}" for layer in self.layers]
        return "\n".join(lines)
