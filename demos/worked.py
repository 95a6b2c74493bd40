"""A worked example: one small expression, its value and every gradient, beside torch's."""

from __future__ import annotations

import argparse
from pathlib import Path

from demos.report import Link, Section
from engine import Value, compare_with_torch


def weighted_sum(x1: Value, x2: Value, w1: Value, w2: Value, b: Value) -> Value:
    """n = x1 w1 + x2 w2 + b, the neuron's input to tanh. Runs on Values and on tensors."""
    return x1 * w1 + x2 * w2 + b


def neuron(x1: Value, x2: Value, w1: Value, w2: Value, b: Value) -> Value:
    """The lecture's single neuron: tanh(x1 w1 + x2 w2 + b). Runs on Values and on tensors."""
    return weighted_sum(x1, x2, w1, w2, b).tanh()


#: The lecture's point, where o = tanh(n) = 0.7071... (n = 0.8813..., so do/dn = 1/2).
POINT = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}


def lecture_neuron() -> dict[str, Value]:
    """The neuron at ``POINT`` as the lecture draws it: the leaves, ``n`` and ``o``, each
    labelled with its name and keyed by it (``o`` is the output)."""
    leaves = {name: Value(x, label=name) for name, x in POINT.items()}
    n = weighted_sum(**leaves)
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return {**leaves, "n": n, "o": o}


def run() -> str:
    """The example as text: forward value, every gradient, and torch's numbers when present."""
    nodes = lecture_neuron()
    leaves = {name: nodes[name] for name in POINT}
    out = nodes["o"]
    out.backward()
    lines = ["o = tanh(x1*w1 + x2*w2 + b)", f"o = {out.data!r}"]
    lines += [f"do/d{name} = {leaf.grad!r}" for name, leaf in leaves.items()]
    try:
        report = compare_with_torch(neuron, POINT)
    except ImportError as error:
        lines.append(f"(torch not installed, no comparison: {error})")
    else:
        lines += ["", "the same function on float64 torch tensors:", report.table()]
    return "\n".join(lines)


def report(out_root: Path) -> Section:
    """Print the example and save it as ``worked/neuron.txt``."""
    text = run()
    print(text)
    folder = out_root / "worked"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "neuron.txt").write_text(text + "\n", encoding="utf-8")
    return Section(
        "A worked example",
        "The lecture's single tanh neuron: its value and every gradient from the engine, "
        "beside PyTorch's.",
        [Link("worked/neuron.txt", "neuron.txt", "value and gradients, engine vs torch")],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demos.worked", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("out"))
    args = parser.parse_args(argv)
    report(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
