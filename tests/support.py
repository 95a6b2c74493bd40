"""Graphs and file checks that several test modules share."""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine import Value

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: The lecture's neuron at the lecture's point: o = tanh(x1 w1 + x2 w2 + b) = 0.7071...
NEURON_POINT = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}


def bits(x: object) -> bytes:
    """A float's 8 bytes, a NumPy array's buffer: equal bits, not merely equal values (tells
    0.0 from -0.0, and one nan from another)."""
    if isinstance(x, float):
        return struct.pack("<d", x)
    return x.tobytes()  # type: ignore[attr-defined,no-any-return]


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def neuron(backward: bool = False) -> dict[str, Value]:
    """The lecture's neuron with its leaves, ``n`` and ``o`` labelled, keyed by label (in the
    order x1, x2, w1, w2, b, n, o). The one fixture of it; the demos build theirs with
    ``demos.worked.lecture_neuron`` (tests/test_worked.py holds the two to the same graph)."""
    v = {name: Value(x, label=name) for name, x in NEURON_POINT.items()}
    n = v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    if backward:
        o.backward()
    return {**v, "n": n, "o": o}


def two_paths_graph() -> tuple[Value, Value, Value]:
    """(z, a, b): z = u + v with u = 2a and v = a b, so a reaches z along two paths:
    dz/da = 2 + b = -2, dz/db = a = 3."""
    a, b = Value(3.0, label="a"), Value(-4.0, label="b")
    u = a * 2.0
    u.label = "u"
    v = a * b
    v.label = "v"
    z = u + v
    z.label = "z"
    return z, a, b


@contextmanager
def running_explorer() -> Iterator[Any]:
    """``python -m viz serve``'s server on a free port, in a thread; shut down after."""
    from viz.serve import make_server

    running = make_server(port=0)
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.shutdown()
        running.server_close()
