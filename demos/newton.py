"""Newton's method against gradient descent on Rosenbrock's valley, with the engine's Hessian.

f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 has its minimum 0 at (1, 1) at the bottom of a long
curved valley. Gradient descent steps along -grad f: the valley's walls are ~1000 times steeper
than its floor, so a rate small enough not to bounce between the walls (below 2 / 1000) crawls
along the floor. Newton's method solves H d = -grad f with the Hessian H from
``engine.hessian`` (a derivative of the derivative's graph) and steps by d: it fits a quadratic
bowl to f at every point, so it walks down the valley in a handful of steps.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from demos.report import Link, Section
from engine import Value, grad, hessian

START = (-1.2, 1.0)  # Rosenbrock's own starting point (1960)
MINIMUM = (1.0, 1.0)


def rosenbrock(x: Value, y: Value) -> Value:
    """(1 - x)^2 + 100 (y - x^2)^2."""
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


@dataclass(frozen=True)
class Iterate:
    """One point of a run: where it is, f there and the length of the gradient."""

    step: int
    point: tuple[float, ...]
    value: float
    gradient_norm: float


def gradient(point: Sequence[float]) -> tuple[float, list[float]]:
    """f and grad f at ``point`` from one backward pass."""
    leaves = [Value(c) for c in point]
    out = rosenbrock(*leaves)
    return out.data, grad(out, leaves)


def solve(matrix: Sequence[Sequence[float]], rhs: Sequence[float]) -> list[float]:
    """x with ``matrix x = rhs``, by Gaussian elimination with partial pivoting.

    Raises:
        ValueError: the matrix is singular (a zero pivot).
    """
    n = len(rhs)
    rows = [[*map(float, row), float(b)] for row, b in zip(matrix, rhs, strict=True)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        if rows[pivot][col] == 0.0:
            raise ValueError(f"solve(): the matrix is singular (column {col} has no pivot)")
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(col + 1, n):
            factor = rows[r][col] / rows[col][col]
            rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (rows[r][n] - sum(rows[r][c] * x[c] for c in range(r + 1, n))) / rows[r][r]
    return x


def _norm(v: Sequence[float]) -> float:
    return sum(c * c for c in v) ** 0.5


def newton(start: Sequence[float], steps: int, tol: float = 1e-12) -> list[Iterate]:
    """Newton's method: x <- x - H(x)^-1 grad f(x), until |grad f| <= tol or ``steps`` steps.

    Pure Newton, no line search: enough here, because from Rosenbrock's start every Hessian on
    the way happens to be positive definite (the demo's test checks it), so each step goes to
    the bottom of a bowl.
    """
    point = list(start)
    run = []
    for k in range(steps + 1):
        value, g = gradient(point)
        run.append(Iterate(k, tuple(point), value, _norm(g)))
        if _norm(g) <= tol or k == steps:
            break
        d = solve(hessian(rosenbrock, point), [-c for c in g])
        point = [p + s for p, s in zip(point, d, strict=True)]
    return run


def gradient_descent(start: Sequence[float], steps: int, rate: float) -> list[Iterate]:
    """x <- x - rate grad f(x), ``steps`` times."""
    point = list(start)
    run = []
    for k in range(steps + 1):
        value, g = gradient(point)
        run.append(Iterate(k, tuple(point), value, _norm(g)))
        point = [p - rate * c for p, c in zip(point, g, strict=True)]
    return run


def table(run: Sequence[Iterate], every: int = 1) -> str:
    """The run as text, one line per ``every``-th iterate and the last one."""
    lines = [f"{'step':>6}  {'x':>20}  {'y':>20}  {'f':>10}  {'|grad f|':>10}"]
    for it in run:
        if it.step % every == 0 or it is run[-1]:
            x, y = it.point
            lines.append(f"{it.step:>6}  {x!r:>20}  {y!r:>20}  {it.value:10.3e}  "
                         f"{it.gradient_norm:10.3e}")
    return "\n".join(lines)


def plot(newton_run: Sequence[Iterate], gd_run: Sequence[Iterate], rate: float,
         path: Path) -> Path:
    """The two paths over f's contours (left) and f against the step (right, log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_path, ax_value) = plt.subplots(1, 2, figsize=(11, 4.4), dpi=100)
    xs = [-2.0 + 4.0 * i / 200 for i in range(201)]
    ys = [-3.5 + 6.5 * j / 200 for j in range(201)]
    zs = [[(1 - x) ** 2 + 100 * (y - x * x) ** 2 for x in xs] for y in ys]
    ax_path.contour(xs, ys, zs, levels=[0.5 * 2.0**k for k in range(14)], colors="0.75",
                    linewidths=0.7)
    for run, style, name in ((gd_run, "-", f"gradient descent, rate {rate:g}"),
                             (newton_run, "o-", "Newton")):
        ax_path.plot([it.point[0] for it in run], [it.point[1] for it in run], style, ms=4,
                     label=f"{name}: {len(run) - 1} steps")
    ax_path.plot(*MINIMUM, "k*", ms=12, label="minimum (1, 1)")
    ax_path.set(xlabel="x", ylabel="y", xlim=(-2, 2), ylim=(-3.5, 3))
    ax_path.legend(fontsize=8, loc="lower left")
    for run, style, name in ((gd_run, "-", "gradient descent"), (newton_run, "o-", "Newton")):
        # A log axis has no 0: an iterate where f is exactly 0 is named in the legend instead.
        shown = [it for it in run if it.value > 0.0]
        exact = [it.step for it in run if it.value == 0.0]
        note = f" (f = 0 exactly at step {exact[0]})" if exact else ""
        ax_value.semilogy([it.step for it in shown], [it.value for it in shown], style,
                          ms=4, label=name + note)
    ax_value.set(xlabel="step", ylabel="f(x, y)", xscale="symlog")
    ax_value.grid(True, which="both", alpha=0.3)
    ax_value.legend(fontsize=8)
    fig.suptitle("Rosenbrock's valley: Newton (engine.hessian) against gradient descent")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def write(out: Path, gd_steps: int = 2000, rate: float = 1e-3) -> list[Link]:
    """Run both methods from Rosenbrock's start, print both runs, write the plot and the text."""
    newton_run = newton(START, steps=50)
    gd_run = gradient_descent(START, gd_steps, rate)
    text = "\n".join([
        "f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, minimum 0 at (1, 1), start (-1.2, 1)",
        "", "Newton: x <- x - H^-1 grad f, H = engine.hessian(f, x)", table(newton_run),
        "", f"gradient descent: x <- x - {rate:g} grad f", table(gd_run, every=gd_steps // 10),
    ])
    print(text)
    out.mkdir(parents=True, exist_ok=True)
    (out / "newton.txt").write_text(text + "\n", encoding="utf-8")
    figure = plot(newton_run, gd_run, rate, out / "newton.png")
    print(f"-> {figure}")
    return [
        Link("newton/newton.png", "newton.png",
             f"Newton reaches (1, 1) in {len(newton_run) - 1} steps; gradient descent is still "
             f"in the valley after {gd_steps}"),
        Link("newton/newton.txt", "newton.txt", "both runs, step by step"),
    ]


def report(out_root: Path) -> Section:
    """Write the demo under ``out_root/newton`` and describe it for the report."""
    return Section(
        "Newton's method with the engine's Hessian",
        "Second derivatives from grad(..., create_graph=True): a Newton step against plain "
        "gradient descent on Rosenbrock's valley.",
        write(out_root / "newton"),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demos.newton", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("out"), help="report folder (out)")
    parser.add_argument("--gd-steps", type=int, default=2000,
                        help="gradient descent steps (2000)")
    parser.add_argument("--rate", type=float, default=1e-3, help="gradient descent rate (1e-3)")
    args = parser.parse_args(argv)
    if args.gd_steps < 1:
        parser.error(f"--gd-steps must be at least 1, got {args.gd_steps}")
    if not args.rate > 0:
        parser.error(f"--rate must be positive, got {args.rate}")
    write(args.out / "newton", args.gd_steps, args.rate)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
