"""viz.serve: the explorer's HTTP API against the engine, its limits, hostile bodies and load."""

from __future__ import annotations

import http.client
import json
import math
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine import topological_order
from tests.support import NEURON_POINT, running_explorer
from viz import parse_expression
from viz.explore_model import build
from viz.explore_presets import ABC
from viz.serve import MAX_BODY, ExplorerServer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server() -> Iterator[ExplorerServer]:
    with running_explorer() as running:
        yield running


class Client:
    """One keep-alive connection to the server, reopened after the server closes it."""

    def __init__(self, server: ExplorerServer) -> None:
        self.port = server.server_address[1]
        # The first torch request imports torch: seconds on a busy machine.
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def send(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
        sent = {"Host": f"127.0.0.1:{self.port}"}
        if body is not None:
            sent.update({"Content-Type": "application/json", "Content-Length": str(len(body))})
        sent.update(headers or {})
        try:
            self.connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in sent.items():
                self.connection.putheader(name, value)
            self.connection.endheaders(body)
            response = self.connection.getresponse()
            data = response.read()
        except (ConnectionError, http.client.HTTPException):
            self.connection.close()
            raise
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        kind = response.getheader("Content-Type", "")
        return response.status, json.loads(data) if kind == "application/json" else data

    def post(self, route: str, request: object) -> tuple[int, Any]:
        return self.send("POST", f"/api/{route}", json.dumps(request).encode())

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def client(server: ExplorerServer) -> Iterator[Client]:
    made = Client(server)
    yield made
    made.close()


def engine_numbers(expression: str, values: dict[str, float]) -> dict[str, tuple[float, float]]:
    root, _ = parse_expression(expression, values)
    root.backward()
    order = topological_order(root)
    return {f"v{i}": (node.data, node.grad) for i, node in enumerate(order)}


def as_float(x: float | str) -> float:
    return float(x)  # "NaN", "Infinity", "-Infinity" read as Python reads them


# --- the API against the engine --------------------------------------------------------------


@pytest.mark.dot
def test_graph_draws_svg_and_every_number_is_the_engines(client: Client) -> None:
    expression, values = "tanh(a*b + c) * a", {"a": 2.0, "b": -3.0, "c": 6.5}
    status, reply = client.post("graph", {"expr": expression, "values": values})
    assert status == 200, reply
    svg = ET.fromstring(reply["graph"]["svg"])
    ids = {g.get("id") for g in svg.iter("{http://www.w3.org/2000/svg}g")}
    want = engine_numbers(expression, values)
    assert set(reply["graph"]["nodes"]) == set(want) <= ids
    shown = reply["state"]["nodes"]
    assert {k: (v["data"], v["grad"]) for k, v in shown.items()} == want
    assert [v["name"] for v in reply["state"]["variables"]] == ["a", "b", "c"]
    # One edge per use, with the SVG's id, each carrying its local derivative.
    root = parse_expression(expression, values)[0]
    assert len(reply["graph"]["edges"]) == sum(len(n._prev) for n in topological_order(root))
    assert set(reply["state"]["edges"]) == set(reply["graph"]["edges"]) <= ids
    # The stepper's book: one step per node with parents, the last grads the engine's.
    book = reply["state"]["book"]
    assert len(book["steps"]) == sum(1 for n in topological_order(root) if n._prev)
    assert {node: float(timeline[-1][2]) for node, timeline in book["grads"].items()} == {
        node: grad for node, (_, grad) in want.items() if node in book["grads"]}
    # A second graph of the same structure reuses the layout: the same SVG, no Graphviz.
    again = client.post("graph", {"expr": expression, "values": {"a": -1.0}})[1]
    assert again["graph"]["svg"] == reply["graph"]["svg"]


def test_values_keep_the_structure_and_follow_the_engine(client: Client) -> None:
    expression = "tanh(a*b + c) * a"
    first = client.post("values", {"expr": expression, "values": {"a": 2, "b": -3, "c": 6.5}})
    second = client.post("values", {"expr": expression, "values": {"a": 0.5, "b": 1, "c": -2}})
    assert first[0] == second[0] == 200
    assert first[1]["structure"] == second[1]["structure"]
    want = engine_numbers(expression, {"a": 0.5, "b": 1.0, "c": -2.0})
    assert {k: (v["data"], v["grad"]) for k, v in second[1]["nodes"].items()} == want
    other = client.post("values", {"expr": "tanh(a*b) * a + c", "values": {}})
    assert other[1]["structure"] != first[1]["structure"]


def test_missing_variables_start_at_one_and_extra_values_are_ignored(client: Client) -> None:
    status, reply = client.post("values", {"expr": "x*y", "values": {"x": 3, "unused": 5}})
    assert status == 200
    assert {v["name"]: (v["value"], v["grad"]) for v in reply["variables"]} == {
        "x": (3.0, 1.0), "y": (1.0, 3.0)}


def test_non_finite_numbers_travel_as_strings(client: Client) -> None:
    status, reply = client.post("values", {"expr": "log(a)", "values": {"a": -1}})
    assert status == 200
    assert reply["root"]["data"] == "NaN"
    status, reply = client.post("values", {"expr": "log(a)", "values": {"a": 0}})
    assert reply["root"]["data"] == "-Infinity"
    assert math.isinf(as_float(reply["variables"][0]["grad"]))


def test_paths_sum_to_the_gradient(client: Client) -> None:
    request = {"expr": "a*a + a*b", "values": {"a": 1.5, "b": -2}}
    graph = client.post("values", request)[1]
    leaf = next(node for node, v in graph["nodes"].items() if v["data"] == 1.5)
    status, reply = client.post("paths", {**request, "node": leaf})
    assert status == 200
    assert reply["count"] == 3  # a*a twice, a*b once
    assert reply["total"] == reply["grad"] == 2 * 1.5 - 2
    assert math.fsum(path["value"] for path in reply["paths"]) == reply["total"]
    assert reply["lines"][0].startswith("∂f/∂a = sum over 3 paths")  # the root is f
    status, reply = client.post("paths", {**request, "node": "v99"})
    assert status == 400 and "no node 'v99'" in reply["error"]


@pytest.mark.torch
def test_torch_gradients_beside_the_engines(client: Client) -> None:
    status, reply = client.post("torch", {"preset": "neuron", "values": NEURON_POINT})
    assert status == 200 and reply["available"] and reply["ok"], reply
    for row in reply["variables"]:
        assert row["engine"] == pytest.approx(row["torch"], rel=1e-12, abs=1e-15)
    status, reply = client.post("torch", {"preset": "abc"})
    assert reply["ok"] and reply["max_rel_error"] < 1e-12


def test_presets_are_listed_and_served(client: Client) -> None:
    status, reply = client.send("GET", "/api/presets")
    assert status == 200
    assert [p["key"] for p in reply["presets"]] == ["neuron", "abc"]
    status, reply = client.post("values", {"preset": "neuron"})
    assert reply["root"]["data"] == pytest.approx(math.sqrt(0.5), rel=1e-12)
    grads = {v["name"]: v["grad"] for v in reply["variables"]}
    assert grads["x1"] == pytest.approx(-1.5, rel=1e-12) and grads["w2"] == 0.0
    status, reply = client.post("values", {"preset": "nope"})
    assert status == 400 and "unknown preset 'nope'" in reply["error"]


def test_abc_preset_is_the_graph_demos_abc_builds() -> None:
    from demos import abc

    expected = abc.sample_graph(2, 0)
    built = build(ABC.source(), dict(ABC.values))
    mine, theirs = built.order, topological_order(expected)
    assert [(n._op, n.label, n.scope, n.data) for n in mine] == [
        (n._op, n.label, n.scope, n.data) for n in theirs]
    expected.backward()
    assert [n.grad for n in mine] == [n.grad for n in theirs]


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(("expression", "message"), [
    ("a" + "+a" * 600, "more than 400 terms"),
    ("a" * 2001, "more than the 2000 the explorer draws"),
    ("-" * 70 + "a", "nested more than 64 deep"),
    ("a ** 1000", "the exponent 1000 is larger than the 100"),
    ("a ** -(1e9)", "the exponent -1e+09 is larger"),
    ("+".join(f"x{i}" for i in range(70)), "70 variables, more than the 64"),
    ("__import__('os')", "call of '__import__' is not allowed"),
    ("().__class__", "attribute access is not allowed"),
    ("a.b", "attribute access is not allowed"),
    ("lambda: 1", "lambda is not allowed"),
    ("'x' * 3", "string constant 'x' is not allowed"),
    ("(" * 300 + "a" + ")" * 300, "too many nested parentheses"),
    ("", "the expression is empty"),
    ("a +", "is not a valid expression"),
    ("tanh + 1", "tanh is a function"),
])
def test_expressions_past_the_limits_are_refused_with_a_message(
        client: Client, expression: str, message: str) -> None:
    status, reply = client.post("values", {"expr": expression, "values": {}})
    assert status == 400
    assert message in reply["error"]


@pytest.mark.parametrize(("values", "message"), [
    ({"a": "2"}, "value of 'a' must be a number"),
    ({"a": True}, "value of 'a' must be a number"),
    ({"a": 1e300}, "magnitude at most 1e+100"),
    ([1, 2], "values must be an object"),
])
def test_bad_values_are_refused(client: Client, values: object, message: str) -> None:
    status, reply = client.post("values", {"expr": "a * 2", "values": values})
    assert status == 400 and message in reply["error"]


def test_http_refusals(client: Client, server: ExplorerServer) -> None:
    big = b'{"expr": "' + b"a" * MAX_BODY + b'"}'
    status, reply = client.send("POST", "/api/values", big)
    assert status == 413 and f"more than the {MAX_BODY}" in reply["error"]
    status, reply = client.send("POST", "/api/values", b"{not json")
    assert status == 400 and "not valid JSON" in reply["error"]
    status, reply = client.send("POST", "/api/values", b'{"expr": "a", "values": {"a": NaN}}')
    assert status == 400 and "NaN is not a JSON number" in reply["error"]
    status, reply = client.send("POST", "/api/values", b"\xff\xfe")
    assert status == 400 and "not UTF-8" in reply["error"]
    status, reply = client.send("POST", "/api/values", b"[" * 30000 + b"]" * 30000)
    assert status == 400
    status, reply = client.send("POST", "/api/values", b"[]")
    assert status == 400 and "must be a JSON object" in reply["error"]
    status, reply = client.send("POST", "/api/values", b"{}",
                                {"Content-Type": "text/plain"})
    assert status == 415
    status, reply = client.send("POST", "/api/nothing", b"{}")
    assert status == 404 and "unknown request 'nothing'" in reply["error"]
    status, reply = client.send("PUT", "/api/values", b"{}")
    assert status == 405
    status, reply = client.send("GET", "/etc/passwd")
    assert status == 404
    status, reply = client.send("GET", "/static/../serve.py")
    assert status == 404
    status, reply = client.send("POST", "/api/values", b"{}", {"Host": "evil.example:80"})
    assert status == 403 and "is not this server" in reply["error"]
    status, reply = client.send("POST", "/api/values", b'{"preset": "neuron"}',
                                {"Origin": "http://evil.example"})
    assert status == 403
    status, reply = client.send("POST", "/api/values", b"{}", {"Content-Length": "-5"})
    assert status == 400


def test_page_and_files_are_served_with_a_strict_policy(client: Client) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", client.port, timeout=10)
    connection.request("GET", "/?expr=a*b")
    response = connection.getresponse()
    page = response.read().decode()
    assert response.status == 200
    assert "default-src 'none'" in response.getheader("Content-Security-Policy", "")
    assert '<script type="module" src="/app.js"></script>' in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    for name in ["/app.js", "/static/glassgrad.css", "/static/explorer.css"]:
        connection.request("GET", name)
        response = connection.getresponse()
        text = response.read().decode()
        assert response.status == 200 and len(text) > 500
        assert "https://" not in text and "http://" not in text.replace("http://www.w3.org", "")
    connection.request("GET", "/static/stepper.js")  # only the bundle and the stylesheets
    response = connection.getresponse()
    assert response.status == 404 and b"no page" in response.read()
    connection.close()


# --- hostile clients and load ----------------------------------------------------------------


def hostile_bodies(rng: random.Random, count: int) -> Iterator[bytes]:
    """Random bytes, random JSON, and requests with hostile expressions or values."""
    expressions = ["__import__('os').system('true')", "9**9**9**9", "a**b**c**d", "a/0",
                   "log(0-a)", "exp(exp(exp(a)))", "(" * 150 + "a" + ")" * 150,
                   "sqrt(-a)", "a" * 5000, "\x00", "𝕒*𝕓", "a*" * 300 + "a", "relu(a)**-1",
                   "tanh(a, b)", "exp(x=a)", "{a}", "[a]", "a if b else c", "not a", "a @ b",
                   "0**-1", "1e309*a", "a**1e400", "-" * 64 + "a"]
    numbers: list[object] = [0, -0.0, 1e-320, 1e308, -1e100, 2**70, "1", None, [], {}, True]
    for k in range(count):
        kind = k % 5
        if kind == 0:
            yield bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
        elif kind == 1:
            yield json.dumps(random_json(rng, 4)).encode()
        elif kind == 2:
            expression = rng.choice(expressions)
            values = {rng.choice("abcdxy"): rng.choice(numbers) for _ in range(rng.randrange(4))}
            yield json.dumps({"expr": expression, "values": values}).encode()
        elif kind == 3:
            body = {"preset": rng.choice(["neuron", "abc", "", None, 3, "../x"]),
                    "values": {name: rng.choice(numbers) for name in ["x1", "b", "A[1,1]"]},
                    "node": rng.choice(["v0", "v3op", None, 5, "v" * 1000])}
            yield json.dumps(body).encode()
        else:
            text = json.dumps({"expr": "a*b+c", "values": {"a": 1, "b": 2}})
            cut = rng.randrange(len(text))
            yield (text[:cut] + rng.choice(["\\", "\"", "}", "\ud800", "NaN", "]"]) +
                   text[cut:]).encode("utf-8", "surrogatepass")


def random_json(rng: random.Random, depth: int) -> object:
    kind = rng.randrange(7 if depth else 4)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.uniform(-1e6, 1e6)
    if kind == 2:
        return rng.choice(["expr", "preset", "values", "a*b", "", "x" * 100])
    if kind == 3:
        return rng.randrange(-10, 10)
    if kind == 4:
        return [random_json(rng, depth - 1) for _ in range(rng.randrange(4))]
    keys = ["expr", "preset", "values", "node", "a", "x1"]
    return {rng.choice(keys): random_json(rng, depth - 1) for _ in range(rng.randrange(5))}


def test_a_thousand_hostile_bodies_then_a_correct_answer(server: ExplorerServer) -> None:
    rng = random.Random(19)
    client = Client(server)
    routes = ["graph", "values", "paths", "torch", "values", "values"]
    statuses: dict[int, int] = {}
    sent = 0
    for body in hostile_bodies(rng, 1200):
        route = routes[sent % len(routes)]
        if route in ("graph", "torch") and sent % 12:
            route = "values"  # Graphviz and torch on every tenth or so: the suite stays fast
        status, reply = client.send("POST", f"/api/{route}", body)
        statuses[status] = statuses.get(status, 0) + 1
        assert status in (200, 400), (status, body[:200], reply)
        if status == 400:
            assert isinstance(reply["error"], str) and reply["error"]
        sent += 1
    assert sent == 1200 and statuses[400] > 800
    # Slow and broken clients: a half-sent body, a connection dropped mid-request.
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", client.port), timeout=5) as raw:
            raw.sendall(b"POST /api/values HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                        b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                        b'{"expr": ' % client.port)
        with socket.create_connection(("127.0.0.1", client.port), timeout=5) as raw:
            raw.sendall(b"GARBAGE\r\n\r\n")
            assert b'{"error": "Bad request syntax' in raw.recv(1000)
    status, reply = client.post("values", {"expr": "a*b", "values": {"a": 2, "b": -3}})
    assert status == 200
    assert {v["name"]: v["grad"] for v in reply["variables"]} == {"a": -3.0, "b": 2.0}
    client.close()


def test_twenty_clients_fifty_recomputes_each(server: ExplorerServer) -> None:
    latencies: list[float] = []
    errors: list[object] = []
    lock = threading.Lock()

    def run(seed: int) -> None:
        rng = random.Random(seed)
        client = Client(server)
        try:
            for _ in range(50):
                values = {**NEURON_POINT, "w1": rng.uniform(-3, 3), "b": rng.uniform(-5, 5)}
                started = time.perf_counter()
                status, reply = client.post("values", {"preset": "neuron", "values": values})
                took = time.perf_counter() - started
                n = values["x1"] * values["w1"] + values["x2"] * values["w2"] + values["b"]
                want = values["x1"] * (1 - math.tanh(n) ** 2)  # do/dw1
                grads = {v["name"]: v["grad"] for v in reply["variables"]} if status == 200 \
                    else {}
                with lock:
                    latencies.append(took)
                    if status != 200 or not math.isclose(grads["w1"], want, rel_tol=1e-12,
                                                         abs_tol=1e-15):
                        errors.append((status, reply))
        except Exception as error:  # counted, not raised: every client runs to its end
            with lock:
                errors.append(error)
        finally:
            client.close()

    run(100)  # one client alone first: the latency without waiting for others
    alone = sorted(latencies)
    latencies.clear()
    threads = [threading.Thread(target=run, args=(seed,)) for seed in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(latencies) == 20 * 50
    ordered = sorted(latencies)
    p50, p99 = statistics.median(ordered), ordered[int(0.99 * len(ordered)) - 1]
    print(f"\nload: 1 client x 50 recomputes of the neuron: p50 "
          f"{statistics.median(alone) * 1e3:.1f} ms; 20 clients x 50: p50 {p50 * 1e3:.1f} ms, "
          f"p99 {p99 * 1e3:.1f} ms")


# --- the command line ------------------------------------------------------------------------


def test_python_m_viz_serve_prints_its_url_and_answers() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "viz", "serve", "tanh(a*b)", "a=2", "b=0.5", "--port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("glassgrad explorer: http://127.0.0.1:")
        url = line.split(": ", 1)[1].strip()
        assert url.endswith("/?expr=tanh%28a%2Ab%29&a=2.0&b=0.5")
        port = int(url.split(":")[2].split("/")[0])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("POST", "/api/values", json.dumps({"expr": "tanh(a*b)", "values": {
            "a": 2, "b": 0.5}}), {"Content-Type": "application/json"})
        reply = json.loads(connection.getresponse().read())
        assert reply["root"]["data"] == math.tanh(1.0)
        connection.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_refuses_a_bad_start_and_warns_off_loopback() -> None:
    done = subprocess.run([sys.executable, "-m", "viz", "serve", "a**1000", "--port", "0"],
                          cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "exponent 1000 is larger" in done.stderr
    process = subprocess.Popen([sys.executable, "-m", "viz", "serve", "--host", "127.0.0.2",
                                "--port", "0"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.readline().startswith("glassgrad explorer: http://127.0.0.2:")
        assert "warning: serving on 127.0.0.2, not 127.0.0.1" in process.stderr.readline()
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- the presets that need nn, from demos ----------------------------------------------------


@pytest.mark.torch
def test_demos_explore_adds_the_lab1_network_collapsed_by_neuron() -> None:
    from demos.explore import LAB1
    from viz.explore_api import ExplorerAPI

    api = ExplorerAPI([LAB1])
    status, reply = api.handle("values", {"preset": "lab1", "values": {"x1": 0.25}})
    assert status == 200
    assert [v["name"] for v in reply["variables"]] == ["x1", "x2", "t"]
    assert len(reply["nodes"]) > 100  # 37 parameters and their arithmetic
    status, compared = api.handle("torch", {"preset": "lab1", "values": {"x1": 0.25}})
    assert compared["ok"] and compared["max_rel_error"] < 1e-12
    again = api.handle("values", {"preset": "lab1", "values": {"x1": 0.25}})[1]
    assert again["nodes"] == reply["nodes"]  # a fresh network per graph, the same numbers


def test_make_demo_says_how_to_start_the_explorer(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from demos import explore
    from demos.report import write_index

    section = explore.report(tmp_path)
    assert "python -m viz serve --preset neuron --open" in capsys.readouterr().out
    page = write_index(tmp_path, [section]).read_text(encoding="utf-8")
    assert "python -m viz serve --preset neuron --open" in page
    assert "explore" in [d.__name__.rsplit(".", 1)[-1]
                         for d in __import__("demos.__main__", fromlist=["DEMOS"]).DEMOS]
