"""The cost of gradients on the A/B/C graph (issues 9, 17): backprop against forward mode and
central differences per size K, with the Lab 1 network as a single point beside them
(``demos.cost`` measures)."""

from __future__ import annotations

from pathlib import Path

from demos import cost
from demos.abc.graph import build, build_from_floats, random_point
from engine import Value, linalg

COST_KS = (1, 2, 4, 8, 16, 32)


def abc_cost_row(k: int, seed: int = 0, budget: float = 0.5) -> cost.CostRow:
    """Backprop against central differences for one sample of size K, parameters A, B, C."""
    graph = build_from_floats(*random_point(k, seed))
    params = linalg.parameters(graph.A, graph.B, graph.C)

    def loss_fn() -> Value:
        return build(graph.x, graph.A, graph.B, graph.C).L

    return cost.measure(f"K={k}", loss_fn, params, budget)


def run_cost(folder: Path, ks: tuple[int, ...] = COST_KS, seed: int = 0,
             lab1: bool = True, budget: float = 2.0) -> tuple[str, Path]:
    """Measure every K (and the Lab 1 network), print the table, plot it; returns (text, plot).

    Args:
        budget: seconds after which the repeats of one timing stop (K = 32's finite
            differences, about 20 s, run once).
    """
    rows = []
    for k in ks:
        rows.append(abc_cost_row(k, seed, budget))
        print(f"  measured K={k}", flush=True)
    fitted = cost.slopes(rows)
    lines = [
        "The A/B/C graph, one sample: every dL/dA, dL/dB, dL/dC (P = 3K^2 parameters) by one "
        "forward + backward pass (2N nodes), by forward mode (P passes: PN nodes plus the "
        "tangents each parameter reaches) and by central differences (2P forward passes, "
        "2PN nodes), N = 6K^2 + K - 1 op nodes. Times: median of up to 25 (backprop) and 5 "
        "(forward mode, fd) runs.",
        cost.format_table(rows),
    ]
    if fitted:
        listed = ", ".join(f"{name} {value:.2f}" for name, value in fitted.items())
        lines.append(f"log-log slopes against P (fitted over P >= {cost.FIT_MIN_PARAMS}): "
                     f"{listed}")
    lines.append("rel diff = max |other - backprop| / max |backprop| over the parameters.")
    lines += ["", cost.STORY]
    extra = [cost.lab1_cost_row(seed=seed, budget=budget)] if lab1 else []
    if extra:
        lines += ["", "The Lab 1 network, one sample, squared error:", cost.format_table(extra)]
    text = "\n".join(lines)
    plot_path = cost.plot(
        rows, folder / "cost.png",
        "Gradients of the A/B/C loss: reverse mode, forward mode, central differences", extra)
    (folder / "cost.txt").write_text(text + "\n", encoding="utf-8")
    return text, plot_path
