"""The A/B/C demo's pictures: the descent's loss curve and one sample's graph drawing."""

from __future__ import annotations

from pathlib import Path

from demos.abc.graph import sample_graph


def plot_losses(losses: list[float], path: Path, title: str) -> Path:
    """The mean loss against the epoch as a PNG (matplotlib's Agg backend, imported here)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    ax.plot(range(len(losses)), losses, color="tab:blue")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean L over the inputs")
    ax.set_yscale("log")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def draw_graph(folder: Path, k: int = 2, seed: int = 0) -> Path:
    """One sample's graph after backward, drawn by ``viz`` with a box per block y, u, v, z, w.

    Writes ``graph_k<k>.svg``; without the Graphviz ``dot`` program, the DOT text
    ``graph_k<k>.dot`` instead (viz writes it without Graphviz).
    """
    import viz

    root = sample_graph(k, seed)
    root.backward()
    try:
        return viz.save(root, folder / f"graph_k{k}.svg")
    except viz.GraphvizNotFoundError as error:
        print(f"({error}; writing the DOT text instead)")
        return viz.save(root, folder / f"graph_k{k}.dot")
