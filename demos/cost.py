"""How much backprop saves: one reverse pass against forward mode and central differences.

Three ways to get every dL/dp of a loss with P parameters whose graph has N op nodes, each
counted in node evaluations and timed (``METHODS``):

- reverse mode (backprop): one forward pass (N nodes) and one backward pass (N more): 2N.
- forward mode: one pass per parameter, each a forward pass (N nodes) and the tangent of every
  node that parameter reaches (``engine.forward.push_tangents``): P N plus those tangents, at
  most 2 P N, counted exactly. Exact, like backprop.
- central differences: two forward passes per parameter, 2 P N nodes, and only ~1e-9 accurate.

``STORY`` tells what the three lines of the plot show, in one paragraph.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from demos import lab1
from engine import Value, no_grad, topological_order
from engine.forward import push_tangents
from engine.table import text_table

#: The asymptotic story of the study, printed under its table.
STORY = (
    "Reverse mode costs a constant times one forward pass whatever P is (2N nodes: the forward "
    "pass and one visit per node back); forward mode and central differences cost P times it "
    "(P forward passes with tangents, 2P forward passes). For the A/B/C graph P = 3K^2 and "
    "N = 6K^2 + K - 1, so reverse mode grows like P and the other two like P^2: the gap widens "
    "in proportion to P. Forward mode is the exact counterpart of central differences (its "
    "gradients match backprop to rounding, theirs to ~1e-9) at about the same cost in nodes; "
    "in seconds it is slower here, as each of its passes records the graph it pushes tangents "
    "along while central differences run under no_grad(). It pays off only where inputs are "
    "few and outputs many (engine.jacobian(mode=\"forward\")); a scalar loss of many "
    "parameters is what reverse mode was made for."
)


def count_ops(root: Value) -> int:
    """The op nodes of the graph under ``root`` (every node but the leaves): a forward pass
    evaluates each once, and a backward pass visits each once."""
    return sum(1 for node in topological_order(root) if node._grad_fn is not None)


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


def forward_gradients(loss_fn: Callable[[], Value], params: Sequence[Value]) -> list[float]:
    """dL/dp for every parameter by forward mode: one pass per parameter, as dual numbers do.

    Each pass builds the loss (a forward pass) and pushes the tangent dp = 1 from p to the loss
    along the edges backward uses; the nodes p does not reach keep tangent 0 and cost nothing.
    """
    grads = []
    for p in params:
        root = loss_fn()
        grads.append(push_tangents(topological_order(root), {id(p): 1.0}).get(id(root), 0.0))
    return grads


def forward_mode_nodes(loss_fn: Callable[[], Value], params: Sequence[Value]) -> int:
    """The nodes ``forward_gradients`` evaluates: N per pass, plus one tangent for each op node
    a parameter reaches, summed over the parameters (found in one sweep, the set of parameters
    under each node, instead of P passes)."""
    order = topological_order(loss_fn())
    wanted = {id(p) for p in params}
    under: dict[int, frozenset[int]] = {}
    ops, tangents = 0, 0
    for node in order:
        if node._grad_fn is None:
            under[id(node)] = frozenset((id(node),)) & wanted
            continue
        ops += 1
        found = frozenset().union(*(under[id(parent)] for parent in node._prev))
        under[id(node)] = found
        tangents += len(found)
    return len(params) * ops + tangents


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


#: ``gradients(loss_fn, params)``: every dL/dp at the parameters' current ``.data``.
GradientFn = Callable[[Callable[[], Value], Sequence[Value]], list[float]]


@dataclass(frozen=True)
class Method:
    """One way of getting every dL/dp, as the study times it and counts its nodes.

    Attributes:
        name: its short name in tables and slopes (``"backprop"``, ``"fd"``).
        title: its name on the plot's lines (``"forward + backward"``).
        short: its name beside a single point on the plot (``"backprop"``).
        formula: its node count in terms of P and N (``"2N"``, ``"2PN"``).
        nodes: ``nodes(P, N)``, the nodes it evaluates for P parameters and N op nodes.
        gradients: computes the gradients (see ``GradientFn``).
        max_runs: how many timed runs its median may take.
        counted: where no formula in P and N gives the nodes exactly, ``counted(loss_fn,
            params)`` counts them on the graph (and ``nodes`` is not used).
    """

    name: str
    title: str
    short: str
    formula: str
    nodes: Callable[[int, int], int]
    gradients: GradientFn
    max_runs: int
    counted: Callable[[Callable[[], Value], Sequence[Value]], int] | None = None


# Backprop is cheap to repeat, and its times jump when Python's garbage collector happens to run
# inside one call: more runs keep the median steady.
BACKPROP = Method("backprop", "forward + backward", "backprop", "2N",
                  nodes=lambda p, n: 2 * n, gradients=backprop_gradients, max_runs=25)
CENTRAL_DIFFERENCES = Method("fd", "central differences", "central differences", "2PN",
                             nodes=lambda p, n: 2 * p * n, gradients=fd_gradients, max_runs=5)
FORWARD_MODE = Method("forward", "forward mode: P passes", "forward mode", "PN + tangents",
                      nodes=lambda p, n: 2 * p * n, gradients=forward_gradients, max_runs=5,
                      counted=forward_mode_nodes)
#: What the study measures, the reference first: every other method's gradients are compared
#: with its, and its time divides theirs.
METHODS = (BACKPROP, FORWARD_MODE, CENTRAL_DIFFERENCES)


@dataclass(frozen=True)
class MethodCost:
    """What one method cost on one problem.

    Attributes:
        nodes: nodes evaluated (``Method.nodes``).
        seconds: the median wall time, over ``runs`` runs.
        max_rel_diff: ``max_relative_difference(its gradients, the reference's)``; 0 for the
            reference itself.
    """

    nodes: int
    seconds: float
    runs: int
    max_rel_diff: float


@dataclass(frozen=True)
class CostRow:
    """One problem size: its counts, and each method's cost keyed by ``Method.name``.

    Attributes:
        name: the size, as a reader knows it (``"K=8"``).
        params: P, the number of parameters differentiated.
        ops: N, op nodes in one forward pass.
        costs: ``{"backprop": MethodCost, "forward": MethodCost, "fd": MethodCost}`` (in the
            order of ``METHODS``).
    """

    name: str
    params: int
    ops: int
    costs: dict[str, MethodCost]

    # The two methods every study has, by name: forward + backward (2N nodes, up to 25 runs)
    # and central differences (2PN nodes, up to 5 runs).
    @property
    def backprop_nodes(self) -> int:
        return self.costs["backprop"].nodes

    @property
    def fd_nodes(self) -> int:
        return self.costs["fd"].nodes

    @property
    def backprop_seconds(self) -> float:
        return self.costs["backprop"].seconds

    @property
    def fd_seconds(self) -> float:
        return self.costs["fd"].seconds

    @property
    def backprop_runs(self) -> int:
        return self.costs["backprop"].runs

    @property
    def fd_runs(self) -> int:
        return self.costs["fd"].runs

    @property
    def max_rel_diff(self) -> float:
        """``max_relative_difference(fd, backprop)``."""
        return self.costs["fd"].max_rel_diff

    @property
    def speedup(self) -> float:
        return self.fd_seconds / self.backprop_seconds


def measure(name: str, loss_fn: Callable[[], Value], params: Sequence[Value],
            budget: float = 0.5, methods: Sequence[Method] = METHODS) -> CostRow:
    """Time every method of getting every dL/dp, count their nodes and compare their results.

    Args:
        name: the row's name.
        loss_fn: builds the loss from the current ``.data`` of ``params`` (called many times).
        params: the leaves to differentiate with respect to.
        budget: seconds after which the repeats of one timing stop (see ``median_seconds``).
        methods: the reference first (see ``METHODS``).
    """
    ops = count_ops(loss_fn())
    gradients, first = [], []
    for method in methods:
        started = time.perf_counter()
        gradients.append(method.gradients(loss_fn, params))
        first.append(time.perf_counter() - started)
    costs = {}
    for i, method in enumerate(methods):
        seconds, runs = median_seconds(partial(method.gradients, loss_fn, params), budget,
                                       max_runs=method.max_runs, first=first[i])
        diff = max_relative_difference(gradients[i], gradients[0]) if i else 0.0
        nodes = (method.nodes(len(params), ops) if method.counted is None
                 else method.counted(loss_fn, params))
        costs[method.name] = MethodCost(nodes, seconds, runs, diff)
    return CostRow(name, len(params), ops, costs)


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


def format_table(rows: Sequence[CostRow], methods: Sequence[Method] = METHODS) -> str:
    """The rows as an aligned text table: counts, then each method's nodes and median time
    (with its number of runs), then each other method's time over the reference's and how far
    its gradients are from the reference's."""
    reference, others = methods[0], methods[1:]
    header = [
        "size", "params P", "ops N",
        *(f"{m.name} nodes" for m in methods), *(f"{m.name} s" for m in methods),
        *(f"{m.name} / {reference.name}" for m in others),
        *("max rel diff" if len(others) == 1 else f"{m.name} max rel diff" for m in others),
    ]
    cells = []
    for r in rows:
        costs = [r.costs[m.name] for m in methods]
        cells.append([
            r.name, str(r.params), str(r.ops), *(str(c.nodes) for c in costs),
            *(f"{c.seconds:.3e} ({c.runs}x)" for c in costs),
            *(f"{c.seconds / costs[0].seconds:.1f}" for c in costs[1:]),
            *(f"{c.max_rel_diff:.1e}" for c in costs[1:]),
        ])
    return text_table(header, cells, align=">")


#: Slopes are fitted over sizes with at least this many parameters (K >= 4 for A/B/C): below
#: it the times measure Python's per-call overhead more than the graph.
FIT_MIN_PARAMS = 48


def slopes(rows: Sequence[CostRow], methods: Sequence[Method] = METHODS) -> dict[str, float]:
    """Fitted log-log slopes against P of every method's time, then of its node count
    (``"backprop time"``, ..., ``"fd nodes"``), over the rows with P >= FIT_MIN_PARAMS (all rows
    when fewer than two are that big); empty when the rows have fewer than two sizes to fit a
    line through."""
    big = [r for r in rows if r.params >= FIT_MIN_PARAMS]
    if len(big) < 2:
        big = list(rows)
    p = [r.params for r in big]
    if len(set(p)) < 2:
        return {}
    fitted = {f"{m.name} time": fit_slope(p, [r.costs[m.name].seconds for r in big])
              for m in methods}
    fitted.update({f"{m.name} nodes": fit_slope(p, [r.costs[m.name].nodes for r in big])
                   for m in methods})
    return fitted


#: Each method's line marker, in the order of the methods.
MARKERS = ("o-", "s-", "^-", "D-")


def plot(rows: Sequence[CostRow], path: Path, title: str,
         extra: Sequence[CostRow] = (), methods: Sequence[Method] = METHODS) -> Path:
    """Time and node counts against P on log-log axes, the fitted slopes in the legends.

    Args:
        rows: the sizes of one family, joined by lines and fitted.
        extra: single points of other graphs (drawn as stars, not fitted).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fitted = slopes(rows, methods)

    def slope(name: str) -> str:
        return f" (slope {fitted[name]:.2f})" if name in fitted else ""

    p = [r.params for r in rows]
    fig, (ax_time, ax_nodes) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=100)
    for m, marker in zip(methods, MARKERS, strict=False):
        ax_time.loglog(p, [r.costs[m.name].seconds for r in rows], marker,
                       label=f"{m.title}{slope(f'{m.name} time')}")
    ax_time.set_ylabel("wall time, s (median)")
    for m, marker in zip(methods, MARKERS, strict=False):
        ax_nodes.loglog(p, [r.costs[m.name].nodes for r in rows], marker,
                        label=f"{m.title}: {m.formula}{slope(f'{m.name} nodes')}")
    ax_nodes.set_ylabel("graph nodes evaluated")
    for r in extra:
        for ax, what in ((ax_time, "seconds"), (ax_nodes, "nodes")):
            for i, m in enumerate(methods):
                # C<i> is the colour of method i's line above, in matplotlib's default cycle.
                ax.loglog([r.params], [getattr(r.costs[m.name], what)], "*", ms=11,
                          color=f"C{i}", markeredgecolor="black", label=f"{r.name}: {m.short}")
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
