"""``python -m bench``: glassgrad beside micrograd 0.1.0 on the same workloads, in one process."""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench import anomaly_cost, workloads
from bench.timing import Timing, bytes_retained, measure, with_deep_recursion
from engine.table import text_table

DEEP = 50_000_000  # recursion limit micrograd needs for the deep graphs


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    workload: str
    glassgrad: str
    micrograd: str
    ratio: str


def seconds(t: Timing) -> str:
    return f"{t.median:.3f} s" if t.runs == 1 else f"{t.median:.3f} s (of {t.runs})"


def compare_times(name: str, ours: Callable[[], object], theirs: Callable[[], object] | None,
                  repeat: int, deep: bool, as_a_loop: bool = False) -> Row:
    """Time both sides; micrograd runs with its recursion limit raised where ``deep``."""
    warmup = 2 if as_a_loop else 0
    mine = measure(ours, repeat, as_a_loop=as_a_loop, warmup=warmup)
    if theirs is None:
        return Row(name, seconds(mine), "-", "-")
    if deep:
        other = with_deep_recursion(lambda: measure(theirs, repeat), DEEP)
    else:
        other = measure(theirs, repeat, as_a_loop=as_a_loop, warmup=warmup)
    return Row(name, seconds(mine), seconds(other), f"{other.median / mine.median:.1f}x faster")


def print_table(rows: list[Row]) -> None:
    cells = [(r.workload, r.glassgrad, r.micrograd, r.ratio) for r in rows]
    print(text_table(("workload", "glassgrad", "micrograd 0.1.0", "glassgrad is"), cells))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--chain", type=int, default=1_000_000, help="chain steps (1,000,000)")
    parser.add_argument("--products", type=int, default=100_000, help="pairs to sum (100,000)")
    parser.add_argument("--moons-steps", type=int, default=5, help="timed moons steps (5)")
    parser.add_argument("--jit-steps", type=int, default=100,
                        help="steps the jit compile time is amortized over (100)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.chain, args.products, args.moons_steps, args.jit_steps = 20_000, 20_000, 2, 10

    import engine

    try:
        from micrograd import engine as mg_engine
        from micrograd import nn as mg_nn
    except ImportError:
        print("micrograd is not installed: pip install micrograd==0.1.0 (make bench does)",
              file=sys.stderr)
        mg_engine = mg_nn = None
    ours, theirs = engine.Value, (mg_engine.Value if mg_engine else None)

    print(f"Python {sys.version.split()[0]}, recursion limit {sys.getrecursionlimit()} "
          f"(micrograd gets {DEEP:,} and a 512 MiB stack for the deep graphs)\n", flush=True)
    rows: list[Row] = []

    steps = args.chain
    rows.append(compare_times(
        f"chain, {steps:,} steps ({4 * steps + 1:,} nodes), forward + backward",
        lambda: workloads.chain(ours, steps),
        (lambda: workloads.chain(theirs, steps)) if theirs else None, 1, deep=True))
    print_table(rows[-1:])
    print(flush=True)

    pairs = args.products
    rows.append(compare_times(
        f"sum of {pairs:,} products, forward + backward",
        lambda: workloads.sum_of_products(ours, pairs),
        (lambda: workloads.sum_of_products(theirs, pairs)) if theirs else None, 3, deep=True))

    memory_steps = 100_000
    nodes = 4 * memory_steps + 1
    mine_bytes, _ = bytes_retained(lambda: workloads.chain_graph(ours, memory_steps))
    if theirs is not None:
        their_bytes, _ = bytes_retained(lambda: workloads.chain_graph(theirs, memory_steps))
        ratio = f"{their_bytes / mine_bytes:.1f}x smaller"
        their_text = f"{their_bytes / nodes:.0f} B/node"
    else:
        ratio, their_text = "-", "-"
    rows.append(Row(f"memory of a {nodes:,}-node chain graph", f"{mine_bytes / nodes:.0f} B/node",
                    their_text, ratio))

    from nn import MLP, make_moons

    points, labels = make_moons(100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], seed=1)
    rows.append(compare_times(
        f"moons step: MLP(2, [16, 16, 1]) on {len(points)} points, hinge + L2",
        lambda: workloads.moons_step(ours, model, points, labels),
        _micrograd_moons(theirs, mg_nn, points, labels) if theirs else None,
        args.moons_steps, deep=False, as_a_loop=True))

    rows += jit_rows(model, points, labels, theirs, mg_nn, args.jit_steps)
    rows.append(anomaly_overhead_row(points, labels, args.moons_steps))

    print()
    print_table(rows)
    return 0


def jit_rows(model: object, points: Sequence[Sequence[float]], labels: Sequence[int],
             theirs: type | None, mg_nn: object, steps: int) -> list[Row]:
    """The moons step with the loss compiled by engine.jit: compile time on its own, then per
    step, then amortized over ``steps`` steps against micrograd."""
    from engine import jit

    compiled = jit(lambda xs, ys: workloads.hinge_l2_loss(model, xs, ys))
    start = time.perf_counter()
    workloads.jit_moons_step(compiled, model, points, labels)  # traces and compiles
    first = time.perf_counter() - start
    info = compiled.info
    per_step = measure(lambda: workloads.jit_moons_step(compiled, model, points, labels), steps,
                       as_a_loop=True)
    amortized = (first + per_step.median * (steps - 1)) / steps
    looped = "" if info.loop is None else f", {info.loop[0]} blocks in a loop"
    rows = [
        Row(f"  jit: first call (trace {info.trace_seconds:.2f} s + compile "
            f"{info.compile_seconds:.2f} s, {info.nodes:,} nodes{looped})", f"{first:.3f} s",
            "-", "-"),
        Row("  jit: moons step, compiled", seconds(per_step), "-", "-"),
    ]
    if theirs is not None:
        other = measure(_micrograd_moons(theirs, mg_nn, points, labels), 3, as_a_loop=True,
                        warmup=2)
        rows.append(Row(f"  jit: moons step over {steps} steps, compile included",
                        f"{amortized:.4f} s", seconds(other),
                        f"{other.median / amortized:.0f}x faster"))
    bare = measure(lambda: workloads.bare_loop(info.nodes), 5)
    rows.append(Row("  jit per node vs a bare CPython multiply-add per node",
                    f"{per_step.median / info.nodes * 1e9:.0f} ns/node",
                    f"bare loop {bare.median / info.nodes * 1e9:.0f} ns",
                    f"{per_step.median / bare.median:.1f}x the bare loop"))
    return rows


def anomaly_overhead_row(points: Sequence[Sequence[float]], labels: Sequence[int],
                         steps: int) -> Row:
    """What anomaly mode costs when it is off: a node maker with its flag read against the same
    maker without it (``bench.anomaly_cost``), per node, and as a share of the eager moons
    step."""
    import engine
    from nn import MLP

    best = anomaly_cost.seconds_per_node()
    per_node = best["with"] - best["without"]
    model = MLP(2, [16, 16, 1], seed=1)
    step = measure(lambda: workloads.moons_step(engine.Value, model, points, labels), steps,
                   as_a_loop=True, warmup=1)
    inputs = [list(map(engine.Value, xrow)) for xrow in points]
    nodes = len(engine.topological_order(
        workloads.hinge_l2_loss(model, inputs, workloads.signs(labels))))
    share = per_node * nodes / step.median * 100
    return Row("anomaly mode off: cost of its flag read per node, share of a moons step",
               f"{per_node * 1e9:+.1f} ns/node", f"node maker {best['without'] * 1e9:.0f} ns",
               f"{share:+.2f}% of a step")


def _micrograd_moons(value_cls: type, mg_nn: object, points: Sequence[Sequence[float]],
                     labels: Sequence[int]) -> Callable[[], float]:
    random.seed(1)  # micrograd draws its weights from the global generator
    model = mg_nn.MLP(2, [16, 16, 1])  # type: ignore[attr-defined]
    return lambda: workloads.moons_step(value_cls, model, points, labels)


if __name__ == "__main__":
    raise SystemExit(main())
