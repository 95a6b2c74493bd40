"""How much backprop saves: one forward + backward pass against central differences, measured.

For a loss of P parameters whose graph has N op nodes, one backward pass costs one forward pass
(N nodes) plus one visit per node (N more), so about 2N node evaluations. Central differences
need two forward passes per parameter, 2 P N nodes. For the A/B/C graph P = 3K^2 and
N = 6K^2 + K - 1, so backprop grows like P and finite differences like P^2.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from demos import lab1
from engine import Value, no_grad, topological_order
from engine.table import text_table


def count_ops(root: Value) -> int:
    """The op nodes of the graph under ``root`` (every node but the leaves): a forward pass
    evaluates each once, and a backward pass visits each once."""
    return sum(1 for node in topological_order(root) if node._local is not None)


def backprop_gradients(loss_fn: Callable[[], Value], params: Sequence[Value]) -> list[float]:
    """dL/dp for every parameter from one forward pass and one backward pass."""
    for p in params:
        p.grad = 0.0
    loss_fn().backward()
    return [p.grad for p in params]


def fd_gradients(loss_fn: Callable[[], Value], params: Sequence[Value],
                 eps: float = 1e-5) -> list[float]:
    """dL/dp by central differences, (L(p + h) - L(p - h)) / 2h with h = eps max(1, |p|).

    Two forward passes per parameter, run with the same engine under ``no_grad()`` (no graph is
    recorded, so each pass evaluates the same nodes as the forward pass of backprop). Each
    parameter's ``.data`` is nudged in place and restored.
    """
    grads = []
    with no_grad():
        for p in params:
            x = p.data
            h = eps * max(1.0, abs(x))
            p.data = x + h
            plus = loss_fn().data
            p.data = x - h
            minus = loss_fn().data
            p.data = x
            grads.append((plus - minus) / (2.0 * h))
    return grads


def max_relative_difference(a: Sequence[float], b: Sequence[float]) -> float:
    """max_i |a_i - b_i| / max_i |b_i|: the difference relative to the gradient's scale, so an
    entry that happens to be near 0 does not blow it up."""
    scale = max(abs(item) for item in b)
    worst = max(abs(p - q) for p, q in zip(a, b, strict=True))
    return worst / scale if scale else worst


def median_seconds(fn: Callable[[], object], budget: float = 0.5, max_runs: int = 5,
                   first: float | None = None) -> tuple[float, int]:
    """The median wall time of up to ``max_runs`` calls, stopping early once ``budget`` seconds
    are spent, so a slow call is timed once.

    Args:
        first: the time of a call already made, counted as the first run.

    Returns:
        (median seconds, number of runs).
    """
    times: list[float] = [] if first is None else [first]
    spent = sum(times)
    while len(times) < max_runs and (not times or spent < budget):
        started = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - started
        times.append(elapsed)
        spent += elapsed
    return statistics.median(times), len(times)


@dataclass(frozen=True)
class CostRow:
    """One problem size: the counts, the two timings and how far the two gradients differ.

    Attributes:
        name: the size, as a reader knows it (``"K=8"``).
        params: P, the number of parameters differentiated.
        ops: N, op nodes in one forward pass.
        backprop_nodes: nodes evaluated by forward + backward, 2N.
        fd_nodes: nodes evaluated by central differences, 2 P N.
        backprop_seconds, fd_seconds: median wall times (of up to 25 and 5 runs).
        backprop_runs, fd_runs: how many runs the medians are over.
        max_rel_diff: ``max_relative_difference(fd, backprop)``.
    """

    name: str
    params: int
    ops: int
    backprop_nodes: int
    fd_nodes: int
    backprop_seconds: float
    fd_seconds: float
    backprop_runs: int
    fd_runs: int
    max_rel_diff: float

    @property
    def speedup(self) -> float:
        return self.fd_seconds / self.backprop_seconds


def measure(name: str, loss_fn: Callable[[], Value], params: Sequence[Value],
            budget: float = 0.5) -> CostRow:
    """Time both ways of getting every dL/dp, count their nodes and compare their results.

    Args:
        name: the row's name.
        loss_fn: builds the loss from the current ``.data`` of ``params`` (called many times).
        params: the leaves to differentiate with respect to.
        budget: seconds after which the repeats of one timing stop (see ``median_seconds``).
    """
    ops = count_ops(loss_fn())
    started = time.perf_counter()
    backprop = backprop_gradients(loss_fn, params)
    first_bp = time.perf_counter() - started
    started = time.perf_counter()
    numeric = fd_gradients(loss_fn, params)
    first_fd = time.perf_counter() - started
    # Backprop is cheap to repeat, and its times jump when Python's garbage collector happens to
    # run inside one call: more runs keep the median steady.
    bp_seconds, bp_runs = median_seconds(lambda: backprop_gradients(loss_fn, params), budget,
                                         max_runs=25, first=first_bp)
    fd_seconds, fd_runs = median_seconds(lambda: fd_gradients(loss_fn, params), budget,
                                         first=first_fd)
    return CostRow(name, len(params), ops, 2 * ops, 2 * len(params) * ops, bp_seconds,
                   fd_seconds, bp_runs, fd_runs, max_relative_difference(numeric, backprop))


#: The Lab 1 network's default hidden widths (2 inputs, sigmoid hidden layers, one output),
#: read from demos.lab1 so the two cannot drift apart.
LAB1_HIDDEN = lab1.Config().hidden


def lab1_cost_row(hidden: tuple[int, ...] = LAB1_HIDDEN, seed: int = 0,
                  budget: float = 0.5) -> CostRow:
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
    return measure(name, loss_fn, model.parameters(), budget)


def fit_slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """The least-squares slope of log y against log x (the exponent of a power law)."""
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    num = sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True))
    den = sum((a - mx) ** 2 for a in lx)
    if den == 0.0:
        raise ValueError(f"fit_slope() needs at least two different x values, got {list(xs)}")
    return num / den


def format_table(rows: Sequence[CostRow]) -> str:
    """The rows as an aligned text table."""
    header = ("size", "params P", "ops N", "backprop nodes", "fd nodes", "backprop s", "fd s",
              "fd / backprop", "max rel diff")
    cells = [
        (r.name, str(r.params), str(r.ops), str(r.backprop_nodes), str(r.fd_nodes),
         f"{r.backprop_seconds:.3e} ({r.backprop_runs}x)", f"{r.fd_seconds:.3e} ({r.fd_runs}x)",
         f"{r.speedup:.1f}", f"{r.max_rel_diff:.1e}")
        for r in rows
    ]
    return text_table(header, cells, align=">")


#: Slopes are fitted over sizes with at least this many parameters (K >= 4 for A/B/C): below
#: it the times measure Python's per-call overhead more than the graph.
FIT_MIN_PARAMS = 48


def slopes(rows: Sequence[CostRow]) -> dict[str, float]:
    """Fitted log-log slopes against P of both times and both node counts, over the rows with
    P >= FIT_MIN_PARAMS (all rows when fewer than two are that big); empty when the rows have
    fewer than two sizes to fit a line through."""
    big = [r for r in rows if r.params >= FIT_MIN_PARAMS]
    if len(big) < 2:
        big = list(rows)
    p = [r.params for r in big]
    if len(set(p)) < 2:
        return {}
    return {
        "backprop time": fit_slope(p, [r.backprop_seconds for r in big]),
        "fd time": fit_slope(p, [r.fd_seconds for r in big]),
        "backprop nodes": fit_slope(p, [r.backprop_nodes for r in big]),
        "fd nodes": fit_slope(p, [r.fd_nodes for r in big]),
    }


def plot(rows: Sequence[CostRow], path: Path, title: str,
         extra: Sequence[CostRow] = ()) -> Path:
    """Time and node counts against P on log-log axes, the fitted slopes in the legends.

    Args:
        rows: the sizes of one family, joined by lines and fitted.
        extra: single points of other graphs (drawn as stars, not fitted).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fitted = slopes(rows)

    def slope(name: str) -> str:
        return f" (slope {fitted[name]:.2f})" if name in fitted else ""

    p = [r.params for r in rows]
    fig, (ax_time, ax_nodes) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=100)
    ax_time.loglog(p, [r.backprop_seconds for r in rows], "o-",
                   label=f"forward + backward{slope('backprop time')}")
    ax_time.loglog(p, [r.fd_seconds for r in rows], "s-",
                   label=f"central differences{slope('fd time')}")
    ax_time.set_ylabel("wall time, s (median)")
    ax_nodes.loglog(p, [r.backprop_nodes for r in rows], "o-",
                    label=f"forward + backward: 2N{slope('backprop nodes')}")
    ax_nodes.loglog(p, [r.fd_nodes for r in rows], "s-",
                    label=f"central differences: 2PN{slope('fd nodes')}")
    ax_nodes.set_ylabel("graph nodes evaluated")
    for r in extra:
        ax_time.loglog([r.params], [r.backprop_seconds], "*", ms=11, color="tab:blue",
                       markeredgecolor="black", label=f"{r.name}: backprop")
        ax_time.loglog([r.params], [r.fd_seconds], "*", ms=11, color="tab:orange",
                       markeredgecolor="black", label=f"{r.name}: central differences")
        ax_nodes.loglog([r.params], [r.backprop_nodes], "*", ms=11, color="tab:blue",
                        markeredgecolor="black", label=f"{r.name}: backprop")
        ax_nodes.loglog([r.params], [r.fd_nodes], "*", ms=11, color="tab:orange",
                        markeredgecolor="black", label=f"{r.name}: central differences")
    for ax in (ax_time, ax_nodes):
        ax.set_xlabel("parameters P")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"{title}\n(slopes fitted over P >= {FIT_MIN_PARAMS})", fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
