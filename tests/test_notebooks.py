"""The notebooks under notebooks/ run top to bottom in a fresh kernel, and say the right numbers.

Each notebook asserts its own results as it goes (gradients equal to the hand formulas and to
torch's, accuracies above a floor); these tests execute it (``demos.notebooks.execute``: the
``python3`` kernel of this interpreter) and read the outputs back: the pictures are there, and the
numbers printed agree with what was computed.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from demos import notebooks

pytest.importorskip("nbclient", reason="the notebook extra is not installed")
pytest.importorskip("jupytext", reason="the notebook extra is not installed")

pytestmark = [pytest.mark.slow, pytest.mark.dot, pytest.mark.torch]


def run(name: str, folder: Path) -> list[Any]:
    """Execute notebook ``name`` in ``folder``; its code cells, outputs filled in."""
    (path,) = notebooks.notebook_paths([name])
    book = notebooks.execute(path, folder).book
    return [cell for cell in book.cells if cell.cell_type == "code"]


def cell_starting(cells: list[Any], text: str) -> Any:
    (cell,) = [cell for cell in cells if cell.source.startswith(text)]
    return cell


def printed(cell: Any) -> str:
    return "".join(out.text for out in cell.outputs if out.output_type == "stream")


def data(cell: Any) -> dict[str, Any]:
    """The mime bundle of the cell's result (its execute_result or last display)."""
    shown = [out for out in cell.outputs if out.output_type in ("execute_result", "display_data")]
    assert shown, cell.source
    result: dict[str, Any] = shown[-1].data
    return result


def test_backprop_by_hand(tmp_path: Path) -> None:
    cells = run("01_backprop_by_hand", tmp_path)
    graph = data(cell_starting(cells, 'a = Value(2.0, label="a")'))
    svg = ET.fromstring(graph["image/svg+xml"])  # the Value drew itself
    texts = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")}
    assert {"a", "b", "c", "f", "e", "d", "L"} <= texts
    assert graph["text/plain"] == "Value(data=-8.0, grad=0.0)"
    assert "<table>" in data(cell_starting(cells, "report = gradcheck"))["text/html"]
    steps = [data(cell)["text/html"] for cell in cells
             if cell.source.endswith("next(steps)")]
    assert [re.search(r"<caption[^>]*>(step \d of 5: [^,]+)", s)[1] for s in steps] == [  # type: ignore[index]
        "step 1 of 5: o (tanh)", "step 2 of 5: n (+)"]
    assert "leaf gradients" in data(cell_starting(cells, "viz.trace(o)"))["text/html"]
    # The engine's and torch's gradients, as the notebook printed them side by side.
    lines = printed(cell_starting(cells, "import torch")).splitlines()
    pairs = [re.fullmatch(r"d o/d (\w+) *: engine +(\S+) +torch +(\S+)", line)
             for line in lines[1:]]
    grads = {m[1]: (float(m[2]), float(m[3])) for m in pairs if m}
    assert grads.keys() == {"x1", "x2", "w1", "w2", "b"}
    hand = {"x1": -1.5, "x2": 0.5, "w1": 1.0, "w2": 0.0, "b": 0.5}
    for name, (engine, torch) in grads.items():
        assert math.isclose(engine, torch, rel_tol=1e-12, abs_tol=1e-15), name
        assert math.isclose(engine, hand[name], rel_tol=1e-12, abs_tol=1e-15), name
    assert (tmp_path / "neuron_steps.html").stat().st_size > 10_000  # the flipbook, beside it
    assert "application/vnd.jupyter.widget-view+json" in data(cells[-1])


def test_abc_homework(tmp_path: Path) -> None:
    cells = run("02_abc_homework", tmp_path)
    assert data(cell_starting(cells, "L = abc.sample_graph"))["image/svg+xml"].startswith("<svg")
    diffs = re.findall(r"max \|engine - (?:hand|torch)\| = ([-+.\de]+)",
                       printed(cell_starting(cells, "result = abc.compare")))
    assert len(diffs) == 8 and max(map(float, diffs)) < 1e-12
    descent = printed(cell_starting(cells, "training = abc.train"))
    start, end = map(float, re.findall(r"mean loss (\S+) -> (\S+);", descent)[0])
    assert end < 0.5 * start
    pictures = [cell for cell in cells if any("image/png" in out.get("data", {})
                                              for out in cell.outputs)]
    assert len(pictures) == 2  # the loss curve and the cost plot
    ratios = printed(cells[-1])
    assert ratios.strip() == str({f"K={k}": f"{3 * k * k}x the nodes" for k in (1, 2, 4, 8)})


def test_lab1(tmp_path: Path) -> None:
    cells = run("03_lab1", tmp_path)
    outcome = printed(cell_starting(cells, "lab = lab1.Lab()"))
    scores = dict(re.findall(r"^(\w+) *:.*accuracy (\d+)%$", outcome, re.M))
    assert scores.keys() == {"linear", "xor"}
    assert all(int(score) >= 95 for score in scores.values()), scores
    sweep = printed(cell_starting(cells, "rates = "))
    rows = {line.split()[0]: line.split()[1:] for line in sweep.splitlines()[1:]}
    assert list(rows) == ["1", "0.1", "0.01"]
    assert int(rows["0.1"][0].rstrip("%")) >= 95  # the linear task learns at lr 0.1
    pictures = [cell for cell in cells if any("image/png" in out.get("data", {})
                                              for out in cell.outputs)]
    assert len(pictures) == 3  # learning curves, decision boundaries, the sweep's curves
