"""``python -m demos.abc``: its settings (``Config``), the command line and the report section."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from demos.abc.compare import compare, format_comparison
from demos.abc.cost_study import COST_KS, run_cost
from demos.abc.descent import format_training, losses_csv, train
from demos.abc.figures import draw_graph, plot_losses
from demos.report import Link, Section

DESCRIPTION = """\
The A/B/C homework graph: engine, hand formulas and torch side by side, then gradient descent.

For x in R^K and K x K matrices A, B, C:  y = A x, u = sigma(y), v = B x, z = u + v, w = C z,
L = ||w||^2.  ``python -m demos.abc`` prints one sample's values and its gradients three ways,
minimizes the mean of L over N random inputs, and draws the graph for K = 2; ``--cost`` measures
how much one backward pass saves over finite differences (demos.cost).
"""

#: ``make demo`` stops the cost study at K = 16: K = 32 alone takes about 20 s of finite
#: differences (run ``python -m demos.abc --cost`` for it).
REPORT_COST_KS = (1, 2, 4, 8, 16)


@dataclass(frozen=True)
class Config:
    """One run of the demo; the defaults are the command line's.

    Attributes:
        k: the size K of x and the matrices.
        n, lr, epochs: inputs, learning rate and epochs of the gradient descent.
        seed: the seed of every random number.
        print_every: print the loss of every n-th epoch (all of them go to ``losses.csv``).
        torch: compare with torch autograd (when torch is installed).
        progress: show the descent's progress bar.
        cost_ks: the sizes K the cost study measures.
        lab1: put the Lab 1 network beside them in the cost study.
    """

    k: int = 3
    n: int = 100
    lr: float = 0.2
    epochs: int = 100
    seed: int = 0
    print_every: int = 10
    torch: bool = True
    progress: bool = True
    cost_ks: tuple[int, ...] = COST_KS
    lab1: bool = True


def sample_parts(config: Config, folder: Path) -> list[Link]:
    """The comparison, the descent and the drawing: print them, write them, list the files."""
    prefix = folder.name
    text = format_comparison(compare(config.k, config.seed, use_torch=config.torch))
    print(text)
    (folder / "sample.txt").write_text(text + "\n", encoding="utf-8")
    links = [Link(f"{prefix}/sample.txt", "sample.txt",
                  f"one sample (K={config.k}): values, and dL/dA, dL/dB, dL/dC, dL/dx from "
                  "the engine, the hand formulas and torch, in full precision")]

    print(f"\nGradient descent on A, B, C: K={config.k}, N={config.n}, lr={config.lr}, "
          f"epochs={config.epochs}, seed={config.seed}")
    training = train(config.k, config.n, config.lr, config.epochs, config.seed,
                     progress=config.progress)
    text = format_training(training, max(1, config.print_every))
    print(text)
    (folder / "training.txt").write_text(text + "\n", encoding="utf-8")
    (folder / "losses.csv").write_text(losses_csv(training), encoding="utf-8")
    plot_losses(training.losses, folder / "loss.png",
                f"A/B/C descent: K={config.k}, N={config.n}, lr={config.lr}")
    links += [
        Link(f"{prefix}/loss.png", "loss.png", "mean loss per epoch of gradient descent "
             "(log scale); it falls towards the minimum 0"),
        Link(f"{prefix}/training.txt", "training.txt",
             "loss per epoch, trained A, B, C and the note on why C shrinks"),
        Link(f"{prefix}/losses.csv", "losses.csv", "every epoch's mean loss"),
    ]

    graph = draw_graph(folder, 2, config.seed)
    print(f"\ngraph of one sample, K=2: {graph}")
    links.append(Link(f"{prefix}/{graph.name}", graph.name,
                      "the K=2 graph after backward, scalar nodes boxed by block y, u, v, z, "
                      "w, each edge labelled with its local derivative"))
    return links


def cost_part(config: Config, folder: Path) -> list[Link]:
    """The cost study: print its table, write it and its plot, list the files."""
    print("\nHow much backprop saves (this takes a while for large K):")
    text, plot_path = run_cost(folder, config.cost_ks, config.seed, config.lab1)
    print(text)
    prefix = folder.name
    return [
        Link(f"{prefix}/{plot_path.name}", plot_path.name,
             "time and nodes evaluated against the parameter count, log-log: backprop "
             "grows like P, forward mode and finite differences like P^2"),
        Link(f"{prefix}/cost.txt", "cost.txt", "the measured table, slopes and the largest "
             "difference between the methods' gradients"),
    ]


def run(config: Config, folder: Path, samples: bool = True, cost_study: bool = False
        ) -> list[Link]:
    """Run the demo into ``folder`` and return the files written, each with a line of
    explanation.

    Args:
        samples: the comparison, the descent and the drawing.
        cost_study: backprop against finite differences.
    """
    folder.mkdir(parents=True, exist_ok=True)
    links: list[Link] = []
    if samples:
        links += sample_parts(config, folder)
    if cost_study:
        links += cost_part(config, folder)
    print(f"\nwrote {folder}")
    return links


def report(out_root: Path) -> Section:
    """Run every part with the defaults (the cost study up to K = 16) under ``out_root/abc``."""
    config = Config(progress=False, cost_ks=REPORT_COST_KS)
    links = run(config, out_root / "abc", samples=True, cost_study=True)
    return Section(
        "The A/B/C homework graph",
        "y = A x, u = sigma(y), v = B x, z = u + v, w = C z, L = ||w||^2: gradients three ways, "
        "gradient descent, the graph, and what backprop saves over finite differences.",
        links,
    )


def _parser() -> argparse.ArgumentParser:
    d = Config()
    parser = argparse.ArgumentParser(prog="python -m demos.abc", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=int, default=d.k, help="size K of x and the matrices (3)")
    parser.add_argument("--n", type=int, default=d.n, help="inputs for gradient descent (100)")
    parser.add_argument("--lr", type=float, default=d.lr, help="learning rate (0.2)")
    parser.add_argument("--epochs", type=int, default=d.epochs, help="descent epochs (100)")
    parser.add_argument("--seed", type=int, default=d.seed, help="seed of every random number (0)")
    parser.add_argument("--out", type=Path, default=Path("out/abc"), help="folder (out/abc)")
    parser.add_argument("--print-every", type=int, default=d.print_every,
                        help="print the loss of every n-th epoch (10; all are in losses.csv)")
    parser.add_argument("--no-torch", action="store_true", help="skip the torch column")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--cost", action="store_true",
                        help="only measure backprop against finite differences (issue 9)")
    parser.add_argument("--cost-k", type=int, nargs="+", default=list(d.cost_ks),
                        help="sizes K for --cost (1 2 4 8 16 32)")
    parser.add_argument("--no-lab1", action="store_true",
                        help="leave the Lab 1 network out of --cost")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.k < 1 or args.n < 1 or args.epochs < 0 or any(k < 1 for k in args.cost_k):
        raise SystemExit(f"--k, --n and --cost-k must be >= 1 and --epochs >= 0, got "
                         f"k={args.k}, n={args.n}, epochs={args.epochs}, cost-k={args.cost_k}")
    config = Config(k=args.k, n=args.n, lr=args.lr, epochs=args.epochs, seed=args.seed,
                    print_every=args.print_every, torch=not args.no_torch,
                    progress=not args.no_progress, cost_ks=tuple(args.cost_k),
                    lab1=not args.no_lab1)
    run(config, args.out, samples=not args.cost, cost_study=args.cost)
    return 0
