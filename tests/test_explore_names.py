"""The explorer names nodes as the flipbook, the trace and the drawings do (viz.names), and
writes a signed zero as 0 (viz.format), through its API's replies."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from engine import topological_order
from viz.explore_api import ExplorerAPI
from viz.flipbook_writer import build_book
from viz.names import text_names

EXPRESSION = {"expr": "tanh(a*b + c)", "values": {"a": 2.0, "b": -3.0, "c": 6.5}}


@pytest.fixture(scope="module")
def lab1() -> tuple[ExplorerAPI, dict[str, Any]]:
    from demos.explore import LAB1

    api = ExplorerAPI([LAB1])
    status, reply = api.handle("graph", {"preset": "lab1"})
    assert status == 200, reply
    return api, reply


def test_an_unlabelled_root_is_f_in_the_output_the_paths_and_the_hover() -> None:
    api = ExplorerAPI()
    status, reply = api.handle("graph", EXPRESSION)
    assert status == 200, reply
    assert reply["state"]["root"]["name"] == "f"
    a = next(i for i, node in reply["graph"]["nodes"].items() if node["name"] == "a")
    status, paths = api.handle("paths", {**EXPRESSION, "node": a})
    assert status == 200
    assert paths["name"] == "a"
    assert paths["lines"][0] == "∂f/∂a = sum over 1 path of the product of local derivatives"
    assert paths["paths"][0]["text"].startswith("f ← #4 ← #3 ← a:")
    root = reply["graph"]["root"]
    assert reply["state"]["edges"][f"{root}-in0"]["hover"].startswith("d tanh(#4)/d#4 = ")


def test_every_name_the_page_gets_is_the_flipbooks(lab1: tuple[ExplorerAPI, dict]) -> None:
    api, reply = lab1
    built = api.built({"preset": "lab1"})
    flipbook = build_book(built.root)
    ids = {node: built.ids[node] for node in built.order}
    want = {ids[node]: name for node, name in flipbook.names.items()}
    assert want == {ids[n]: name for n, name in text_names(topological_order(built.root)).items()}
    for node_id, node in reply["graph"]["nodes"].items():
        assert node["name"] == want[node_id]
    names = {node["name"] for node in reply["graph"]["nodes"].values()}  # outside the boxes
    assert {"const -1", "x1", "x2", "t", "L"} <= names
    assert reply["state"]["root"]["name"] == "L"
    x1 = next(i for i, node in reply["graph"]["nodes"].items() if node["name"] == "x1")
    status, paths = api.handle("paths", {"preset": "lab1", "node": x1})
    assert status == 200
    routes = [path["text"] for path in paths["paths"]]
    assert paths["lines"][0].startswith("∂L/∂x1 = sum over 16 paths")
    # Inside the boxes too: each partial sum by its place (Σ0, Σ1), the neuron's sum plain Σ.
    assert routes[0].startswith("L ← #106 ← Neuron 3.1 · Σ ← Neuron 3.1 · Σ2 ← ")
    assert "Neuron 2.1 · sigmoid ← Neuron 2.1 · Σ" in routes[0] and routes[0].endswith(
        " = " + routes[0].rsplit(" = ", 1)[1])
    assert "Neuron 1.1 · *0 ← x1:" in routes[0]


def test_a_signed_zero_is_written_0(lab1: tuple[ExplorerAPI, dict]) -> None:
    """Lab 1's target t = 0 times -1 is -0.0: the node reads 0, its number keeps the sign."""
    _, reply = lab1
    nodes = reply["state"]["nodes"]
    zeros = [v for v in nodes.values() if v["data"] == 0.0 and math.copysign(1, v["data"]) < 0]
    assert zeros, "the Lab 1 graph at its first sample holds a -0.0"
    assert all(v["dataText"] == "0" for v in zeros)
    assert not any(re.fullmatch(r"-0(\.0*)?", v["dataText"]) for v in nodes.values())
    assert "-0<" not in reply["graph"]["svg"].replace("&#45;", "-")
