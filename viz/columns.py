"""MLP drawings in columns: each ``nn`` layer one column, its neurons stacked in order in it.

Graphviz's dot (without ``newrank``) ranks each cluster on its own and keeps a cluster's nodes
together on every rank it spans; an edge from outside a cluster into it is routed outside the
cluster, so on the ranks the cluster spans its last stretch (a virtual node, its label) must sit
above or below the cluster's nodes. In a plain MLP drawing every edge into layer l + 1 (layer
l's outputs into the products ``w * x``) ended next to the weights on the layer's first rank,
so dot stacked those edges, and the layer with them, beside layer l's corner: a diagonal
staircase. Here:

* each edge into a layer from outside it passes through an invisible point (a *port*) on the
  first rank of its neuron (``rank=min``), so it reaches the cluster before the cluster's first
  rank and nothing outside has to sit beside it; the part outside keeps the edge's label and
  SVG id (``v3-in0``), the part inside is ``v3-in0-tip`` and draws the arrow;
* inside each neuron the ops that read from outside the layer share one rank (``rank=same``),
  so all of a neuron's edges in arrive together and the long edges (a product to its place in
  the running sum) stay inside the neuron's box;
* dot's crossing minimisation cannot untangle a dense layer (every order of its neurons crosses
  alike) and only shuffles it, so a drawing with columns keeps the order the nodes are emitted
  in, which is reading order: Neuron 1.1 above 1.2, inputs x1 above x2 (``MCLIMIT``).

Layers are the scopes ``nn`` names ``Layer <i>`` at the top of a scope path
(``viz.scopes.KINDS``), drawn node by node with clusters on. Other graphs (and collapsed boxes,
one rank each already) are drawn as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine import Value

from .scene import Scene
from .scopes import KINDS, SEPARATOR

#: dot's ``mclimit`` for a drawing with columns: no reordering passes past the initial order.
MCLIMIT = "0.01"


@dataclass(frozen=True)
class Columns:
    """The rank constraints that lay a scene's layers out as columns.

    Attributes:
        entering: the (node, slot) whose argument ``slot`` comes from outside the node's layer,
            in drawing order; each such edge passes through a port on its layer's first rank.
        first_ranks: for each scope inside a layer (a neuron), the nodes whose ops read from
            outside the layer, in drawing order; their op nodes share one rank.
    """

    entering: dict[tuple[Value, int], None] = field(default_factory=dict)
    first_ranks: dict[str, list[Value]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.entering)


def layer_of(scope: str) -> str:
    """The layer a scope is in (``"Layer 2 / Neuron 2.3"`` -> ``"Layer 2"``), or ``""``."""
    top = scope.split(SEPARATOR, 1)[0]
    return top if top.startswith(KINDS["layer"]) else ""


def port_name(edge_id: str) -> str:
    """The DOT name of the point an entering edge (SVG id ``edge_id``) passes through."""
    return f"{edge_id}-port"


def tip_id(edge_id: str) -> str:
    """The SVG id of an entering edge's part from its port to its op (the arrow)."""
    return f"{edge_id}-tip"


def plan_columns(scene: Scene, clusters: bool = True) -> Columns:
    """The column constraints of ``scene``: none without clusters, or when it has no layers
    drawn node by node (collapsed boxes already take one rank each)."""
    if not clusters:
        return Columns()
    on_drawing = set(scene.drawn)
    entering: dict[tuple[Value, int], None] = {}
    first_ranks: dict[str, list[Value]] = {}
    for node in scene.with_op:
        layer = layer_of(node.scope)
        if not layer or node in scene.boxed:
            continue
        slots = [slot for slot, p in enumerate(node._prev) if p in on_drawing
                 and p not in scene.boxed and layer_of(p.scope) != layer]
        if slots:
            entering.update(((node, slot), None) for slot in slots)
            first_ranks.setdefault(node.scope, []).append(node)
    return Columns(entering, first_ranks)
