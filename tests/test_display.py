"""Notebook display: a Value's mime bundle (its graph as SVG, or one line), and the HTML tables of
backward's steps, traces and gradient-check reports (engine.display, viz.display)."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest

from engine import Value, backward_steps, display, gradcheck
from tests.support import neuron, two_paths_graph


@pytest.fixture
def no_drawer() -> Iterator[None]:
    """The engine alone, as before ``import viz`` (the drawer slot is put back afterwards)."""
    saved = list(display._drawer)
    display.set_value_drawer(None)
    yield
    display._drawer[:] = saved


def table_cells(markup: str) -> tuple[str, list[str], list[list[str]]]:
    """Parse an HTML table (as XML: every tag closed, text escaped) into caption, header, rows."""
    root = ET.fromstring(f"<div>{markup}</div>")
    table = root.find("table")
    assert table is not None
    caption = table.findtext("caption") or ""
    header = [th.text or "" for th in table.iter("th")]
    rows = [[td.text or "" for td in tr.iter("td")] for tr in table.iter("tr")
            if tr.find("td") is not None]
    return caption, header, rows


# --- without viz: text, and the line that says how to get the drawing -------------------------


def test_a_value_without_a_drawer_shows_its_repr_and_the_hint(no_drawer: None) -> None:
    z, _, _ = two_paths_graph()
    bundle = z._repr_mimebundle_()
    assert bundle == {"text/plain": f"{z!r}\n{display.NO_DRAWER_HINT}"}
    assert repr(z) == "Value(data=-6.0, grad=0.0)"  # repr itself is unchanged
    assert "import viz" in display.NO_DRAWER_HINT


def test_the_bundle_honours_jupyters_include_and_exclude_but_keeps_text() -> None:
    z, _, _ = two_paths_graph()
    display_calls: list[Value] = []

    def drawer(value: Value) -> dict[str, str]:
        display_calls.append(value)
        return {"text/plain": repr(value), "image/svg+xml": "<svg/>"}

    saved = list(display._drawer)
    display.set_value_drawer(drawer)
    try:
        assert z._repr_mimebundle_() == {"text/plain": repr(z), "image/svg+xml": "<svg/>"}
        assert z._repr_mimebundle_(include=["image/svg+xml"]).keys() == {
            "text/plain", "image/svg+xml"}
        assert z._repr_mimebundle_(exclude=["image/svg+xml"]) == {"text/plain": repr(z)}
        assert z._repr_mimebundle_(exclude=["text/plain"])["text/plain"] == repr(z)
    finally:
        display._drawer[:] = saved
    assert display_calls == [z, z, z, z]


# --- HTML tables ---------------------------------------------------------------------------------


def test_a_step_record_is_an_html_table_of_its_chain_rule() -> None:
    z, a, b = two_paths_graph()
    steps = list(backward_steps(z))
    first = steps[0]  # z = u + v: both parents get 1 x 1
    caption, header, rows = table_cells(first._repr_html_())
    assert caption == "step 1 of 3: z (+), upstream grad 1"
    assert header == ["parent", "local", "× upstream", "= added", "grad before", "grad after"]
    assert rows == [["u", "1", "1", "1", "0", "1"], ["v", "1", "1", "1", "0", "1"]]
    (u_step,) = [step for step in steps if step.node.label == "u"]  # u = a * 2
    caption, _, rows = table_cells(u_step._repr_html_())
    assert caption == "step 2 of 3: u (*), upstream grad 1"
    assert rows == [["a", "2", "1", "2", "0", "2"], ["const 2", "3", "1", "3", "0", "3"]]
    (v_step,) = [step for step in steps if step.node.label == "v"]  # v = a b: a had 2 already
    assert table_cells(v_step._repr_html_())[2][0] == ["a", "-4", "1", "-4", "2", "-2"]
    assert math.isclose(a.grad, -2.0) and math.isclose(b.grad, 3.0)


def test_html_cells_are_escaped() -> None:
    odd = Value(1.0, label="<b>&x")
    step = next(backward_steps((odd * 3.0).tanh()))
    markup = step._repr_html_()
    assert "<b>&x" not in markup and "&lt;b&gt;&amp;x" not in markup  # not the root
    first = next(backward_steps(odd * 3.0))
    assert "&lt;b&gt;&amp;x" in first._repr_html_()
    assert table_cells(first._repr_html_())[2][0][0] == "<b>&x"


def test_a_gradcheck_report_is_an_html_table_with_the_text_tables_cells() -> None:
    report = gradcheck(lambda x, y: (x * y).tanh() + x.exp(), {"x": 0.3, "y": -1.2})
    caption, header, rows = table_cells(report._repr_html_())
    text = report.table().splitlines()
    assert caption == report.summary() == text[-1]
    assert header == [*list(report.cells()[0][:-1]), ""]
    assert rows == [list(row) for row in report.cells()[1]]
    assert [row[0] for row in rows] == ["x", "y"] and all(row[-1] == "ok" for row in rows)


def test_a_kink_is_a_note_under_the_reports_html_table() -> None:
    report = gradcheck(lambda x: x.relu(), [0.0])
    markup = report._repr_html_()
    root = ET.fromstring(f"<div>{markup}</div>")
    notes = [p.text or "" for p in root.findall("p")]
    assert notes == [f"x0 = 0.0: {report.rows[0].kink}"]
    assert table_cells(markup)[2][0][-1] == "NOT DIFFERENTIABLE"


@pytest.mark.torch
def test_a_torch_comparison_is_an_html_table() -> None:
    from engine import compare_with_torch

    report = compare_with_torch(lambda a, b: (a * b + b.sigmoid()).log(), [1.5, 0.25])
    caption, header, rows = table_cells(report._repr_html_())
    assert header[3] == "torch grad" and caption.endswith(": ok")
    assert [float(row[2]) for row in rows] == [r.engine for r in report.rows]


def test_html_table_refuses_a_ragged_row_and_a_bad_alignment() -> None:
    with pytest.raises(ValueError, match="a table row has 1 cells, the header 2"):
        display.html_table(("a", "b"), [("1",)])
    with pytest.raises(ValueError, match="align takes '<' and '>' only, got 'r'"):
        display.html_table(("a",), [("1",)], align="r")


def test_html_table_aligns_columns_as_text_table_does() -> None:
    markup = display.html_table(("step", "node", "grad"), [("1", "o", "0.5")], align="><>")
    sides = re.findall(r'<td style="text-align:(\w+)">', markup)
    assert sides == ["right", "left", "right"]


def test_the_engine_displays_without_importing_viz() -> None:
    import subprocess
    import sys

    code = ("import sys; from engine import Value; v = Value(2.0) * 3.0; "
            "b = v._repr_mimebundle_(); "
            "assert 'viz' not in sys.modules and 'import viz' in b['text/plain'], b")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_lecture_neuron_steps_name_every_labelled_parent() -> None:
    o = neuron()["o"]
    names = [table_cells(step._repr_html_())[2][0][0] for step in backward_steps(o)]
    assert names[0] == "n"


# --- with viz: the drawing, the summary, the missing Graphviz ---------------------------------


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """viz imported (its drawer in the slot); yields the DOT texts handed to dot, counted."""
    import viz.display
    from viz.render import drawing_class

    piped: list[str] = []
    real = drawing_class().pipe

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        piped.append(self.source)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(drawing_class(), "pipe", counting)
    saved = list(display._drawer)
    display.set_value_drawer(viz.display.value_bundle)
    yield piped
    display._drawer[:] = saved


def test_importing_viz_fills_the_slot() -> None:
    import viz
    import viz.display

    assert viz.display.value_bundle in display._drawer


@pytest.mark.dot
def test_a_value_shows_its_graph_as_svg_with_every_leaf_label(drawn: list[str]) -> None:
    o = neuron(backward=True)["o"]
    bundle = o._repr_mimebundle_()
    assert bundle.keys() == {"text/plain", "image/svg+xml"}
    assert bundle["text/plain"] == repr(o)
    svg = ET.fromstring(bundle["image/svg+xml"])  # parses as XML, starts at <svg>
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    for label in ("x1", "x2", "w1", "w2", "b", "n", "o"):
        assert label in texts, label
    assert "grad 1" in texts  # o's own grad after backward
    assert len(drawn) == 1


@pytest.mark.dot
def test_ipythons_formatter_takes_the_bundle_once(drawn: list[str]) -> None:
    from IPython.core.formatters import DisplayFormatter

    o = neuron()["o"]
    data, _ = DisplayFormatter().format(o)
    assert data["text/plain"] == repr(o) and data["image/svg+xml"].startswith("<svg")
    assert len(drawn) == 1


def test_a_graph_too_big_for_a_cell_is_one_line_and_never_reaches_dot(
        drawn: list[str]) -> None:
    import viz.display

    x = Value(0.5, label="x")
    for _ in range(viz.display.MAX_DRAWN_NODES):
        x = x * 1.0001  # a chain: each step adds the product and its constant
    bundle = x._repr_mimebundle_()
    assert bundle.keys() == {"text/plain"}
    first, second = bundle["text/plain"].splitlines()
    n = viz.display.MAX_DRAWN_NODES
    assert first == repr(x)
    assert second == f"(graph of {2 * n + 1} nodes, depth {n}, {n + 1} leaves: " \
        f"{viz.display.TOO_MANY})"
    assert "viz.draw_dot(v, collapse='layer')" in second
    assert drawn == []


def test_a_shape_dot_would_take_long_on_is_one_line_and_never_reaches_dot(
        drawn: list[str]) -> None:
    # 150 products of the same two leaves, summed: 301 nodes, but every product's edges span
    # the chain of sums, and dot would place tens of thousands of virtual nodes.
    a, c = Value(1.0, label="a"), Value(2.0, label="c")
    total = a * c
    for _ in range(149):
        total = total + a * c
    text = total._repr_mimebundle_()["text/plain"]
    first, second = text.splitlines()
    assert first == repr(total)
    assert second.startswith("(graph of 301 nodes, depth 150, 2 leaves: ")
    assert "collapse='neuron'" in second  # draw_dot's refusal, which says how to draw less
    assert drawn == []


def test_graph_size_counts_nodes_depth_and_leaves() -> None:
    from engine import topological_order
    from viz.display import graph_size

    z, _, _ = two_paths_graph()  # z = a*2 + a*b: 6 nodes, leaves a, b, 2; depth 2
    assert str(graph_size(topological_order(z))) == "6 nodes, depth 2, 3 leaves"
    assert str(graph_size([Value(1.0)])) == "1 nodes, depth 0, 1 leaves"


def test_without_the_dot_program_the_cell_says_how_to_install_it(
        drawn: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    pytest.importorskip("graphviz")
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on it
    o = neuron()["o"]
    bundle = o._repr_mimebundle_()
    assert bundle.keys() == {"text/plain"}
    first, second = bundle["text/plain"].splitlines()
    assert first == repr(o)
    assert second.startswith("(the graph is not drawn: the Graphviz 'dot' program was not found")
    assert "apt-get install graphviz" in second and len(drawn) == 1


def test_without_the_graphviz_package_the_cell_says_how_to_install_it(
        drawn: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from viz import render

    render.drawing_class.cache_clear()
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz raises ImportError
    try:
        bundle = neuron()["o"]._repr_mimebundle_()
    finally:
        render.drawing_class.cache_clear()
    assert bundle["text/plain"].splitlines()[1].startswith(
        "(the graph is not drawn: the graphviz Python package is missing; pip install")


def test_a_trace_is_its_text_and_shows_as_html_tables() -> None:
    import viz

    z, _, _ = two_paths_graph()
    text = viz.trace(z)
    assert isinstance(text, str) and text.startswith("backward of z: 3 steps")
    bundle = text._repr_mimebundle_()  # type: ignore[attr-defined]
    assert bundle["text/plain"] == str(text)
    root = ET.fromstring(f"<div>{bundle['text/html']}</div>")
    steps, leaves = root.findall("table")
    rows = [[td.text or "" for td in tr.iter("td")] for tr in steps.iter("tr")
            if tr.find("td") is not None]
    assert len(rows) == 6 and rows[0][:4] == ["1", "z", "+", "1.0"]  # 3 steps, 2 parents each
    leaf_rows = {tr.findtext("td"): [td.text for td in tr.iter("td")][1:]
                 for tr in leaves.iter("tr") if tr.find("td") is not None}
    assert leaf_rows["a"] == ["3.0", "-2.0"] and leaf_rows["b"] == ["-4.0", "3.0"]
    assert viz.trace(z, markdown=True).startswith("Backward of `z` in 3 steps")
