"""``python -m demos.explore``: the live explorer with every preset, the Lab 1 network included.

``viz`` may not import ``nn``, so ``python -m viz serve`` offers the presets built on the engine
alone (the lecture neuron, A/B/C at K = 2); this entry point, on the top floor, adds the Lab 1
network (built by ``nn``) and otherwise takes the same arguments:

    python -m demos.explore --preset lab1 --open
"""

from __future__ import annotations

from pathlib import Path

from demos.report import Section
from engine import Value
from nn import MLP, generate_linear
from viz.explore_presets import Preset
from viz.serve import main as serve_main

#: The Lab 1 network of demos.lab1's default Config: 2 inputs, two sigmoid layers of 4, one
#: linear output, weights uniform on [-2, 2] from seed 0 (untrained).
HIDDEN = (4, 4)
SEED = 0
WEIGHT_SCALE = 2.0


def lab1_loss(x1: Value, x2: Value, t: Value) -> Value:
    """The squared error (model([x1, x2]) - t)^2 of the Lab 1 network on one sample.

    The network is built afresh on every call from the same seed, so each graph has its own
    parameters (two requests never share a node) and the same numbers.
    """
    model = MLP(2, [*HIDDEN, 1], "sigmoid", seed=SEED, weight_scale=WEIGHT_SCALE)
    out = model([x1, x2])
    assert isinstance(out, Value)  # one output
    loss = (out - t) ** 2
    loss.label = "L"
    return loss


def lab1_sample() -> dict[str, float]:
    """The first sample of the Lab 1 linear task (seed 0): its point and its label."""
    points, labels = generate_linear(100, seed=SEED)
    (x1, x2), label = points[0], labels[0]
    return {"x1": x1, "x2": x2, "t": float(label)}


LAB1 = Preset("lab1", "Lab 1: the 2-4-4-1 sigmoid network on one sample (by neuron)",
              lab1_loss, lab1_sample(), collapse="neuron")


#: The command that opens the explorer on the lecture neuron (``make demo`` prints it).
COMMAND = "python -m viz serve --preset neuron --open"


def report(out_root: Path) -> Section:
    """The report's section on the explorer: it is live, so it is started, not written."""
    summary = (f"The live explorer is a local web app, not a file: start it with `{COMMAND}` "
               "(the lecture neuron; any expression: python -m viz serve \"tanh(a*b + c)\" "
               "a=2 b=-3 c=10), or `python -m demos.explore --preset lab1 --open` for the Lab 1 "
               "network too. In Jupyter: viz.explore(\"tanh(a*b + c)\", a=2, b=-3, c=10). "
               "See docs/explorer.md.")
    print(f"Live explorer (drag a value, watch forward and backward update):\n  {COMMAND}")
    return Section("Live explorer", summary, [])


def main(argv: list[str] | None = None) -> int:
    """Serve the explorer with the Lab 1 preset added (see ``python -m viz serve --help``)."""
    return serve_main(argv, presets=[LAB1], prog="python -m demos.explore")


if __name__ == "__main__":
    raise SystemExit(main())
