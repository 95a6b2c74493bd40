"""Notebook display: a Value's mime bundle (its graph as SVG, or one line), and the HTML tables of
backward's steps, traces and gradient-check reports (engine.display, viz.display)."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from engine import Value, backward_steps, display, gradcheck
from tests.support import issue_graph, neuron


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
    z, _, _ = issue_graph()
    bundle = z._repr_mimebundle_()
    assert bundle == {"text/plain": f"{z!r}\n{display.NO_DRAWER_HINT}"}
    assert repr(z) == "Value(data=-6.0, grad=0.0)"  # repr itself is unchanged
    assert "import viz" in display.NO_DRAWER_HINT


def test_the_bundle_honours_jupyters_include_and_exclude_but_keeps_text() -> None:
    z, _, _ = issue_graph()
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
    z, a, b = issue_graph()
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


def test_html_table_refuses_a_ragged_row() -> None:
    with pytest.raises(ValueError, match="a table row has 1 cells, the header 2"):
        display.html_table(("a", "b"), [("1",)])


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
