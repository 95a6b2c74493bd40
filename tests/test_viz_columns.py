"""MLP drawings in columns (viz.columns): read back from the SVG dot writes, by position."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest

import nn
from engine import Value
from tests.support import neuron
from viz import draw_dot
from viz.columns import plan_columns
from viz.cost import layout_cost, scene_edges
from viz.dot import DrawOptions, guard_layout
from viz.scene import select_scene

pytestmark = pytest.mark.dot

SVG = "{http://www.w3.org/2000/svg}"


def mlp_loss(widths: list[int], samples: int) -> Value:
    """An ``nn.MLP`` tanh network's squared error over ``samples`` inputs, after backward."""
    model = nn.MLP(widths[0], widths[1:], "tanh", seed=1)
    xs = [[Value(0.3 * (i + 1) * (-1) ** j + 0.1 * j, label=f"x{j + 1}")
           for j in range(widths[0])] for i in range(samples)]
    loss = nn.mse_loss([model(x) for x in xs], [1.0] * samples)
    loss.backward()
    return loss


def centres(root: Value, **options: object) -> dict[str, tuple[float, float]]:
    """Each drawn DOT node's centre (x, y) in the SVG (y grows downwards)."""
    svg = ET.fromstring(draw_dot(root, **options).pipe(format="svg"))  # type: ignore[arg-type]
    found = {}
    for group in svg.iter(f"{SVG}g"):
        if group.get("class") != "node":
            continue
        title = group.find(f"{SVG}title")
        assert title is not None and title.text
        shape = group.find(f".//{SVG}ellipse")
        if shape is not None:
            found[title.text] = (float(shape.get("cx", 0)), float(shape.get("cy", 0)))
            continue
        polygon = group.find(f".//{SVG}polygon")
        if polygon is None:  # the invisible points edges enter a layer through
            continue
        points = [tuple(map(float, p.split(","))) for p in polygon.get("points", "").split()]
        found[title.text] = (sum(p[0] for p in points) / len(points),
                             sum(p[1] for p in points) / len(points))
    return found


def by_scope(root: Value) -> dict[str, list[str]]:
    """The DOT names of the value nodes and op nodes in each scope."""
    scene = select_scene(root)
    members: dict[str, list[str]] = {}
    for node in scene.drawn:
        names = [scene.names[node]] + ([scene.names[node] + "op"] if node._prev else [])
        members.setdefault(node.scope, []).extend(names)
    return members


@pytest.mark.parametrize(("widths", "samples"), [([2, 4, 4, 1], 1), ([3, 4, 4, 1], 4),
                                                 ([2, 6, 3, 1], 1)])
def test_layers_are_columns_left_to_right_with_neurons_stacked_in_order(
        widths: list[int], samples: int) -> None:
    loss = mlp_loss(widths, samples)
    at = centres(loss)
    members = by_scope(loss)
    layers = len(widths) - 1
    for layer, nout in enumerate(widths[1:], start=1):
        scopes = [f"Layer {layer} / Neuron {layer}.{k}" for k in range(1, nout + 1)]
        for upper, lower in itertools.pairwise(scopes):
            # Neuron k's whole box above neuron k + 1's (SVG y grows downwards).
            assert max(at[n][1] for n in members[upper]) < min(at[n][1] for n in members[lower])
        if layer < layers:
            this = [n for s in scopes for n in members[s]]
            after = [n for s, names in members.items() if s.startswith(f"Layer {layer + 1} ")
                     for n in names]
            assert max(at[n][0] for n in this) < min(at[n][0] for n in after)
    # The layers overlap vertically (columns side by side), not a staircase of corners.
    first = [at[n][1] for s, names in members.items() if s.startswith("Layer 1 ") for n in names]
    second = [at[n][1] for s, names in members.items() if s.startswith("Layer 2 ")
              for n in names]
    overlap = min(max(first), max(second)) - max(min(first), min(second))
    assert overlap > 0.5 * (max(first) - min(first))
    if samples == 1:
        inputs = sorted((at[name][1], label) for name, label in leaf_labels(loss).items()
                        if label.startswith("x"))
        assert [label for _, label in inputs] == [f"x{j}" for j in range(1, widths[0] + 1)]


def leaf_labels(root: Value) -> dict[str, str]:
    scene = select_scene(root)
    return {scene.names[n]: n.label for n in scene.drawn if not n._prev and n.label}


def test_the_guard_predicts_the_ranks_dot_gives_a_column_drawing() -> None:
    """The cost model counts the ports and orders the ranks as dot does: a later predicted
    rank is never drawn left of an earlier one, and each layer's ranks come after the last."""
    loss = mlp_loss([2, 4, 4, 1], 1)
    scene = select_scene(loss)
    columns = plan_columns(scene)
    at = centres(loss)
    nodes, edges = scene_edges(scene, columns)
    assert sum(1 for n in nodes if n.endswith("-port")) == 2 * 4 + 4 * 4 + 4 * 1
    from viz.cost import _ranks
    rank = _ranks(scene, nodes, edges, 2, columns)
    x_of_rank: dict[int, set[int]] = {}
    for name in nodes:
        if name in at:
            x_of_rank.setdefault(rank[name], set()).add(round(at[name][0]))
    lefts = [min(xs) for _, xs in sorted(x_of_rank.items())]
    assert lefts == sorted(lefts)
    layer_ranks = {layer: [rank[name] for name in names] for layer, names in
                   ((i, [n for s, ns in by_scope(loss).items() if s.startswith(f"Layer {i} ")
                         for n in ns]) for i in (1, 2, 3))}
    assert max(layer_ranks[1]) < min(layer_ranks[2]) and max(layer_ranks[2]) < min(layer_ranks[3])
    cost, _ = guard_layout(scene, DrawOptions())
    assert cost == layout_cost(scene, True, columns)


@pytest.mark.parametrize("shape", ["neuron", "chain", "collapsed"])
def test_graphs_without_layers_drawn_node_by_node_are_drawn_as_before(shape: str) -> None:
    if shape == "neuron":
        root = neuron(backward=True)["o"]
    elif shape == "chain":
        root = Value(0.3, label="x")
        for _ in range(30):
            root = root.tanh()
        root.backward()
    else:
        root = mlp_loss([2, 4, 4, 1], 1)
    scene = select_scene(root, collapse="neuron" if shape == "collapsed" else None)
    assert not plan_columns(scene)
    source = draw_dot(root, collapse="neuron" if shape == "collapsed" else None).source
    assert not re.search(r"-port|rank=|mclimit|-tip", source)


def test_without_clusters_an_mlp_has_no_columns() -> None:
    loss = mlp_loss([2, 4, 4, 1], 1)
    assert not plan_columns(select_scene(loss), clusters=False)
    assert "-port" not in draw_dot(loss, clusters=False).source


def test_an_edge_into_a_layer_keeps_its_label_and_id_and_ends_in_an_arrow() -> None:
    """The page finds an edge by its id (``v3-in0``) and its arrow as ``v3-in0-tip``."""
    loss = mlp_loss([2, 4, 4, 1], 1)
    scene = select_scene(loss)
    from viz.dot import draw_scene
    source = draw_scene(scene, DrawOptions(element_ids=True)).source
    entering = next(iter(plan_columns(scene).entering))
    node, slot = entering
    edge_id = f"{scene.names[node]}-in{slot}"
    parent = scene.names[node._prev[slot]]
    outside = re.search(rf'\t{parent} -> "{edge_id}-port" \[([^\n]*)\]', source)
    inside = re.search(rf'\t"{edge_id}-port" -> {scene.names[node]}op \[([^\n]*)\]', source)
    assert outside and inside
    assert "label=" in outside[1] and f'id="{edge_id}"' in outside[1]
    assert "arrowhead=none" in outside[1]
    assert "label=" not in inside[1] and f'id="{edge_id}-tip"' in inside[1]


def test_the_flipbook_and_explorer_layout_has_the_columns_too() -> None:
    """``viz.layout.graph_payload`` (the flipbook's and the explorer's one SVG) lays out the
    same columns, and lists each entering edge once under its id."""
    from viz.layout import graph_payload
    loss = mlp_loss([2, 4, 4, 1], 1)
    scene = select_scene(loss)
    payload = graph_payload(scene, DrawOptions(), {})
    svg = ET.fromstring(payload["svg"])
    ys = {}
    for group in svg.iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        shape = group.find(f".//{SVG}ellipse")
        if group.get("class") == "node" and title is not None and shape is not None:
            ys[title.text] = float(shape.get("cy", 0))
    members = by_scope(loss)
    tops = [min(ys[n] for n in members[f"Layer 2 / Neuron 2.{k}"] if n in ys) for k in (1, 2, 3, 4)]
    assert tops == sorted(tops)
    ids = {g.get("id") for g in svg.iter(f"{SVG}g") if g.get("class") == "edge"}
    for edge_id in payload["edges"]:
        assert edge_id in ids
    assert sum(1 for i in ids if i and i.endswith("-tip")) == 2 * 4 + 4 * 4 + 4
