"""viz.explore: the explorer widget in Python, in a notebook run by nbclient, and in JupyterLab."""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine import Value
from tests.support import NEURON_POINT

ROOT = Path(__file__).resolve().parent.parent

pytest.importorskip("anywidget", reason="the notebook extra is not installed")


def neuron_grads(point: dict[str, float]) -> dict[str, float]:
    """do/dx for the lecture neuron, by hand: 1 - o^2 times the other factor."""
    n = point["x1"] * point["w1"] + point["x2"] * point["w2"] + point["b"]
    slope = 1 - math.tanh(n) ** 2
    return {"x1": point["w1"] * slope, "x2": point["w2"] * slope, "w1": point["x1"] * slope,
            "w2": point["x2"] * slope, "b": slope}


def close(got: dict[str, float], want: dict[str, float]) -> bool:
    return got.keys() == want.keys() and all(
        math.isclose(got[k], want[k], rel_tol=1e-12, abs_tol=1e-15) for k in want)


# --- in Python ------------------------------------------------------------------------------


def test_widget_state_follows_values_set_from_python() -> None:
    import viz

    w = viz.explore("tanh(x1*w1 + x2*w2 + b)", **NEURON_POINT)
    assert close(w.grads, neuron_grads(NEURON_POINT))
    assert w.value == pytest.approx(math.sqrt(0.5), rel=1e-12)
    assert w.graph["graph"]["svg"].startswith("<svg") and w.expr == "tanh(x1*w1 + x2*w2 + b)"
    moved = {**NEURON_POINT, "w1": 0.5}
    structure = w.state["structure"]
    w.values = moved
    assert close(w.grads, neuron_grads(moved))
    assert w.state["structure"] == structure  # same drawing: only numbers changed
    w.set(b=-1.0)
    assert close(w.grads, neuron_grads({**moved, "b": -1.0}))
    assert str(w.paths("w1")).endswith(f"sum = {w.grads['w1']:.4g}")


def test_widget_explores_a_function_and_a_new_expression() -> None:
    import viz

    def f(x: Value, y: Value) -> Value:
        return (x * y + x).exp()

    w = viz.explore(f, x=0.5)
    assert w.values == {"x": 0.5, "y": 1.0}
    assert w.grads == pytest.approx({"x": 2 * math.exp(1.0), "y": 0.5 * math.exp(1.0)},
                                    rel=1e-12)
    w.expr = "x * y * y"
    assert w.grads == {"x": 1.0, "y": 1.0}
    with pytest.raises(viz.ExpressionError, match="call of '__import__' is not allowed"):
        w.expr = "__import__('os')"
    assert w.error.startswith("call of '__import__'")
    with pytest.raises(TypeError, match="an expression, a function or a Preset"):
        viz.explore(3.0)


def test_widget_answers_the_pages_requests_over_its_comm() -> None:
    import viz

    w = viz.explore("a*a + a*b", a=1.5, b=-2.0)
    sent: list[Any] = []
    w.send = sent.append  # what would go to the page
    w._on_message(w, {"kind": "request", "id": 7, "route": "values",
                      "body": {"expr": "a*a + a*b", "values": {"a": 2.0, "b": 1.0}}}, [])
    (reply,) = sent
    assert reply["id"] == 7 and reply["status"] == 200
    assert w.values == {"a": 2.0, "b": 1.0} and w.grads == {"a": 5.0, "b": 2.0}
    w._on_message(w, {"kind": "request", "id": 8, "route": "values",
                      "body": {"expr": "a**10000"}}, [])
    assert sent[-1]["status"] == 400 and "exponent 10000" in sent[-1]["reply"]["error"]
    assert w.grads == {"a": 5.0, "b": 2.0}  # a refused request changes nothing


# --- a notebook, executed ---------------------------------------------------------------------

NOTEBOOK_CELLS = [
    "import json, viz\n"
    "w = viz.explore('tanh(x1*w1 + x2*w2 + b)', x1=2.0, x2=0.0, w1=-3.0, w2=1.0,"
    " b=6.8813735870195432)\nw",
    "print(json.dumps({'grads': w.grads, 'value': w.value}))",
    "w.values = {**w.values, 'w1': 0.5}\nprint(json.dumps({'grads': w.grads}))",
]


def write_notebook(path: Path, cells: list[str] = NOTEBOOK_CELLS) -> Path:
    import nbformat

    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                   "language": "python"}
    nbformat.write(book, path)
    return path


def printed(cell: Any) -> dict[str, Any]:
    (stream,) = [out for out in cell.outputs if out.output_type == "stream"]
    result: dict[str, Any] = json.loads(stream.text)
    return result


@pytest.mark.slow
def test_a_notebook_creating_an_explorer_runs_under_nbclient(tmp_path: Path) -> None:
    import nbclient
    import nbformat

    path = write_notebook(tmp_path / "explorer.ipynb")
    book = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(book, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    shown, first, second = book.cells
    (display,) = [out for out in shown.outputs if out.output_type == "execute_result"]
    assert "application/vnd.jupyter.widget-view+json" in display.data
    assert close(printed(first)["grads"], neuron_grads(NEURON_POINT))
    assert close(printed(second)["grads"], neuron_grads({**NEURON_POINT, "w1": 0.5}))


# --- JupyterLab in a real browser --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def jupyter_lab(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A JupyterLab server on 127.0.0.1 with its own config, data and runtime folders."""
    port, token = free_port(), "glassgrad-test"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    log = (tmp_path / "lab.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}",
         "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "lab.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        write_notebook(tmp_path / "explorer.ipynb", NOTEBOOK_CELLS[:1])  # the widget alone
        yield f"http://127.0.0.1:{port}/lab/tree/explorer.ipynb?token={token}", tmp_path
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.mark.slow
@pytest.mark.browser
def test_the_widget_in_jupyterlab_round_trips_a_value_to_the_kernel(
        jupyter_lab: tuple[str, Path], browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, _ = jupyter_lab
    browser.get(url)
    wait = WebDriverWait(browser, 90, poll_frequency=0.2)
    wait.until(lambda d: d.execute_script(
        "return !!(window.jupyterapp && document.querySelector('.jp-Notebook'))"))

    def accept_kernel_dialog(driver: Any) -> bool:
        for button in driver.find_elements(By.CSS_SELECTOR, ".jp-Dialog .jp-mod-accept"):
            button.click()
        return bool(driver.execute_script(
            "const w = jupyterapp.shell.currentWidget;"
            "return !!(w && w.sessionContext && w.sessionContext.session"
            " && w.sessionContext.session.kernel);"))

    wait.until(accept_kernel_dialog)
    browser.execute_script("jupyterapp.commands.execute('notebook:run-all-cells')")
    widget = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".gg-explorer[data-ready]"))
    wait.until(lambda d: widget.find_elements(By.CSS_SELECTOR, "g.node[data-grad]"))
    row = widget.find_element(By.CSS_SELECTOR, '.gg-ex-variable[data-variable="w1"]')
    assert float(row.find_element(By.CSS_SELECTOR, ".gg-ex-grad").get_attribute("data-grad")) == \
        pytest.approx(neuron_grads(NEURON_POINT)["w1"], rel=1e-12)
    # The page changes x1; the kernel recomputes; the page shows the new gradient of w1.
    box = row.find_element(By.CSS_SELECTOR, ".gg-ex-value")
    x1 = widget.find_element(By.CSS_SELECTOR, '.gg-ex-variable[data-variable="x1"] .gg-ex-value')
    browser.execute_script(
        "arguments[0].value = '1.25'; arguments[0].dispatchEvent(new Event('input'));", x1)
    want = neuron_grads({**NEURON_POINT, "x1": 1.25})
    wait.until(lambda d: math.isclose(float(row.find_element(
        By.CSS_SELECTOR, ".gg-ex-grad").get_attribute("data-grad")), want["w1"], rel_tol=1e-12))
    assert box.get_attribute("value") == "-3"
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert resources and all(name.startswith("http://127.0.0.1:") for name in resources)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from tests.chromium import chromium

    with chromium(tmp_path / "chromium-profile") as driver:
        yield driver
