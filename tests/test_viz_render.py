"""viz drawings rendered by the Graphviz dot program: SVG parsed as XML, PNG and PDF by header."""

from __future__ import annotations

import math
import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from engine import Value, name_scope, topological_order
from tests.support import neuron
from viz import draw_dot, node_names, op_node_name, save, style

pytestmark = pytest.mark.dot
pytest.importorskip("graphviz")

SVG = "{http://www.w3.org/2000/svg}"




def groups(root: ET.Element, kind: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == kind]


def texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def test_neuron_svg_holds_nodes_edges_labels_and_derivatives(tmp_path: Path) -> None:
    v = neuron(backward=True)
    path = save(v["o"], tmp_path / "neuron.svg", highlight=v["w1"])
    root = ET.parse(path).getroot()
    nodes, edges = groups(root, "node"), groups(root, "edge")
    assert len(nodes) == 15 and len(edges) == 14
    titles = {g.find(f"{SVG}title").text for g in nodes}  # type: ignore[union-attr]
    names = node_names(topological_order(v["o"]))
    assert titles == set(names.values()) | {op_node_name(names[n]) for n in names if n._prev}
    words = [w for g in nodes for w in texts(g)]
    for expected in ("x1", "data 2", "grad -1.5", "w1", "grad 1", "o", "data 0.7071", "tanh"):
        assert expected in words
    edge_labels = sorted(w for g in edges for w in texts(g))
    # local derivatives: 1 - tanh^2 = 0.5, the + edges 1, x1*w1 -> (-3, 2), x2*w2 -> (1, 0)
    assert edge_labels == sorted(["0.5", "1", "1", "1", "1", "-3", "2", "1", "0"])
    red = style.HIGHLIGHT[0]
    red_edges = [g for g in edges if any(p.get("stroke") == red for p in g.iter(f"{SVG}path"))]
    assert len(red_edges) == 4 + 4  # w1 -> * -> x1w1 -> + -> s -> + -> n -> tanh -> o
    caption = [t for t in texts(root) if t.strip().startswith("sum = ")]
    assert len(caption) == 1
    total = float(re.match(r"\s*sum = (\S+) = w1\.grad", caption[0])[1])  # type: ignore[index]
    assert math.isclose(total, v["w1"].grad, rel_tol=1e-3)  # the caption shows 4 digits


def test_png_and_pdf_by_suffix(tmp_path: Path) -> None:
    v = neuron(backward=True)
    png = save(v["o"], tmp_path / "g.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert width > 300 and height > 100
    assert save(v["o"], tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")


def test_micrograd_notebook_render_calls(tmp_path: Path) -> None:
    v = neuron(backward=True)
    dot = draw_dot(v["o"])
    written = dot.render(tmp_path / "gout")
    assert Path(written) == tmp_path / "gout.svg"
    ET.parse(written)
    written = dot.render(tmp_path / "gout2", format="svg")
    assert Path(written).suffix == ".svg"
    dot = draw_dot(v["o"], format="png", rankdir="TB")
    assert Path(dot.render(tmp_path / "gout3")).read_bytes()[:4] == b"\x89PNG"


def test_labels_with_record_syntax_render_verbatim(tmp_path: Path) -> None:
    a = Value(1.0, label='a|b{c}<d>"e"')
    out = a * 2.0
    root = ET.parse(save(out, tmp_path / "odd.svg")).getroot()
    assert 'a|b{c}<d>"e"' in texts(root)


def test_collapsed_mlp_svg(tmp_path: Path) -> None:
    # The structure of micrograd's MLP(2, [16, 16, 1]), built by hand so this test stands alone.
    x = [Value(0.5, label="x1"), Value(-1.0, label="x2")]
    h = x
    for index, nout in enumerate([16, 16, 1], start=1):
        with name_scope(f"Layer {index}"):
            outs = []
            for j in range(1, nout + 1):
                with name_scope(f"Neuron {index}.{j}"):
                    total = Value(0.0, label=f"b{index}.{j}")
                    for k, xk in enumerate(h):
                        total = total + Value(0.1 * (k - j), label=f"w{index}.{j}.{k}") * xk
                    outs.append(total.relu() if index < 3 else total)
            h = outs
    loss = (h[0] - 1.0) ** 2
    loss.backward()
    root = ET.parse(save(loss, tmp_path / "mlp.svg", collapse="neuron")).getroot()
    clusters = groups(root, "cluster")
    assert sorted(texts(c)[0] for c in clusters) == ["Layer 1", "Layer 2", "Layer 3"]
    nodes = groups(root, "node")
    boxes = [g for g in nodes if any(w.startswith("Neuron ") for w in texts(g))]
    assert len(boxes) == 33
    # x1, x2; the -1.0 constant, y - 1, its op; ** 2 result and op
    assert len(nodes) == 33 + 2 + 5
    # Each layer's neurons stand in order, top to bottom, as a reader counts them.
    for layer in (1, 2):
        names = [f"Neuron {layer}.{j}" for j in range(1, 17)]
        assert sorted(names, key=lambda n: top(root, n)) == names


def top(root: ET.Element, word: str) -> float:
    """The y of the node holding the text ``word`` (SVG y grows downwards)."""
    (y,) = [float(t.get("y", "nan")) for g in groups(root, "node") for t in g.iter(f"{SVG}text")
            if t.text == word]
    return y


def test_first_arguments_are_drawn_above_later_ones(tmp_path: Path) -> None:
    o = neuron()["o"]  # tanh(x1 w1 + x2 w2 + b)
    root = ET.parse(save(o, tmp_path / "neuron.svg")).getroot()
    assert top(root, "x1") < top(root, "x2")
    assert top(root, "w1") < top(root, "w2")
