"""A Value in a notebook cell: its graph drawn as SVG, or one line when a drawing would not help.

``viz`` hands ``value_bundle`` to ``engine.display.set_value_drawer`` when it is imported, and
``Value._repr_mimebundle_`` asks it (the engine imports nothing of ours). The bundle always holds
``text/plain`` = ``repr(value)``, so a terminal, a doctest and a log read as before. The drawing
is skipped, without running dot, for a graph too big to read in a cell or too costly a shape to
lay out (``draw_dot``'s guard, ``viz.cost``): the cell shows its size instead. A missing Graphviz
gives one line saying how to install it, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine import Value, topological_order
from engine.modes import cyclic_gc_paused

from .dot import draw_dot
from .render import INSTALL_HINT, GraphvizNotFoundError

#: Past this many nodes in the graph a drawing in a cell is unreadable; the cell shows a summary
#: (``viz.draw_dot`` with ``collapse=`` or ``slice=`` draws such a graph, on request).
MAX_DRAWN_NODES = 400

#: Why a graph past ``MAX_DRAWN_NODES`` is not drawn, and how to draw it all the same.
TOO_MANY = (f"more than {MAX_DRAWN_NODES} nodes, too many to read in a cell; draw part of it "
            "with viz.draw_dot(v, collapse='layer') or slice=, or all of it with "
            "viz.save(v, 'graph.svg')")

#: The line shown when the graphviz Python package is missing (dot itself: ``INSTALL_HINT``).
PACKAGE_HINT = ("(the graph is not drawn: the graphviz Python package is missing; "
                "pip install 'graphviz>=0.20', and Graphviz's dot program)")


@dataclass(frozen=True)
class GraphSize:
    """The size of a graph, in one line of text.

    Attributes:
        nodes: the nodes the root depends on, itself included.
        depth: the most ops on a path from a leaf to the root.
        leaves: the nodes without parents (inputs, parameters, constants).
    """

    nodes: int
    depth: int
    leaves: int

    def __str__(self) -> str:
        return f"{self.nodes} nodes, depth {self.depth}, {self.leaves} leaves"


def graph_size(order: list[Value]) -> GraphSize:
    """Count the nodes, the depth (longest path, in ops) and the leaves of a topological order.

    One pass, parents before children, each node's depth one more than its deepest parent's
    (looked up through C-level ``map``s: a million-node chain takes about a second). The cyclic
    collector is paused meanwhile, as ``nn`` does for its forward pass: the dict would otherwise
    make it walk every live node of the graph, again and again.
    """
    with cyclic_gc_paused():
        place = {node: i for i, node in enumerate(order)}  # a Value hashes by identity
        at = place.__getitem__
        depth = [0] * len(order)
        get = depth.__getitem__
        leaves = 0
        for i, node in enumerate(order):
            prev = node._prev
            if prev:
                depth[i] = max(map(get, map(at, prev))) + 1
            else:
                leaves += 1
    return GraphSize(len(order), depth[-1], leaves)


def value_bundle(root: Value) -> dict[str, str]:
    """``root``'s notebook display: ``text/plain`` (its repr) and ``image/svg+xml`` (its graph,
    drawn by ``draw_dot``'s rules), or ``text/plain`` with a second line saying why not."""
    text = repr(root)
    order = topological_order(root)
    if len(order) > MAX_DRAWN_NODES:
        return {"text/plain": f"{text}\n{_too_big(graph_size(order), TOO_MANY)}"}
    try:
        # draw_dot judges dot's time from the graph's shape (viz.cost) and refuses at once, before
        # dot runs, what would take long; the DOT text costs milliseconds.
        drawing = draw_dot(root)
    except ValueError as refused:
        return {"text/plain": f"{text}\n{_too_big(graph_size(order), str(refused))}"}
    except ImportError:
        return {"text/plain": f"{text}\n{PACKAGE_HINT}"}
    try:
        svg = drawing.pipe(format="svg", encoding="utf-8")
    except GraphvizNotFoundError:
        return {"text/plain": f"{text}\n(the graph is not drawn: {INSTALL_HINT})"}
    # Graphviz writes an XML prolog and a DOCTYPE before <svg>: HTML pages take the element.
    return {"text/plain": text, "image/svg+xml": svg[svg.index("<svg"):]}


def _too_big(size: GraphSize, why: str) -> str:
    return f"(graph of {size}: {why})"
