"""The explorer's presets: the lecture neuron and the A/B/C graph at K = 2, built on the engine.

A preset is a named function source. ``viz`` may not import ``nn`` or ``demos``, so the presets
here use the engine alone; a caller that may import more (``python -m demos.explore`` adds the
Lab 1 network, built by ``nn``) passes extra presets to ``viz.serve.serve`` or ``main``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from engine import Value, linalg

from .explore_model import GraphFunction, Source, function_source
from .scopes import Collapse

#: The lecture's point: o = tanh(x1 w1 + x2 w2 + b) = 0.7071 (b chosen so that n = 0.8814).
NEURON_POINT = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}


@dataclass(frozen=True)
class Preset:
    """A graph the page offers by name.

    Attributes:
        key: its name in URLs (``?preset=neuron``).
        title: what the page's menu shows.
        function: builds the output from one Value per variable, by keyword.
        values: the variables and their starting values, in slider order.
        expression: the same graph as an expression, shown in the expression box ("" if none).
        collapse: passed to the drawing (``"neuron"`` for networks).
    """

    key: str
    title: str
    function: GraphFunction
    values: Mapping[str, float]
    expression: str = ""
    collapse: Collapse = None

    def source(self) -> Source:
        """This preset as an explorer source."""
        return function_source(self.function, self.values, title=self.title,
                               collapse=self.collapse, preset=self.key)


def lecture_neuron(x1: Value, x2: Value, w1: Value, w2: Value, b: Value) -> Value:
    """o = tanh(x1 w1 + x2 w2 + b), each intermediate labelled as in the lecture."""
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    total = x1w1 + x2w2
    total.label = "x1*w1 + x2*w2"
    n = total + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def abc_point(k: int = 2, seed: int = 0) -> dict[str, float]:
    """x, A, B, C for one sample, uniform on [-1, 1) from ``Random(seed)``, keyed by label
    (``x[1]``, ``A[1,1]``, ...): the point ``demos.abc.random_point(k, seed)`` draws."""
    rng = random.Random(seed)
    point = {f"x[{i}]": rng.uniform(-1.0, 1.0) for i in range(1, k + 1)}
    for name in "ABC":
        for i in range(1, k + 1):
            for j in range(1, k + 1):
                point[f"{name}[{i},{j}]"] = rng.uniform(-1.0, 1.0)
    return point


def abc_loss(**leaves: Value) -> Value:
    """L = ||C (sigma(A x) + B x)||^2 for x in R^K, A, B, C K x K, from leaves keyed by label.

    Each block of scalar nodes is in its own scope (y, u, v, z, w, L), as ``demos.abc.build``
    scopes them, so a drawing groups the scalars back into the vectors of the matrix form.
    """
    k = sum(1 for name in leaves if name.startswith("x["))
    x = [leaves[f"x[{i}]"] for i in range(1, k + 1)]

    def block(name: str) -> list[list[Value]]:
        return [[leaves[f"{name}[{i},{j}]"] for j in range(1, k + 1)] for i in range(1, k + 1)]

    a, b, c = block("A"), block("B"), block("C")
    return linalg.abc_forward(x, a, b, c)[-1]


NEURON = Preset("neuron", "The lecture neuron: o = tanh(x1 w1 + x2 w2 + b)", lecture_neuron,
                NEURON_POINT, expression="tanh(x1*w1 + x2*w2 + b)")
ABC = Preset("abc", "A/B/C at K = 2: L = ||C (sigma(A x) + B x)||^2", abc_loss, abc_point())

#: The presets ``viz`` itself offers, in menu order.
BUILTIN: tuple[Preset, ...] = (NEURON, ABC)


def registry(extra: Iterable[Preset] = ()) -> dict[str, Preset]:
    """The built-in presets and ``extra`` by key (a repeated key is an error)."""
    presets: dict[str, Preset] = {}
    for preset in (*BUILTIN, *extra):
        if not isinstance(preset, Preset):
            raise TypeError(f"presets must be viz.explore_presets.Preset, got {preset!r}")
        if preset.key in presets:
            raise ValueError(f"two presets are named {preset.key!r}")
        presets[preset.key] = preset
    return presets
