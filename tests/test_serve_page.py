"""The explorer's page (python -m viz serve) driven in headless chromium against the engine."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from engine import topological_order
from tests.support import running_explorer
from viz import parse_expression
from viz.serve import ExplorerServer

pytestmark = [pytest.mark.dot, pytest.mark.browser]

WAIT = 30  # seconds; the machine is shared, a page usually answers in well under one


@pytest.fixture(scope="module")
def server() -> Iterator[ExplorerServer]:
    with running_explorer() as running:
        yield running


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.chromium import chromium

    with chromium(tmp_path_factory.mktemp("chromium-profile")) as driver:
        yield driver


def wait(driver: Any, condition: Any) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT, poll_frequency=0.05).until(condition)


def open_page(driver: Any, server: ExplorerServer, query: str = "") -> None:
    driver.get(server.url + query)
    wait(driver, lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))


def part(driver: Any, name: str) -> Any:
    return driver.find_element("css selector", f".gg-ex-{name}")


def engine_grads(expression: str, values: dict[str, float]) -> dict[str, float]:
    """Every node's grad by its drawing name (v<i>), from the engine itself."""
    root, _ = parse_expression(expression, values)
    root.backward()
    return {f"v{i}": node.grad for i, node in enumerate(topological_order(root))}


def shown_grads(driver: Any) -> dict[str, float]:
    """The full-precision grad the page holds on every value node of the drawing."""
    found = driver.execute_script(
        "return Array.from(document.querySelectorAll('.gg-graph g.node[data-grad]'))"
        ".map(g => [g.id, g.dataset.grad])")
    return {name: float(grad) for name, grad in found}


def node_positions(driver: Any) -> dict[str, list[float]]:
    found: dict[str, list[float]] = driver.execute_script(
        "const out = {}; for (const g of document.querySelectorAll('.gg-graph g.node')) {"
        " const b = g.getBBox(); out[g.id] = [b.x, b.y, b.width, b.height]; } return out;")
    return found


def set_input(driver: Any, element: Any, text: str) -> None:
    driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));",
        element, text)


def variable(driver: Any, name: str, kind: str) -> Any:
    return driver.find_element("css selector",
                               f'.gg-ex-variable[data-variable="{name}"] .gg-ex-{kind}')


def test_typing_an_expression_draws_its_graph(browser: Any, server: ExplorerServer) -> None:
    from selenium.webdriver.common.keys import Keys

    open_page(browser, server)
    assert part(browser, "title").text.startswith("The lecture neuron")
    box = part(browser, "expr")
    box.clear()
    box.send_keys("tanh(a*b + c)", Keys.ENTER)
    wait(browser, lambda d: part(d, "title").text == "tanh(a*b + c)")
    names = [row.get_attribute("data-variable")
             for row in browser.find_elements("css selector", ".gg-ex-variable")]
    assert names == ["a", "b", "c"]
    # New variables start at 1; b keeps the value it had in the neuron.
    assert variable(browser, "b", "value").get_attribute("value") == "6.881373587019543"
    want = engine_grads("tanh(a*b + c)", {"a": 1.0, "b": 6.881373587019543, "c": 1.0})
    assert shown_grads(browser) == pytest.approx(want, rel=1e-12, abs=1e-300)
    assert "expr=tanh%28a*b+%2B+c%29" in browser.current_url or "expr=tanh" in \
        browser.current_url


def test_moving_a_slider_updates_every_grad_and_moves_no_node(
        browser: Any, server: ExplorerServer) -> None:
    expression = "tanh(a*b + c) * a"
    open_page(browser, server, f"?expr={quote(expression)}&a=2&b=-3&c=6.5")
    before = node_positions(browser)
    svg = browser.find_element("css selector", ".gg-graph svg")
    assert shown_grads(browser) == pytest.approx(
        engine_grads(expression, {"a": 2.0, "b": -3.0, "c": 6.5}), rel=1e-12, abs=1e-300)
    slider = variable(browser, "b", "slider")
    for target in ["-1", "0.5", "3.25"]:
        set_input(browser, slider, target)
        # The slider moves in steps: the number box shows the value it settled on.
        b = float(variable(browser, "b", "value").get_attribute("value"))
        assert b == pytest.approx(float(target), abs=0.02)
        want = engine_grads(expression, {"a": 2.0, "b": b, "c": 6.5})
        wait(browser, lambda d, want=want: all(
            math.isclose(got, want[k], rel_tol=1e-12, abs_tol=1e-300)
            for k, got in shown_grads(d).items()) and len(shown_grads(d)) == len(want))
    assert node_positions(browser) == before
    assert browser.find_element("css selector", ".gg-graph svg") == svg  # never redrawn
    shown_b = float(variable(browser, "b", "grad").get_attribute("data-grad"))
    root, leaves = parse_expression(expression, {"a": 2.0, "b": b, "c": 6.5})
    root.backward()
    assert math.isclose(shown_b, leaves["b"].grad, rel_tol=1e-12)


def test_stepping_walks_backward_to_the_end(browser: Any, server: ExplorerServer) -> None:
    open_page(browser, server, "?preset=neuron")
    counter = browser.find_element("css selector", ".gg-counter")
    assert counter.text == "step 5 / 5"  # live numbers: every grad final
    browser.execute_script("document.querySelector('.gg-slider').value = '0';"
                           "document.querySelector('.gg-slider').dispatchEvent("
                           "new Event('input'))")
    assert counter.text == "step 0 / 5"
    grads = browser.find_elements("css selector", "tr.gg-leaf td.grad")
    assert {cell.text for cell in grads} == {"?"}
    nxt = browser.find_element("css selector", ".gg-next")
    while nxt.is_enabled():
        nxt.click()
    assert counter.text == "step 5 / 5"
    assert "Backward is done" in browser.find_element("css selector", ".gg-arithmetic").text
    rows = browser.find_elements("css selector", "tr.gg-leaf")
    final = {row.get_attribute("data-label"):
             float(row.find_element("css selector", "td.grad").get_attribute("data-grad"))
             for row in rows}
    assert final["x1"] == pytest.approx(-1.5, rel=1e-12)
    assert final["w1"] == pytest.approx(1.0, rel=1e-12)
    assert final["w2"] == 0.0


def test_hovering_an_edge_shows_its_rule_and_number(browser: Any, server: ExplorerServer) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    open_page(browser, server, "?preset=neuron")
    n_id = browser.execute_script(
        "for (const g of document.querySelectorAll('.gg-graph g.node'))"
        " if (Array.from(g.querySelectorAll('text')).some(t => t.textContent === 'n'))"
        " return g.id;")
    o_id = browser.execute_script(
        "for (const g of document.querySelectorAll('.gg-graph g.node'))"
        " if (Array.from(g.querySelectorAll('text')).some(t => t.textContent === 'o'))"
        " return g.id;")
    edge = browser.find_element("css selector", f"g.edge[id='{o_id}-in0'] path")
    ActionChains(browser).move_to_element(edge).perform()
    info = wait(browser, lambda d: part(d, "edge").get_attribute("data-edge") == f"{o_id}-in0"
                and part(d, "edge"))
    assert "d tanh(n)/dn = 0.5" in info.text and "1 - tanh(x)^2" in info.text
    assert n_id


def layered(x: Any, w: Any) -> Any:
    """One neuron in a layer, scoped as ``nn`` scopes it: drawn in columns (viz.columns)."""
    from engine import name_scope

    with name_scope("Layer 1"), name_scope("Neuron 1.1"):
        return (w * x).tanh()


def test_hovering_either_part_of_an_edge_into_a_layer_shows_its_rule(browser: Any) -> None:
    import threading

    from selenium.webdriver.common.action_chains import ActionChains

    from viz.explore_presets import Preset
    from viz.serve import make_server

    running = make_server(port=0, presets=[Preset("layered", "a layer", layered,
                                                  {"x": 0.5, "w": 2.0})])
    threading.Thread(target=running.serve_forever, daemon=True).start()
    try:
        open_page(browser, running, "?preset=layered")
        tips = browser.execute_script(
            "return Array.from(document.querySelectorAll('.gg-graph g.edge[id$=\"-tip\"]'))"
            ".map(g => g.id)")
        assert sorted(tips) == ["v2-in0-tip", "v2-in1-tip"]  # w and x come from outside
        for tip, rule in zip(sorted(tips), ["d (w * x)/dw = 0.5", "d (w * x)/dx = 2"],
                             strict=True):
            edge = tip[:-4]
            for part_id in (edge, tip):
                browser.execute_script("document.querySelector('.gg-ex-edge').textContent = ''")
                ActionChains(browser).move_to_element(browser.find_element(
                    "css selector", f"g.edge[id='{part_id}'] path")).perform()
                info = part(browser, "edge")
                wait(browser, lambda d, edge=edge, rule=rule, info=info: info.get_attribute(
                    "data-edge") == edge and info.text.startswith(rule))
                assert "rule: d(a b)/da = b" in info.text
    finally:
        running.shutdown()
        running.server_close()


def test_clicking_a_node_writes_its_gradient_as_a_path_sum(
        browser: Any, server: ExplorerServer) -> None:
    open_page(browser, server, "?expr=a*a%20%2B%20a*b&a=1.5&b=-2")
    leaf = browser.execute_script(
        "for (const g of document.querySelectorAll('.gg-graph g.node'))"
        " if (Array.from(g.querySelectorAll('text')).some(t => t.textContent === 'a'))"
        " return g.id;")
    browser.execute_script(
        "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))",
        browser.find_element("css selector", f"g.node[id='{leaf}'] text"))
    paths = wait(browser, lambda d: part(d, "paths").get_attribute("data-node") == leaf
                 and part(d, "paths"))
    assert "sum over 3 paths" in paths.text
    assert "sum = 1" in paths.text  # 2a + b
    assert float(paths.get_attribute("data-total")) == float(paths.get_attribute("data-grad"))


def test_a_link_opens_its_expression_and_values(browser: Any, server: ExplorerServer) -> None:
    open_page(browser, server, "?expr=x*y%2Bx&x=3&y=-2")
    assert part(browser, "expr").get_attribute("value") == "x*y+x"
    assert variable(browser, "x", "value").get_attribute("value") == "3"
    assert variable(browser, "y", "value").get_attribute("value") == "-2"
    assert float(part(browser, "output").get_attribute("data-data")) == -3.0
    assert part(browser, "output").text == "f = -3"  # an unlabelled root is f, as in the flipbook
    assert float(variable(browser, "x", "grad").get_attribute("data-grad")) == -1.0
    share = part(browser, "share").get_attribute("href")
    assert share.endswith("?expr=x*y%2Bx&x=3&y=-2")


def test_a_hostile_expression_shows_an_error_and_the_page_keeps_working(
        browser: Any, server: ExplorerServer) -> None:
    from selenium.webdriver.common.keys import Keys

    open_page(browser, server, "?expr=a**1000")  # a bad link: the error, and a working page
    error = part(browser, "error")
    assert error.is_displayed() and "exponent 1000" in error.text
    assert part(browser, "title").text.startswith("The lecture neuron")
    box = part(browser, "expr")
    for hostile, message in [("__import__('os').system('x')", "is not allowed"),
                             ("a" + "+a" * 500, "more than 400 terms"),
                             ("<script>alert(1)</script>", "not a valid expression")]:
        box.clear()
        box.send_keys(hostile, Keys.ENTER)
        wait(browser, lambda d, m=message: m in part(d, "error").text)
    assert browser.find_elements("css selector", "script[src]")[0].get_attribute("src") \
        .endswith("/app.js")  # nothing was injected
    box.clear()
    box.send_keys("exp(k) * 2", Keys.ENTER)
    wait(browser, lambda d: part(d, "title").text == "exp(k) * 2")
    assert not part(browser, "error").is_displayed()
    assert float(variable(browser, "k", "grad").get_attribute("data-grad")) == \
        pytest.approx(2 * math.e, rel=1e-12)


def test_presets_from_the_menu(browser: Any, server: ExplorerServer) -> None:
    from selenium.webdriver.support.ui import Select

    open_page(browser, server)
    Select(part(browser, "preset")).select_by_value("abc")
    wait(browser, lambda d: part(d, "title").text.startswith("A/B/C"))
    assert len(browser.find_elements("css selector", ".gg-ex-variable")) == 2 + 3 * 4
    assert "preset=abc" in browser.current_url


@pytest.mark.torch
def test_compare_with_pytorch(browser: Any, server: ExplorerServer) -> None:
    open_page(browser, server, "?preset=neuron")
    part(browser, "compare").click()
    table = wait(browser, lambda d: d.find_elements("css selector", ".gg-ex-torch table"))[0]
    assert table.find_element("tag name", "caption").text.startswith("torch agrees")
    for row in table.find_elements("css selector", "tbody tr"):
        _, engine, torch = (cell.text for cell in row.find_elements("tag name", "td"))
        assert float(engine) == pytest.approx(float(torch), rel=1e-12, abs=1e-15)


def test_the_page_fetches_nothing_from_the_network(browser: Any, server: ExplorerServer,
                                                   tmp_path: Path) -> None:
    open_page(browser, server, "?preset=neuron")
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert resources and all(name.startswith(server.url) for name in resources)
    png = browser.find_element("css selector", ".gg-graph").screenshot_as_png
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # Refused requests (the hostile test's 400s) are logged by chromium; nothing else may be.
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"
              and "status of 400" not in e["message"]]
    assert errors == []
