"""viz.flipbook: the step-through page, checked as files and driven in headless chromium."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine import Value, backward_steps, topological_order
from tests import support
from viz import node_names
from viz.flipbook_writer import MAX_STEPS, build_flipbook, write_flipbook
from viz.layout import clean_svg, text_width
from viz.names import text_names
from viz.trace import format_update

SVG = "{http://www.w3.org/2000/svg}"
FOCUS = "#ea580c"  # viz.style.FOCUS: the current node and the edges its step writes


def neuron() -> tuple[Value, dict[str, Value]]:
    """The lecture's neuron o = tanh(x1 w1 + x2 w2 + b), at the lecture's point."""
    nodes = support.neuron()
    return nodes["o"], {name: nodes[name] for name in support.NEURON_POINT}


def fan_out() -> tuple[Value, dict[str, Value]]:
    """L = a*a + a*b: a is used three times (twice by one op), so its grad accumulates.

    dL/da = 2a + b, dL/db = a.
    """
    a, b = Value(1.5, label="a"), Value(-2.0, label="b")
    out = a * a + a * b
    out.label = "L"
    return out, {"a": a, "b": b}


def engine_grads(root: Value, leaves: dict[str, Value]) -> dict[str, float]:
    for node in topological_order(root):
        node.grad = 0.0
    root.backward()
    return {name: leaf.grad for name, leaf in leaves.items()}


# --- the page as files (needs dot, no browser) ------------------------------------------------


def grads_at(book: dict[str, Any], k: int) -> dict[str, str | None]:
    """What the page shows at frame k: each node's last grad text from its timeline."""
    shown: dict[str, str | None] = {}
    for node, timeline in book["grads"].items():
        shown[node] = None
        for start, text, _ in timeline:
            if start <= k:
                shown[node] = text
    return shown


def page_payload(page: str) -> dict[str, Any]:
    found = re.search(
        r'<script type="application/json" id="gg-flipbook-data">(.*?)</script>', page, re.S)
    assert found is not None
    payload: dict[str, Any] = json.loads(found.group(1).replace("<\\/", "</"))
    return payload


@pytest.mark.dot
def test_frames_show_grads_as_they_become_known() -> None:
    o, leaves = neuron()
    order = topological_order(o)
    ids = node_names(order)
    steps = list(backward_steps(o))
    flipbook = build_flipbook(o)
    assert flipbook.frames == len(steps) + 1 == 6
    unknown = [sum(1 for node in order if grads_at(flipbook.book, k).get(ids[node]) is None)
               for k in range(flipbook.frames)]
    # Frame 0: the forward graph, no grad known; then fewer unknowns each step; none at the end.
    assert unknown[0] == len(order)
    assert unknown == sorted(unknown, reverse=True)
    assert unknown[-1] == 0
    last = grads_at(flipbook.book, len(steps))
    assert last[ids[leaves["x1"]]] == "-1.5"  # do/dx1 = w1 (1 - o^2)
    assert last[ids[leaves["w2"]]] == "0"  # do/dw2 = x2 (1 - o^2) = 0


@pytest.mark.dot
def test_one_svg_holds_every_node_and_edge_a_step_marks() -> None:
    o, _ = neuron()
    order = topological_order(o)
    ids = node_names(order)
    flipbook = build_flipbook(o)
    svg = ET.fromstring(flipbook.graph["svg"])
    drawn = {g.get("id") for g in svg.iter(f"{SVG}g") if g.get("class") in ("node", "edge")}
    assert set(flipbook.graph["nodes"]) == {ids[node] for node in order}
    assert set(flipbook.graph["edges"]) == {f"{ids[n]}-in{k}" for n in order
                                             for k in range(len(n._prev))}
    for step, record in zip(backward_steps(o), flipbook.book["steps"], strict=True):
        assert record["node"] == ids[step.node]
        assert {record["node"], record["node"] + "op", *record["edges"]} <= drawn
        # The edges a step writes are those into its node's op, one per parent use.
        assert [flipbook.graph["edges"][e]["parent"] for e in record["edges"]] == [
            ids[u.parent] for u in step.updates]


@pytest.mark.dot
def test_page_data_matches_the_engine(tmp_path: Path) -> None:
    root, leaves = fan_out()
    path = write_flipbook(root, tmp_path / "steps.html", title="a*a + a*b")
    data = page_payload(path.read_text(encoding="utf-8"))
    book = data["book"]
    expected = engine_grads(root, leaves)
    assert expected == {"a": 2 * 1.5 - 2.0, "b": 1.5}
    # The gradient table's rows at the last frame hold the engine's grads, every digit.
    final = {row["name"]: book["grads"][row["node"]][-1][2] for row in book["leaves"]}
    assert {name: float(text) for name, text in final.items()} == expected
    # The quiz answers are the grads each step leaves, and the arithmetic is the trace's.
    names = text_names(topological_order(root))
    for leaf in leaves.values():
        leaf.grad = 0.0
    for record, step in zip(book["steps"], backward_steps(root), strict=True):
        last = {u.parent: u.after for u in step.updates}
        assert [(q["name"], float(q["answer"])) for q in record["quiz"]] == [
            (names[p], after) for p, after in last.items()
        ]
        for update in step.updates:
            line = format_update(names[update.parent], update, step.upstream, 4)
            tail = line[len(names[update.parent]):].replace("(", "").replace(")", "")
            assert tail in re.sub(r"<[^>]+>", "", record["answer"]).replace("(", "").replace(
                ")", "")
    # Step 2 is a*a and a is used once more (by a*b): the page says its grad is not final yet.
    assert "used 1 more time" in book["steps"][1]["answer"]
    assert "used" not in book["steps"][2]["answer"]


@pytest.mark.dot
def test_page_is_self_contained(tmp_path: Path) -> None:
    root, _ = neuron()
    page = write_flipbook(root, tmp_path / "steps.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    namespaces = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    urls = set(re.findall(r"https?://[^\s\"'<>)\\]+", page))
    assert urls <= namespaces, urls - namespaces
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\(", page)
    assert page.count("<script") == 2  # the JSON and one inline module
    assert not re.search(r'^import |from "\./', page, re.M)  # the modules are bundled
    assert page.count("<svg") == 1  # laid out once


@pytest.mark.dot
def test_graph_is_left_as_it_was(tmp_path: Path) -> None:
    root, _ = neuron()
    order = topological_order(root)
    for i, node in enumerate(order):
        node.grad = float(i)
    labels = [node.label for node in order]
    write_flipbook(root, tmp_path / "steps.html")
    assert [node.grad for node in order] == [float(i) for i in range(len(order))]
    assert [node.label for node in order] == labels


@pytest.mark.dot
def test_without_quiz_there_is_no_toggle(tmp_path: Path) -> None:
    root, _ = fan_out()
    page = write_flipbook(root, tmp_path / "steps.html", quiz=False).read_text(encoding="utf-8")
    assert page_payload(page)["quiz"] is False


@pytest.mark.dot
def test_python_m_viz_step_writes_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    from viz.__main__ import main

    out = tmp_path / "steps.html"
    assert main(["step", "tanh(a*b + c)", "a=2", "b=-3", "c=10", "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert len(page_payload(out.read_text(encoding="utf-8"))["book"]["steps"]) == 3


@pytest.mark.dot
def test_nodes_are_laid_out_with_their_widest_text() -> None:
    # "grad ?" is narrower than "grad -1.5": the one layout sizes each node for the widest
    # grad it will show, so the page writes every later text into room already made.
    root, _ = neuron()
    flipbook = build_flipbook(root)
    svg = flipbook.graph["svg"]
    for node, timeline in flipbook.book["grads"].items():
        widest = max((text for _, text, _ in timeline), key=text_width)
        if text_width(widest) > text_width("?"):
            assert f">grad {widest.replace('-', '&#45;')}<" in svg, node


@pytest.mark.dot
def test_a_leaf_has_one_frame_and_no_steps(tmp_path: Path) -> None:
    leaf = Value(2.0, label="a")
    flipbook = build_flipbook(leaf)
    assert (flipbook.frames, flipbook.book["steps"], flipbook.quiz) == (1, [], False)
    assert "is a leaf: backward has no steps" in str(flipbook.book["intro"])
    page = write_flipbook(leaf, tmp_path / "leaf.html").read_text(encoding="utf-8")
    assert page_payload(page)["book"]["grads"] == {flipbook.graph["root"]: [[0, "1", "1.0"]]}


def test_too_many_steps_is_refused() -> None:
    x = Value(0.5, label="x")
    for _ in range(MAX_STEPS + 1):
        x = x.tanh()
    with pytest.raises(ValueError, match=f"{MAX_STEPS + 1} backward steps, more than the "
                                         f"{MAX_STEPS} a flipbook holds"):
        build_flipbook(x)


def test_clean_svg_drops_the_prolog() -> None:
    raw = ('<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"\n'
           ' "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<!-- made by dot -->\n'
           '<svg width="1pt"><g/></svg>\n')
    assert clean_svg(raw) == '<svg width="1pt"><g/></svg>'


# --- the page in a real browser ------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless chromium for the module, driven by the system chromedriver (no downloads)."""
    from tests.chromium import chromium

    with chromium(tmp_path_factory.mktemp("chromium-profile"), width=1280, height=1000) as driver:
        yield driver


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, float]]]:
    folder = tmp_path_factory.mktemp("flipbooks")
    made = {}
    for name, build in [("neuron", neuron), ("fan_out", fan_out)]:
        root, leaves = build()
        path = write_flipbook(root, folder / f"{name}.html")
        made[name] = (path, engine_grads(root, leaves))
    return made


def open_page(driver: Any, path: Path) -> None:
    driver.get(path.resolve().as_uri())
    assert driver.find_element("css selector", ".gg-counter").text.startswith("step 0 / ")


def counter(driver: Any) -> str:
    return str(driver.find_element("css selector", ".gg-counter").text)


def outcome(driver: Any) -> str:
    """The quiz result's verdict class: right, wrong, or the bare class when neither."""
    return str(driver.find_element("css selector", ".gg-quiz-result").get_attribute("class")
               ).split()[-1]


def shown_grad(driver: Any, label: str) -> tuple[str, str]:
    cell = driver.find_element("css selector", f'.gg-grads tr[data-label="{label}"] td.grad')
    return cell.text, cell.get_attribute("data-grad")


@pytest.mark.dot
@pytest.mark.browser
def test_next_and_arrow_keys_step_to_the_engine_grads(browser: Any, pages: Any) -> None:
    from selenium.webdriver.common.keys import Keys

    path, grads = pages["neuron"]
    open_page(browser, path)
    assert shown_grad(browser, "x1") == ("?", "")
    browser.find_element("css selector", ".gg-next").click()
    assert counter(browser) == "step 1 / 5"
    body = browser.find_element("tag name", "body")
    body.send_keys(Keys.ARROW_RIGHT)
    assert counter(browser) == "step 2 / 5"
    while browser.find_element("css selector", ".gg-next").is_enabled():
        browser.find_element("css selector", ".gg-next").click()
    assert counter(browser) == "step 5 / 5"
    for label, grad in grads.items():
        text, full = shown_grad(browser, label)
        assert float(full) == grad  # every digit
        assert float(text) == pytest.approx(grad, rel=1e-3, abs=1e-12)  # shown to 4 digits
    assert "Backward is done" in browser.find_element("css selector", ".gg-arithmetic").text
    body.send_keys(Keys.ARROW_LEFT)
    assert counter(browser) == "step 4 / 5"
    browser.find_element("css selector", ".gg-prev").click()
    assert counter(browser) == "step 3 / 5"
    # The slider jumps anywhere; frame 0 again shows no grads.
    browser.execute_script(
        "const s = document.querySelector('.gg-slider'); s.value = '0';"
        "s.dispatchEvent(new Event('input'));"
    )
    assert counter(browser) == "step 0 / 5"
    assert shown_grad(browser, "w1") == ("?", "")
    assert not browser.find_element("css selector", ".gg-prev").is_enabled()


@pytest.mark.dot
@pytest.mark.browser
def test_arithmetic_of_the_current_step(browser: Any, pages: Any) -> None:
    path, _ = pages["fan_out"]
    open_page(browser, path)
    for _ in range(3):
        browser.find_element("css selector", ".gg-next").click()
    text = browser.find_element("css selector", ".gg-arithmetic").text
    # Steps: L, then a*a, then a*b; at a*b, a gets b = -2.0 on top of the 3.0 from a*a.
    assert "Step 3 of 3" in text
    assert "a.grad += -2.0 x 1.0 = -2.0 (now 1.0)" in text
    assert "b.grad += 1.5 x 1.0 = 1.5" in text
    assert shown_grad(browser, "a")[1] == repr(2 * 1.5 - 2.0)
    browser.find_element("css selector", ".gg-prev").click()
    text = browser.find_element("css selector", ".gg-arithmetic").text
    assert "a.grad += 1.5 x 1.0 = 1.5\n" in text  # a*a: the first use starts from zero
    assert "a.grad += 1.5 x 1.0 = 1.5 (now 3.0)" in text
    assert "used 1 more time" in text


@pytest.mark.dot
@pytest.mark.browser
def test_quiz_rejects_a_wrong_answer_and_accepts_the_right_one(browser: Any, pages: Any) -> None:
    path, _ = pages["fan_out"]
    open_page(browser, path)
    browser.find_element("css selector", ".gg-next").click()  # step 1 seen without the quiz
    browser.find_element("css selector", ".gg-quiz-toggle").click()
    browser.find_element("css selector", ".gg-next").click()
    assert counter(browser) == "step 2 / 3 (your turn)"
    assert not browser.find_element("css selector", ".gg-next").is_enabled()
    # Step 2 is a*a with upstream 1: a gets a twice, 0 + 1.5 + 1.5 = 3.
    (only,) = browser.find_elements("css selector", ".gg-quiz-inputs input.gg-quiz-input")
    assert only.get_attribute("data-parent") == "a"
    assert shown_grad(browser, "a") == ("?", "")  # the answer is not on screen yet
    browser.find_element("css selector", ".gg-quiz-check").click()
    assert "Type a number" in browser.find_element("css selector", ".gg-quiz-result").text
    only.send_keys("1.5")  # one use forgotten
    browser.find_element("css selector", ".gg-quiz-check").click()
    result = browser.find_element("css selector", ".gg-quiz-result")
    assert result.get_attribute("class").split()[-1] == "wrong" and "a.grad" in result.text
    assert counter(browser) == "step 2 / 3 (your turn)"
    only.clear()
    only.send_keys("3\n")  # Enter checks
    assert outcome(browser) == "right"
    assert counter(browser) == "step 2 / 3"
    assert shown_grad(browser, "a")[1] == "3.0"
    # Step 3 is a*b: a.grad = 3 + b = 1, b.grad = a = 1.5.
    browser.find_element("css selector", ".gg-next").click()
    assert counter(browser) == "step 3 / 3 (your turn)"
    inputs = browser.find_elements("css selector", ".gg-quiz-inputs input.gg-quiz-input")
    assert [i.get_attribute("data-parent") for i in inputs] == ["a", "b"]
    inputs[0].send_keys("-2")  # the accumulation forgotten
    inputs[1].send_keys("1.5")
    browser.find_element("css selector", ".gg-quiz-check").click()
    result = browser.find_element("css selector", ".gg-quiz-result")
    assert result.get_attribute("class").split()[-1] == "wrong"
    assert "a.grad" in result.text and "b.grad" not in result.text
    inputs[0].clear()
    inputs[0].send_keys("1.004")  # within 0.5%
    browser.find_element("css selector", ".gg-quiz-check").click()
    assert outcome(browser) == "right"
    assert counter(browser) == "step 3 / 3"
    # Going back shows answered steps; "Show answer" reveals a step without typing.
    open_page(browser, path)
    browser.find_element("css selector", ".gg-quiz-toggle").click()
    browser.find_element("css selector", ".gg-next").click()
    assert counter(browser) == "step 1 / 3 (your turn)"
    browser.find_element("css selector", ".gg-quiz-reveal").click()
    assert counter(browser) == "step 1 / 3"
    assert "Answer shown" in browser.find_element("css selector", ".gg-quiz-result").text


@pytest.mark.dot
@pytest.mark.browser
def test_a_frame_screenshot_is_not_blank_and_nothing_is_fetched(browser: Any, pages: Any) -> None:
    from matplotlib import image

    path, _ = pages["neuron"]
    open_page(browser, path)
    browser.find_element("css selector", ".gg-next").click()
    png = browser.find_element("css selector", ".gg-frame").screenshot_as_png
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = image.imread(io.BytesIO(png), format="png")
    height, width = pixels.shape[:2]
    assert width > 400 and height > 150
    colours = {tuple(int(c * 255 + 0.5) for c in px[:3]) for px in pixels.reshape(-1, 4)[::7]}
    assert len(colours) > 20
    # The focus orange of the current node is on screen.
    assert any(abs(r - 0xEA) < 20 and abs(g - 0x58) < 30 and b < 60 for r, g, b in colours)
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def mlp_loss() -> tuple[Value, dict[str, Value]]:
    """A 2-4-4-1 tanh MLP's squared error on one sample (66 steps), leaves keyed by label."""
    from nn import MLP

    model = MLP(2, [4, 4, 1], "tanh", seed=0)
    x = [Value(0.5, label="x1"), Value(-1.5, label="x2")]
    loss = (model(x) - 1.0) ** 2  # type: ignore[operator]
    leaves = {p.label: p for p in [*x, *model.parameters()]}
    return loss, leaves


@pytest.mark.dot
@pytest.mark.browser
def test_the_big_flipbook_steps_to_the_engine_grads_and_follows_its_node(
    browser: Any, tmp_path: Path
) -> None:
    root, leaves = mlp_loss()
    path = write_flipbook(root, tmp_path / "mlp.html")
    grads = engine_grads(root, leaves)
    browser.get(path.resolve().as_uri())
    # Too wide to read at page width: the page opens at actual size.
    assert browser.find_element("css selector", ".gg-zoom").is_selected()
    total = len(page_payload(path.read_text(encoding="utf-8"))["book"]["steps"])
    assert total == 66
    positions = None
    tips_marked = 0
    for k in range(1, total + 1):
        browser.find_element("css selector", ".gg-next").click()
        # The current node is inside the scrolled frame and inside the window.
        inside = browser.execute_script("""
            const g = document.querySelector('.gg-frame g.node.gg-focus');
            const box = g.getBoundingClientRect();
            const view = document.querySelector('.gg-frame').getBoundingClientRect();
            return [box.left >= view.left, box.right <= view.right, box.top >= view.top,
                    box.bottom <= view.bottom, box.bottom <= window.innerHeight];""")
        assert all(inside), (k, inside)
        # An edge into a layer is drawn in two parts (viz.columns): both are orange, or neither.
        halves = browser.execute_script("""
            const on = (id) => { const g = document.getElementById(id);
                                 return g ? g.classList.contains('gg-focus-edge') : null; };
            return Array.from(document.querySelectorAll('.gg-frame g.edge[id$="-tip"]'))
                .map(g => [on(g.id.slice(0, -4)), on(g.id)]);""")
        assert all(outside == inside for outside, inside in halves), k
        tips_marked += sum(1 for _, inside in halves if inside)
        if k in (1, total):  # no node moves: the one SVG is only written into
            now = browser.execute_script(
                "return Array.from(document.querySelectorAll('.gg-frame g.node'))"
                ".map(g => { const b = g.getBBox(); return [g.id, b.x, b.y]; });")
            positions = positions or now
            assert now == positions
    assert counter(browser) == f"step {total} / {total}"
    assert tips_marked == 2 * 4 + 4 * 4 + 4 * 1  # each edge into a layer, at its product's step
    for label, grad in grads.items():
        assert float(shown_grad(browser, label)[1]) == grad  # every digit
    # Leaves in reading order: the inputs, then the parameters by layer and neuron.
    rows = [r.get_attribute("data-label")
            for r in browser.find_elements("css selector", ".gg-grads tr.gg-leaf")]
    assert rows[:2] == ["x1", "x2"] and rows[2:7] == ["b1.1", "w1.1.0", "w1.1.1", "b1.2",
                                                       "w1.2.0"]
    assert rows[-1] == "const -1"
    # Steps speak of nodes by scope and op, and the drawing shows the same name.
    text = browser.find_element("css selector", ".gg-arithmetic").text
    assert "Neuron 1." in text and "#" not in text
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
