"""Lab 1's figures (matplotlib, Agg): prediction vs truth, learning curves, decision boundary."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

Points = Sequence[tuple[float, float]]
# Class 0 red, class 1 blue, as the lab's figures.
COLORS = ("tab:red", "tab:blue")


def _pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (files only, no window, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _scatter(
    ax: Any, points: Points, classes: Sequence[int], title: str, edge: str = "black"
) -> None:
    for label, color in enumerate(COLORS):
        chosen = [p for p, c in zip(points, classes, strict=True) if c == label]
        if chosen:
            ax.scatter(
                [p[0] for p in chosen],
                [p[1] for p in chosen],
                c=color,
                s=28 if edge == "black" else 40,
                edgecolors=edge,
                linewidths=0.4 if edge == "black" else 1.0,
                label=f"class {label}",
            )
    ax.set_title(title, fontsize=13)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_aspect("equal", adjustable="datalim")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)


def plot_comparison(
    points: Points,
    labels: Sequence[int],
    predictions: Sequence[float],
    path: Path,
    title: str,
) -> Path:
    """Two panels: "Ground truth" (the labels) and "Predict result" (output > 0.5 is 1)."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.6))
    _scatter(left, points, labels, "Ground truth")
    predicted = [1 if p > 0.5 else 0 for p in predictions]
    wrong = sum(p != y for p, y in zip(predicted, labels, strict=True))
    _scatter(right, points, predicted, f"Predict result ({wrong} wrong)")
    fig.suptitle(title, fontsize=14)
    fig.tight_layout()
    return _save(fig, plt, path)


def plot_learning_curves(
    panels: Mapping[str, Mapping[str, Sequence[float]]],
    path: Path,
    title: str,
    ylabel: str = "loss (sum over the epoch's samples)",
    legend_title: str | None = None,
) -> Path:
    """One panel per key of ``panels`` (a task), one line per curve, log-scale loss.

    A curve's key is its legend text, which should say how the run ended: a curve that stopped
    early (eps reached, or diverged) simply ends there, and a run that diverged in its first
    epoch has no point to draw.
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 4.4), squeeze=False)
    for ax, (panel_title, curves) in zip(axes[0], panels.items(), strict=True):
        for name, losses in curves.items():
            epochs = range(1, len(losses) + 1)
            ax.plot(epochs, losses, label=name, linewidth=1.6)
        ax.set_yscale("log")
        ax.set_title(panel_title, fontsize=13)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8, title=legend_title, title_fontsize=8)
    fig.suptitle(title, fontsize=14)
    fig.tight_layout()
    return _save(fig, plt, path)


def plot_decision_boundary(
    predict: Callable[[Sequence[tuple[float, float]]], list[float]],
    points: Points,
    labels: Sequence[int],
    path: Path,
    title: str,
    resolution: int = 60,
    square: tuple[float, float] = (0.0, 1.0),
) -> Path:
    """The model's output over the input square, shaded, with its 0.5 contour and the samples.

    The grid covers ``square`` on both axes (both lab tasks live in the unit square), widened
    to hold every sample and padded by 0.1, so a few held-out samples still show the boundary
    over the whole input space.
    """
    plt = _pyplot()
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    pad = 0.1
    x_lo, x_hi = min(*xs, square[0]) - pad, max(*xs, square[1]) + pad
    y_lo, y_hi = min(*ys, square[0]) - pad, max(*ys, square[1]) + pad
    grid_x = [x_lo + (x_hi - x_lo) * i / (resolution - 1) for i in range(resolution)]
    grid_y = [y_lo + (y_hi - y_lo) * j / (resolution - 1) for j in range(resolution)]
    flat = predict([(x, y) for y in grid_y for x in grid_x])
    grid = [flat[j * resolution : (j + 1) * resolution] for j in range(resolution)]
    fig, ax = plt.subplots(figsize=(5.8, 5))
    shade = ax.contourf(grid_x, grid_y, grid, levels=20, cmap="RdBu", vmin=0.0, vmax=1.0)
    ax.contour(grid_x, grid_y, grid, levels=[0.5], colors="black", linewidths=1.5)
    fig.colorbar(shade, ax=ax, label="network output (0.5 = boundary)")
    # white rims keep the samples visible on the shading of their own colour
    _scatter(ax, points, labels, title, edge="white")
    # the shading fills the axes exactly: no blank bands from stretching the limits
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_aspect("equal", adjustable="box")
    fig.tight_layout()
    return _save(fig, plt, path)


def _save(fig: Any, plt: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
