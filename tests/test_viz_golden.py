"""draw_dot's DOT text of the demo graphs, byte for byte against files in tests/golden/.

A refactor of viz must not change a drawing by accident. When a drawing is meant to change,
regenerate the files in tests/golden/viz/ with ``GOLDEN_REGEN=1 pytest tests/test_viz_golden.py``
and read the diff.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from demos import abc
from engine import Value, name_scope, topological_order
from tests.support import neuron
from viz import draw_dot
from viz.dot import draw_scene
from viz.scene import select_scene

pytest.importorskip("graphviz")

GOLDEN = Path(__file__).parent / "golden" / "viz"


def lecture_mlp() -> tuple[Value, list[Value]]:
    """A 2-4-4-1 tanh MLP's squared error on one sample, scoped and labelled as ``nn`` does.

    Built here rather than by ``nn`` so that this file pins viz's drawing alone.
    """
    widths = [2, 4, 4, 1]
    params: list[Value] = []
    xs = [Value(0.5, label="x1"), Value(-1.0, label="x2")]
    for layer, (fan_in, fan_out) in enumerate(itertools.pairwise(widths), start=1):
        outs = []
        with name_scope(f"Layer {layer}"):
            for j in range(1, fan_out + 1):
                with name_scope(f"Neuron {layer}.{j}"):
                    ws = [Value(((layer * 7 + j * 3 + i) % 11) / 5 - 1, label=f"w{layer}.{j}.{i}")
                          for i in range(1, fan_in + 1)]
                    b = Value(0.0, label=f"b{layer}.{j}")
                    params += [*ws, b]
                    total = b
                    for w, x in zip(ws, xs, strict=True):
                        total = total + w * x
                    outs.append(total.tanh() if layer < len(widths) - 1 else total)
        xs = outs
    loss = (xs[0] - 1.0) ** 2
    loss.label = "loss"
    return loss, params


def _neuron() -> Value:
    return neuron(backward=True)["o"]


def _mlp() -> Value:
    loss, _ = lecture_mlp()
    loss.backward()
    return loss


def _anomalous() -> Value:
    a, b = Value(0.0, label="a"), Value(2.0, label="b")
    out = (a.log() * b + b).exp()
    out.label = "out"
    return out


def _partial_grads() -> str:
    """The flipbook's use: some grads known, one node in focus."""
    v = neuron()
    o = v["o"]
    order = topological_order(o)
    known = {o: 1.0, v["n"]: 0.5}
    grads = {node: known.get(node) for node in order}
    scene = select_scene(o, focus=v["n"], max_nodes=None)
    return draw_scene(scene, grads=grads, focus=v["n"]).source


def _mlp_with(**options: object) -> Callable[[], str]:
    def draw() -> str:
        loss, params = lecture_mlp()
        loss.backward()
        if options.pop("with_params", False):
            options["params"] = params
        return draw_dot(loss, **options).source  # type: ignore[arg-type]
    return draw


def _neuron_with(**options: object) -> Callable[[], str]:
    def draw() -> str:
        v = neuron(backward=True)
        chosen = {k: ([v[n] for n in x] if isinstance(x, list) else x) for k, x in options.items()}
        return draw_dot(v["o"], **chosen).source  # type: ignore[arg-type]
    return draw


def _abc(k: int, **options: object) -> Callable[[], str]:
    def draw() -> str:
        root = abc.sample_graph(k, 0)
        root.backward()
        return draw_dot(root, **options).source  # type: ignore[arg-type]
    return draw


CASES: dict[str, Callable[[], str]] = {
    "neuron": lambda: draw_dot(_neuron()).source,
    "neuron_tb_bare": _neuron_with(rankdir="TB", show_grad=False, show_local=False),
    "neuron_highlight": _neuron_with(highlight=["x1", "w2"]),
    "neuron_slice": _neuron_with(slice=["w1"], clusters=False, digits=6),
    "neuron_partial": _partial_grads,
    "abc_k2": _abc(2),
    "abc_k3_collapsed": _abc(3, collapse={"y", "u", "w"}),
    "mlp": _mlp_with(),
    "mlp_params": _mlp_with(with_params=True, highlight=None),
    "mlp_neuron": _mlp_with(collapse="neuron"),
    "mlp_layer": _mlp_with(collapse="layer", show_grad=False),
    "anomalies": lambda: draw_dot(_anomalous(), anomalies=True).source,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_dot_text_is_unchanged(case: str) -> None:
    path = GOLDEN / f"{case}.dot"
    source = CASES[case]()
    if os.environ.get("GOLDEN_REGEN"):
        path.write_text(source, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with GOLDEN_REGEN=1"
    assert source == path.read_text(encoding="utf-8")


def test_the_mlp_is_a_real_network() -> None:
    """The hand-built MLP is differentiable end to end (a guard on the fixture itself)."""
    loss, params = lecture_mlp()
    loss.backward()
    assert len(params) == 2 * 4 + 4 + 4 * 4 + 4 + 4 * 1 + 1
    assert math.isfinite(loss.data) and any(p.grad != 0.0 for p in params)
