"""Step through backward: flipbooks and chain-rule traces of the tanh neuron and the A/B/C graph."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from demos import abc, worked
from demos.report import Link, Section
from engine import Value, topological_order
from viz.flipbook_writer import write_flipbook
from viz.render import save
from viz.trace import trace


def neuron_graph() -> Value:
    """The lecture's single neuron o = tanh(x1 w1 + x2 w2 + b) at the lecture's point."""
    return worked.lecture_neuron()["o"]


def write(out: Path, k: int = 2, seed: int = 0) -> list[Link]:
    """Write both flipbooks and both traces under ``out``; print what was made and how long."""
    out.mkdir(parents=True, exist_ok=True)
    graphs = [
        ("neuron", "o = tanh(x1 w1 + x2 w2 + b)", neuron_graph()),
        (f"abc_k{k}", f"A/B/C graph, K = {k}: L = ||C (sigmoid(A x) + B x)||^2",
         abc.sample_graph(k, seed)),
    ]
    links = []
    for name, title, root in graphs:
        steps = sum(1 for node in topological_order(root) if node._prev)
        started = time.perf_counter()
        page = write_flipbook(root, out / f"{name}.html", title=f"Backward through {title}")
        seconds = time.perf_counter() - started
        text = trace(root)
        (out / f"{name}_trace.txt").write_text(text, encoding="utf-8")
        (out / f"{name}_trace.md").write_text(trace(root, markdown=True), encoding="utf-8")
        root.backward()  # the flipbook's last frame, every grad known, as the index's picture
        frame = save(root, out / f"{name}_frame.svg")
        size = page.stat().st_size / 1e6
        print(f"{name}: {steps} steps, {2 * steps + 1} SVG frames, {size:.2f} MB, "
              f"written in {seconds:.1f} s -> {page}")
        links += [
            Link(f"steps/{page.name}", f"{name}.html",
                 f"click through backward for {title}: {steps} steps, with a quiz "
                 "(one self-contained page, works offline)", figure=f"steps/{frame.name}"),
            Link(f"steps/{name}_trace.txt", f"{name}_trace.txt",
                 "the same steps as chain-rule text, one line per node, then each leaf's grad"),
            Link(f"steps/{name}_trace.md", f"{name}_trace.md", "the trace as Markdown tables"),
        ]
        if name == "neuron":
            print(text)
    return links


def report(out_root: Path) -> Section:
    """Write the flipbooks under ``out_root/steps`` and describe them for the report."""
    links = write(out_root / "steps")
    return Section(
        "Step through backward",
        "backward() one node at a time: each page shows the graph after every step, the "
        "arithmetic of the step, and can quiz you on each new gradient.",
        links,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demos.steps", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("out"), help="report folder (out)")
    parser.add_argument("--k", type=int, default=2, help="size of the A/B/C graph (2)")
    parser.add_argument("--seed", type=int, default=0, help="the A/B/C sample's seed (0)")
    args = parser.parse_args(argv)
    if args.k < 1:
        parser.error(f"--k must be at least 1, got {args.k}")
    write(args.out / "steps", args.k, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
