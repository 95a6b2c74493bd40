"""Drawing glassgrad graphs with Graphviz and stepping through backward."""

from engine.display import set_value_drawer

from .display import value_bundle
from .dot import draw_dot
from .explore_widget import explore
from .expr import ExpressionError, parse_expression
from .flipbook_writer import write_flipbook
from .format import compact
from .names import node_names, op_node_name
from .paths import ChainPath, ChainRulePaths, chain_rule_paths
from .render import GraphvizNotFoundError, save
from .trace import format_step, trace, trace_markdown

# From here on a Value in a notebook cell draws its graph: the engine keeps the slot, viz fills
# it (the engine imports nothing of ours). engine.display says how.
set_value_drawer(value_bundle)

#: ``viz.flipbook(root, "steps.html")``: the step-through page, under the name the docs use.
flipbook = write_flipbook

__all__ = [
    "ChainPath",
    "ChainRulePaths",
    "ExpressionError",
    "GraphvizNotFoundError",
    "chain_rule_paths",
    "compact",
    "draw_dot",
    "explore",
    "flipbook",
    "format_step",
    "node_names",
    "op_node_name",
    "parse_expression",
    "save",
    "trace",
    "trace_markdown",
    "write_flipbook",
]
