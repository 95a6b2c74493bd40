"""How long Graphviz's dot will take to lay a scene out, predicted from its shape before dot runs.

dot's time is not its node count: the lecture's 4-sample loss (about 1400 drawn nodes) lays out in
a fraction of a second, while a sum of 150 products of the same two leaves (about 600) takes
13 s, and did take minutes before ``viz.dot.layout_limits`` capped dot's own passes. Three of its
phases grow with the shape (Gansner et al., "A technique for drawing directed graphs", 1993):

* positioning: every edge that spans k ranks becomes a chain of k - 1 virtual nodes, and the
  network simplex that places nodes grows faster than linearly in real plus virtual nodes;
* crossing minimisation: each sweep reorders every rank against its neighbour, its work about
  the square of the edges between two neighbouring ranks;
* ranks themselves: a chain of n tanh lays out in a time that grows like the square of its 2n
  ranks (1000 tanh 1.2 s, 2000 tanh 3.9 s, 3000 tanh 8.6 s, 5000 over a minute).

``layout_cost`` estimates ranks as dot would (longest path from the leaves, each leaf then
pulled next to its first use, every rank doubled when edges carry labels, as dot does to make room
for them; with the columns of ``viz.columns``, each edge into a layer passing through a point
and each neuron's first ops on one rank) and counts all three. The limits were measured on a
quiet 2-core machine (the table is in the issue 18 note): what passes them lays out in at most
about 8 s (a sum of 120 products 6.4 s, micrograd's MLP(2, [20, 20, 1]) 5.9 s, a chain of 2499
tanh about 6 s), what fails them would take 9 s or more (a sum of 130, MLP(2, [22, 22, 1])
9.8 s, a chain of 3000), except A/B/C at K = 16 (5.5 s), refused for its crossing work.
"""

from __future__ import annotations

from dataclasses import dataclass

from .columns import Columns, port_name
from .names import in_edge_id, op_node_name
from .scene import Scene

#: Real plus virtual nodes beyond which positioning takes more than seconds.
MAX_POSITIONED = 15_000

#: Edges between neighbouring ranks, squared and summed, beyond which crossing minimisation does.
MAX_CROSSING_WORK = 4_000_000

#: Ranks beyond which placing them does: a long chain's time grows with the square of its ranks.
MAX_RANKS = 5000


@dataclass(frozen=True)
class LayoutCost:
    """The shape of a scene as dot sees it.

    Attributes:
        nodes: nodes dot lays out (values, ops, boxes).
        edges: edges between them.
        virtual: the virtual nodes of edges that span more than one rank.
        crossing_work: the sum over neighbouring ranks of (edges between them) squared.
        widest: the most edges between two neighbouring ranks.
        ranks: how many ranks the layout has.
    """

    nodes: int
    edges: int
    virtual: int
    crossing_work: int
    widest: int
    ranks: int = 0

    @property
    def positioned(self) -> int:
        """Real and virtual nodes: what dot's positioning phase places."""
        return self.nodes + self.virtual

    def too_slow(self) -> str | None:
        """Why dot would take too long, or None when the scene lays out in seconds."""
        if self.positioned > MAX_POSITIONED:
            return (f"its {self.edges} edges span so many ranks that dot would place "
                    f"{self.positioned} nodes (limit {MAX_POSITIONED}), which takes it tens of "
                    "seconds or more")
        if self.crossing_work > MAX_CROSSING_WORK:
            return (f"up to {self.widest} edges run between two neighbouring ranks (crossing "
                    f"work {self.crossing_work}, limit {MAX_CROSSING_WORK}), which dot needs "
                    "tens of seconds or more to untangle")
        if self.ranks > MAX_RANKS:
            return (f"its longest path runs through {self.ranks} ranks (limit {MAX_RANKS}), and "
                    "dot's time grows with their square (4000 ranks take seconds, 8000 most of "
                    "a minute)")
        return None


def scene_edges(scene: Scene, columns: Columns | None = None
                ) -> tuple[list[str], list[tuple[str, str]]]:
    """The DOT nodes and edges of a scene (values, ops, boxes, the ports of ``columns``; one
    edge per use, two through a port), in the order ``draw_scene`` emits them, without
    drawing."""
    entering = columns.entering if columns else {}
    box_names = scene.box_names
    on_drawing = set(scene.drawn)
    nodes: list[str] = []
    edges: list[tuple[str, str]] = []
    with_op = set(scene.with_op)
    for node in scene.drawn:
        if node not in scene.boxed:
            nodes.append(scene.names[node])
            if node in with_op:
                nodes.append(op_node_name(scene.names[node]))
                edges.append((op_node_name(scene.names[node]), scene.names[node]))
    nodes += box_names.values()
    seen: set[tuple[str, str]] = set()
    for node in scene.with_op:
        for slot, parent in enumerate(node._prev):
            if parent not in on_drawing:
                continue
            if (node, slot) in entering:
                port = port_name(in_edge_id(scene.names[node], slot))
                nodes.append(port)
                edges += [(scene.names[parent], port), (port, op_node_name(scene.names[node]))]
                continue
            head = (box_names[scene.boxed[node]] if node in scene.boxed
                    else op_node_name(scene.names[node]))
            tail = box_names[scene.boxed[parent]] if parent in scene.boxed else scene.names[parent]
            if node in scene.boxed or parent in scene.boxed:
                if head == tail or (tail, head) in seen:
                    continue
                seen.add((tail, head))
            edges.append((tail, head))
    return nodes, edges


def layout_cost(scene: Scene, labelled: bool, columns: Columns | None = None) -> LayoutCost:
    """Predict dot's work for ``scene`` (``labelled``: the edges carry local derivatives;
    ``columns``: the rank constraints ``draw_scene`` adds, ``viz.columns.plan_columns``)."""
    nodes, edges = scene_edges(scene, columns)
    step = 2 if labelled else 1  # dot doubles every rank to give edge labels a rank of their own
    rank = _ranks(scene, nodes, edges, step, columns or Columns())
    between: dict[int, int] = {}
    virtual = 0
    for tail, head in edges:
        low, high = sorted((rank[tail], rank[head]))
        virtual += max(0, high - low - 1)
        for r in range(low, high):
            between[r] = between.get(r, 0) + 1
    widths = between.values()
    span = max(rank.values(), default=0) - min(rank.values(), default=0) + 1
    return LayoutCost(len(nodes), len(edges), virtual, sum(w * w for w in widths),
                      max(widths, default=0), span)


def _ranks(scene: Scene, nodes: list[str], edges: list[tuple[str, str]], step: int,
           columns: Columns) -> dict[str, int]:
    """Each DOT node's rank: the longest path from the leaves, the first ops of each neuron
    (``columns.first_ranks``, dot's ``rank=same``) on one rank, leaves next to their first use."""
    group = {name: name for name in nodes}
    for members in columns.first_ranks.values():
        ops = [op_node_name(scene.names[node]) for node in members]
        group.update(dict.fromkeys(ops, ops[0]))
    leaders = list(dict.fromkeys(group.values()))
    into: dict[str, list[str]] = {name: [] for name in leaders}
    out_of: dict[str, list[str]] = {name: [] for name in leaders}
    for tail, head in edges:
        into[group[head]].append(group[tail])
        out_of[group[tail]].append(group[head])
    rank: dict[str, int] = {}
    for name in _topological(leaders, into, out_of):
        rank[name] = max((rank[t] + step for t in into[name]), default=0)
    for name in leaders:  # a leaf sits next to its first use, as dot's network simplex puts it
        if not into[name] and out_of[name]:
            rank[name] = min(rank[h] for h in out_of[name]) - step
    return {name: rank[group[name]] for name in nodes}


def _topological(nodes: list[str], into: dict[str, list[str]],
                 out_of: dict[str, list[str]]) -> list[str]:
    """The DOT nodes in an order where every edge's tail comes before its head (Kahn's loop)."""
    waiting = {name: len(into[name]) for name in nodes}
    ready = [name for name in nodes if waiting[name] == 0]
    ordered = []
    while ready:
        name = ready.pop()
        ordered.append(name)
        for head in out_of[name]:
            waiting[head] -= 1
            if waiting[head] == 0:
                ready.append(head)
    return ordered
