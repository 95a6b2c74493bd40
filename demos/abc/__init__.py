"""The A/B/C homework graph: engine, hand formulas and torch side by side, then gradient descent.

For x in R^K and K x K matrices A, B, C:  y = A x, u = sigma(y), v = B x, z = u + v, w = C z,
L = ||w||^2. The package's modules, one job each:

- ``graph``: the graph on Values, random samples, its op count;
- ``compare``: one sample's gradients from the engine, by hand and from torch, and as text;
- ``descent``: gradient descent on A, B, C by ``nn.train``, and its text;
- ``figures``: the loss curve and the graph drawing;
- ``cost_study``: backprop against central differences per K (measured by ``demos.cost``);
- ``cli``: ``Config``, ``python -m demos.abc`` and the report section.
"""

from demos.abc.cli import Config, main, report, run
from demos.abc.compare import Block, Comparison, compare, format_comparison, max_abs_diff
from demos.abc.cost_study import COST_KS, abc_cost_row, run_cost
from demos.abc.descent import Training, format_training, frobenius, mean_loss, train
from demos.abc.figures import draw_graph, plot_losses
from demos.abc.graph import (
    AbcGraph,
    abc_ops,
    build,
    build_from_floats,
    random_matrix,
    random_point,
    sample_graph,
)

__all__ = [
    "COST_KS",
    "AbcGraph",
    "Block",
    "Comparison",
    "Config",
    "Training",
    "abc_cost_row",
    "abc_ops",
    "build",
    "build_from_floats",
    "compare",
    "draw_graph",
    "format_comparison",
    "format_training",
    "frobenius",
    "main",
    "max_abs_diff",
    "mean_loss",
    "plot_losses",
    "random_matrix",
    "random_point",
    "report",
    "run",
    "run_cost",
    "sample_graph",
    "train",
]
