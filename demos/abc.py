"""The A/B/C homework graph: engine, hand formulas and torch side by side, then gradient descent.

For x in R^K and K x K matrices A, B, C:  y = A x, u = sigma(y), v = B x, z = u + v, w = C z,
L = ||w||^2.  ``python -m demos.abc`` prints one sample's values and its gradients three ways,
minimizes the mean of L over N random inputs, and draws the graph for K = 2; ``--cost`` measures
how much one backward pass saves over finite differences (demos.cost).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from demos import abc_hand, cost, lab1
from demos.abc_hand import Mat, Vec
from demos.report import Link, Section
from engine import Value, linalg, name_scope, no_grad
from engine.linalg import Matrix, Vector

# --- the graph ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AbcGraph:
    """One sample's graph: the leaves x, A, B, C, every intermediate vector and the loss L."""

    x: Vector
    A: Matrix
    B: Matrix
    C: Matrix
    y: Vector
    u: Vector
    v: Vector
    z: Vector
    w: Vector
    L: Value


def build(x: Vector, a: Matrix, b: Matrix, c: Matrix) -> AbcGraph:
    """L = ||C (sigma(A x) + B x)||^2 on Values, each block of scalar nodes in its own scope.

    The scopes y, u, v, z, w (and L) let a drawing group the scalar nodes back into the vectors
    of the matrix form; the last node of each entry is labelled ``y[i]``, ``u[i]``, ...
    """
    with name_scope("y"):
        y = linalg.label(linalg.matvec(a, x), "y")
    with name_scope("u"):
        u = linalg.label(linalg.vmap(Value.sigmoid, y), "u")
    with name_scope("v"):
        v = linalg.label(linalg.matvec(b, x), "v")
    with name_scope("z"):
        z = linalg.label(linalg.vadd(u, v), "z")
    with name_scope("w"):
        w = linalg.label(linalg.matvec(c, z), "w")
    with name_scope("L"):
        loss = linalg.squared_norm(w)
    loss.label = "L"
    return AbcGraph(x, a, b, c, y, u, v, z, w, loss)


def random_matrix(k: int, rng: random.Random) -> Mat:
    """A K x K matrix with entries uniform in [-1, 1)."""
    return [[rng.uniform(-1.0, 1.0) for _ in range(k)] for _ in range(k)]


def random_point(k: int, seed: int) -> tuple[Vec, Mat, Mat, Mat]:
    """x, A, B, C for one sample, entries uniform in [-1, 1), drawn from ``Random(seed)``."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"K must be a positive int, got {k!r}")
    rng = random.Random(seed)
    x = [rng.uniform(-1.0, 1.0) for _ in range(k)]
    return x, random_matrix(k, rng), random_matrix(k, rng), random_matrix(k, rng)


def build_from_floats(x: Vec, a: Mat, b: Mat, c: Mat) -> AbcGraph:
    """Leaves labelled ``x[i]``, ``A[i,j]``, ... holding the given floats, and the graph on them."""
    return build(linalg.vector(x, "x"), linalg.matrix(a, "A"), linalg.matrix(b, "B"),
                 linalg.matrix(c, "C"))


def sample_graph(k: int = 2, seed: int = 0) -> Value:
    """L for one random sample of size ``k``, every node labelled or scoped (for drawings)."""
    return build_from_floats(*random_point(k, seed)).L


# --- one sample, three ways -----------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One gradient (a matrix, or a vector as a column) from the engine, by hand and from torch."""

    name: str
    engine: Mat
    hand: Mat
    torch: Mat | None

    def max_abs_diff(self, other: Mat | None) -> float | None:
        """The largest |engine - other| over the entries (None when ``other`` is missing)."""
        return None if other is None else max_abs_diff(self.engine, other)


def max_abs_diff(first: Mat, second: Mat) -> float:
    """max_ij |first_ij - second_ij|."""
    return max(abs(p - q) for r, s in zip(first, second, strict=True)
               for p, q in zip(r, s, strict=True))


@dataclass(frozen=True)
class Comparison:
    """One sample's point, forward values and gradients computed three ways at that point."""

    graph: AbcGraph
    hand: abc_hand.HandResult
    torch_loss: float | None
    blocks: list[Block]
    torch_note: str


def _column(v: Vec) -> Mat:
    return [[item] for item in v]


def torch_gradients(x: Vec, a: Mat, b: Mat, c: Mat) -> tuple[float, dict[str, Mat]]:
    """L and dL/dA, dL/dB, dL/dC, dL/dx from torch autograd in float64 (torch imported here)."""
    import torch

    def leaf(data: Vec | Mat) -> torch.Tensor:
        return torch.tensor(data, dtype=torch.float64, requires_grad=True)

    tx, ta, tb, tc = leaf(x), leaf(a), leaf(b), leaf(c)
    w = tc @ (torch.sigmoid(ta @ tx) + tb @ tx)
    loss = (w * w).sum()
    loss.backward()
    grads = {"A": ta.grad.tolist(), "B": tb.grad.tolist(), "C": tc.grad.tolist(),
             "x": _column(tx.grad.tolist())}
    return float(loss.item()), grads


def compare(k: int = 3, seed: int = 0, use_torch: bool = True) -> Comparison:
    """Build one sample, backpropagate, and compute the same gradients by hand and with torch.

    All three read the same floats x, A, B, C, so every difference is rounding alone.
    """
    x, a, b, c = random_point(k, seed)
    graph = build_from_floats(x, a, b, c)
    graph.L.backward()
    hand = abc_hand.gradients(x, a, b, c)
    torch_loss: float | None = None
    torch_grads: dict[str, Mat] = {}
    note = "torch: float64 autograd at the same point"
    if use_torch:
        try:
            torch_loss, torch_grads = torch_gradients(x, a, b, c)
        except ImportError:
            note = "torch is not installed: engine vs hand only (pip install torch==2.13.0)"
    else:
        note = "torch comparison switched off: engine vs hand only"
    engine = {"A": linalg.grad_of(graph.A), "B": linalg.grad_of(graph.B),
              "C": linalg.grad_of(graph.C), "x": _column([item.grad for item in graph.x])}
    by_hand = {"A": hand.dA, "B": hand.dB, "C": hand.dC, "x": _column(hand.dx)}
    blocks = [Block(name, engine[name], by_hand[name], torch_grads.get(name))
              for name in ("A", "B", "C", "x")]
    return Comparison(graph, hand, torch_loss, blocks, note)


def _format_vector(name: str, values: Vec) -> str:
    return f"{name} = [" + ", ".join(repr(item) for item in values) + "]"


def _entry_name(block: str, i: int, j: int) -> str:
    if block == "x":
        return f"dL/dx[{i + 1}]"
    return f"dL/d{block}[{i + 1},{j + 1}]"


def format_comparison(result: Comparison) -> str:
    """The sample as text: point, forward values (engine beside hand), then each gradient entry
    as engine | hand | torch in full precision (repr), with the largest differences per block."""
    g, hand = result.graph, result.hand
    lines = ["One sample: y = A x, u = sigma(y), v = B x, z = u + v, w = C z, L = ||w||^2", ""]
    lines.append(_format_vector("x", [item.data for item in g.x]))
    for name, m in (("A", g.A), ("B", g.B), ("C", g.C)):
        lines.append(f"{name} =")
        lines += ["  [" + ", ".join(repr(item) for item in row) + "]" for row in linalg.data_of(m)]
    lines.append("")
    lines.append("forward (engine; the hand computation gives the same floats unless noted):")
    for name in ("y", "u", "v", "z", "w"):
        engine_values = [item.data for item in getattr(g, name)]
        lines.append(_format_vector(name, engine_values))
        if engine_values != getattr(hand, name):
            lines.append(_format_vector(f"{name} (hand)", getattr(hand, name)))
    lines.append(f"L = {g.L.data!r}   (hand {hand.L!r}"
                 + (f", torch {result.torch_loss!r})" if result.torch_loss is not None else ")"))
    lines.append("")
    lines.append(f"gradients: engine backward | hand formulas | {result.torch_note}")
    header = ("entry", "engine", "hand", "torch")
    for block in result.blocks:
        rows = []
        for i, row in enumerate(block.engine):
            for j, value in enumerate(row):
                rows.append((
                    _entry_name(block.name, i, j),
                    repr(value),
                    repr(block.hand[i][j]),
                    repr(block.torch[i][j]) if block.torch is not None else "-",
                ))
        widths = [max(len(r[col]) for r in [header, *rows]) for col in range(4)]
        lines.append("")
        lines += ["  ".join(cell.rjust(w) if n else cell.ljust(w)
                            for n, (cell, w) in enumerate(zip(r, widths, strict=True))).rstrip()
                  for r in [header, *rows]]
        hand_diff = block.max_abs_diff(block.hand)
        torch_diff = block.max_abs_diff(block.torch)
        summary = f"max |engine - hand| = {hand_diff:.3e}"
        if torch_diff is None or block.torch is None:
            summary += ", torch: -"
        else:
            summary += (f", max |engine - torch| = {torch_diff:.3e}"
                        f", max |hand - torch| = {max_abs_diff(block.hand, block.torch):.3e}")
        lines.append(f"dL/d{block.name}: {summary}")
    return "\n".join(lines)


# --- gradient descent -----------------------------------------------------------------------


@dataclass(frozen=True)
class Training:
    """A descent run: the mean loss before each epoch and after the last, the trained matrices."""

    losses: list[float]
    A: Mat
    B: Mat
    C: Mat
    C_start: Mat

    @property
    def final_loss(self) -> float:
        return self.losses[-1]


def frobenius(m: Mat) -> float:
    """||M||_F = sqrt(sum of squared entries)."""
    return math.sqrt(sum(item * item for row in m for item in row))


def mean_loss(inputs: list[Vec], a: Matrix, b: Matrix, c: Matrix) -> Value:
    """(1/N) sum_n L(x_n): one graph over all N samples, sharing the leaves A, B, C."""
    losses = [build(linalg.vector(x), a, b, c).L for x in inputs]
    return linalg.vsum(losses) * (1.0 / len(losses))


def train(k: int = 3, n: int = 100, lr: float = 0.2, epochs: int = 100, seed: int = 0,
          progress: bool = True) -> Training:
    """Full-batch gradient descent on A, B, C minimizing the mean of L over N random inputs.

    Each epoch builds the graph of the mean loss, runs backward, and steps every entry p of A, B,
    C to p - lr dmean/dp. The inputs and the starting matrices come from ``Random(seed)``.

    Args:
        progress: show a tqdm progress bar with the current loss (when tqdm is installed).

    Returns:
        The mean loss before each epoch and once more after the last (epochs + 1 numbers).
    """
    if n < 1 or epochs < 0:
        raise ValueError(f"train() needs n >= 1 and epochs >= 0, got n={n!r}, epochs={epochs!r}")
    rng = random.Random(seed)
    a, b, c = (linalg.matrix(random_matrix(k, rng), name) for name in "ABC")
    c_start = linalg.data_of(c)
    inputs = [[rng.uniform(-1.0, 1.0) for _ in range(k)] for _ in range(n)]
    params = linalg.parameters(a, b, c)
    steps: range = range(epochs)
    bar = None
    if progress:
        try:
            from tqdm import tqdm
        except ImportError:
            print("(tqdm not installed: no progress bar)")
        else:
            bar = tqdm(steps, desc="descent", unit="epoch", file=sys.stderr)
    losses: list[float] = []
    for _ in bar if bar is not None else steps:
        loss = mean_loss(inputs, a, b, c)
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        losses.append(loss.data)
        if bar is not None:
            bar.set_postfix(loss=f"{loss.data:.6g}")
    if bar is not None:
        bar.close()
    with no_grad():
        losses.append(mean_loss(inputs, a, b, c).data)
    return Training(losses, linalg.data_of(a), linalg.data_of(b), linalg.data_of(c), c_start)


MINIMUM_NOTE = (
    "Note: L = ||C z||^2 >= 0, and the minimum 0 is reached when C z = 0 for every input: "
    "C = 0 is one such point. z = sigma(A x) + B x cannot be 0 for every x (sigma(0) = 1/2), "
    "so descent shrinks C and turns it towards a matrix whose null space holds the z's (A and "
    "B help by moving the z's there): a small, nearly singular C is the expected outcome, not "
    "a bug."
)


def format_training(training: Training, print_every: int) -> str:
    """The loss per epoch (every ``print_every``-th, plus the last), the matrices and the note."""
    lines = ["epoch  mean loss"]
    last = len(training.losses) - 1
    for epoch, loss in enumerate(training.losses):
        if epoch % print_every == 0 or epoch == last:
            lines.append(f"{epoch:5d}  {loss!r}")
    for name, m in (("A", training.A), ("B", training.B), ("C", training.C)):
        lines.append(f"trained {name} =")
        lines += ["  [" + ", ".join(f"{item: .6f}" for item in row) + "]" for row in m]
    lines.append(f"final mean loss = {training.final_loss!r} (started at {training.losses[0]!r})")
    lines.append(f"||C||_F: {frobenius(training.C_start):.6f} at the start, "
                 f"{frobenius(training.C):.6f} after training")
    lines.append(MINIMUM_NOTE)
    return "\n".join(lines)


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


# --- the drawing ----------------------------------------------------------------------------


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


# --- the cost of gradients (issue 9) --------------------------------------------------------

COST_KS = (1, 2, 4, 8, 16, 32)
#: The Lab 1 network's default hidden widths (2 inputs, sigmoid hidden layers, one output),
#: read from demos.lab1 so the two cannot drift apart.
LAB1_HIDDEN = lab1.Config().hidden


def abc_ops(k: int) -> int:
    """Op nodes in one sample's graph: 3 matvecs of K^2 products and K(K - 1) sums, K sigmoids,
    K sums for z, K squares and K - 1 sums for L: 6K^2 + K - 1."""
    return 6 * k * k + k - 1


def abc_cost_row(k: int, seed: int = 0, budget: float = 0.5) -> cost.CostRow:
    """Backprop against central differences for one sample of size K, parameters A, B, C."""
    graph = build_from_floats(*random_point(k, seed))
    params = linalg.parameters(graph.A, graph.B, graph.C)

    def loss_fn() -> Value:
        return build(graph.x, graph.A, graph.B, graph.C).L

    return cost.measure(f"K={k}", loss_fn, params, budget)


def lab1_cost_row(hidden: tuple[int, ...] = LAB1_HIDDEN, seed: int = 0,
                  budget: float = 0.5) -> cost.CostRow:
    """The same comparison for the Lab 1 network: ``nn.MLP(2, [*hidden, 1], "sigmoid")`` with
    Lab 1's initial weights, and the squared error on one sample of ``nn.generate_linear``."""
    import nn

    setup = lab1.Config()
    model = nn.MLP(2, [*hidden, 1], activation=setup.activation, seed=seed,
                   weight_scale=setup.weight_scale)
    points, labels = nn.generate_linear(1, seed=seed)
    x, target = points[0], float(labels[0])

    def loss_fn() -> Value:
        return nn.mse_loss([model(x)], [target])

    name = "Lab 1 MLP 2-" + "-".join(str(h) for h in hidden) + "-1"
    return cost.measure(name, loss_fn, model.parameters(), budget)


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
        "forward + backward pass (2N nodes) and by central differences (2P forward passes, "
        "2PN nodes), N = 6K^2 + K - 1 op nodes. Times: median of up to 25 (backprop) and 5 "
        "(fd) runs.",
        cost.format_table(rows),
    ]
    if fitted:
        listed = ", ".join(f"{name} {value:.2f}" for name, value in fitted.items())
        lines.append(f"log-log slopes against P (fitted over P >= {cost.FIT_MIN_PARAMS}): "
                     f"{listed}")
    lines.append("max rel diff = max |fd - backprop| / max |backprop| over the parameters.")
    extra = [lab1_cost_row(seed=seed, budget=budget)] if lab1 else []
    if extra:
        lines += ["", "The Lab 1 network, one sample, squared error:", cost.format_table(extra)]
    text = "\n".join(lines)
    plot_path = cost.plot(rows, folder / "cost.png",
                          "Gradients of the A/B/C loss: backprop vs central differences", extra)
    (folder / "cost.txt").write_text(text + "\n", encoding="utf-8")
    return text, plot_path


# --- command line and report ----------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m demos.abc", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=int, default=3, help="size K of x and the matrices (3)")
    parser.add_argument("--n", type=int, default=100, help="inputs for gradient descent (100)")
    parser.add_argument("--lr", type=float, default=0.2, help="learning rate (0.2)")
    parser.add_argument("--epochs", type=int, default=100, help="descent epochs (100)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random number (0)")
    parser.add_argument("--out", type=Path, default=Path("out/abc"), help="folder (out/abc)")
    parser.add_argument("--print-every", type=int, default=10,
                        help="print the loss of every n-th epoch (10; all are in losses.csv)")
    parser.add_argument("--no-torch", action="store_true", help="skip the torch column")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--cost", action="store_true",
                        help="only measure backprop against finite differences (issue 9)")
    parser.add_argument("--cost-k", type=int, nargs="+", default=list(COST_KS),
                        help="sizes K for --cost (1 2 4 8 16 32)")
    parser.add_argument("--no-lab1", action="store_true",
                        help="leave the Lab 1 network out of --cost")
    return parser


def run(args: argparse.Namespace, sample_parts: bool = True, cost_study: bool = False
        ) -> list[Link]:
    """Run the demo and return the files written, each with a line of explanation.

    Args:
        args: the parsed command line.
        sample_parts: the comparison, the descent and the drawing.
        cost_study: backprop against finite differences.
    """
    folder: Path = args.out
    folder.mkdir(parents=True, exist_ok=True)
    prefix = folder.name
    links: list[Link] = []
    if sample_parts:
        text = format_comparison(compare(args.k, args.seed, use_torch=not args.no_torch))
        print(text)
        (folder / "sample.txt").write_text(text + "\n", encoding="utf-8")
        links.append(Link(f"{prefix}/sample.txt", "sample.txt",
                          f"one sample (K={args.k}): values, and dL/dA, dL/dB, dL/dC, dL/dx from "
                          "the engine, the hand formulas and torch, in full precision"))

        print(f"\nGradient descent on A, B, C: K={args.k}, N={args.n}, lr={args.lr}, "
              f"epochs={args.epochs}, seed={args.seed}")
        training = train(args.k, args.n, args.lr, args.epochs, args.seed,
                         progress=not args.no_progress)
        text = format_training(training, max(1, args.print_every))
        print(text)
        (folder / "training.txt").write_text(text + "\n", encoding="utf-8")
        (folder / "losses.csv").write_text(
            "epoch,mean_loss\n" + "".join(f"{i},{loss!r}\n"
                                          for i, loss in enumerate(training.losses)),
            encoding="utf-8")
        plot_losses(training.losses, folder / "loss.png",
                    f"A/B/C descent: K={args.k}, N={args.n}, lr={args.lr}")
        links += [
            Link(f"{prefix}/loss.png", "loss.png", "mean loss per epoch of gradient descent "
                 "(log scale); it falls towards the minimum 0"),
            Link(f"{prefix}/training.txt", "training.txt",
                 "loss per epoch, trained A, B, C and the note on why C shrinks"),
            Link(f"{prefix}/losses.csv", "losses.csv", "every epoch's mean loss"),
        ]

        graph = draw_graph(folder, 2, args.seed)
        print(f"\ngraph of one sample, K=2: {graph}")
        links.append(Link(f"{prefix}/{graph.name}", graph.name,
                          "the K=2 graph after backward, scalar nodes boxed by block y, u, v, z, "
                          "w, each edge labelled with its local derivative"))
    if cost_study:
        print("\nHow much backprop saves (this takes a while for large K):")
        text, plot_path = run_cost(folder, tuple(args.cost_k), args.seed, not args.no_lab1)
        print(text)
        links += [
            Link(f"{prefix}/{plot_path.name}", plot_path.name,
                 "time and nodes evaluated against the parameter count, log-log: backprop "
                 "grows like P, finite differences like P^2"),
            Link(f"{prefix}/cost.txt", "cost.txt", "the measured table, slopes and the largest "
                 "difference between the two gradients"),
        ]
    print(f"\nwrote {folder}")
    return links


#: ``make demo`` stops the cost study at K = 16: K = 32 alone takes about 20 s of finite
#: differences (run ``python -m demos.abc --cost`` for it).
REPORT_COST_KS = (1, 2, 4, 8, 16)


def report(out_root: Path) -> Section:
    """Run every part with the defaults (the cost study up to K = 16) under ``out_root/abc``."""
    args = _parser().parse_args(["--out", str(out_root / "abc"), "--no-progress",
                                 "--cost-k", *map(str, REPORT_COST_KS)])
    links = run(args, sample_parts=True, cost_study=True)
    return Section(
        "The A/B/C homework graph",
        "y = A x, u = sigma(y), v = B x, z = u + v, w = C z, L = ||w||^2: gradients three ways, "
        "gradient descent, the graph, and what backprop saves over finite differences.",
        links,
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.k < 1 or args.n < 1 or args.epochs < 0 or any(k < 1 for k in args.cost_k):
        raise SystemExit(f"--k, --n and --cost-k must be >= 1 and --epochs >= 0, got "
                         f"k={args.k}, n={args.n}, epochs={args.epochs}, cost-k={args.cost_k}")
    run(args, sample_parts=not args.cost, cost_study=args.cost)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
