"""Golden DOT text of every graph the demos draw: a refactor must leave each byte unchanged.

The files under ``tests/golden/`` were written from the demos as they stood before issue 14's
clean-up (``python -m tests.test_demo_drawings`` rewrites them, for a change that means to alter
a drawing). The single drawings are kept in full so that a failure shows the lines that moved; a
flipbook pipes dozens of frames through ``dot``, so only a SHA-256 of their DOT texts is kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from demos import abc, steps
from engine import Value
from viz import draw_dot
from viz.flipbook_writer import build_flipbook
from viz.render import drawing_class

GOLDEN = Path(__file__).parent / "golden"


def _after_backward(root: Value) -> Value:
    root.backward()
    return root


#: Each drawing the demos make: ``demos.abc``'s K = 2 graph after backward (``graph_k2.svg``),
#: and the two graphs ``demos.steps`` steps through, as drawn before and after backward.
DRAWINGS: dict[str, Callable[[], str]] = {
    "abc_k2_after_backward": lambda: draw_dot(_after_backward(abc.sample_graph(2, 0))).source,
    "abc_k2": lambda: draw_dot(abc.sample_graph(2, 0), show_grad=False).source,
    "neuron": lambda: draw_dot(steps.neuron_graph(), show_grad=False).source,
    "neuron_after_backward": lambda: draw_dot(_after_backward(steps.neuron_graph())).source,
}

#: The flipbooks ``demos.steps`` writes; every DOT text piped to ``dot`` while building one.
FLIPBOOKS: dict[str, Callable[[], Value]] = {
    "neuron": steps.neuron_graph,
    "abc_k2": lambda: abc.sample_graph(2, 0),
}


@contextmanager
def piped_sources() -> Iterator[list[str]]:
    """Record the DOT text of every drawing piped through ``dot`` inside the block."""
    drawing = drawing_class()
    original = drawing.pipe
    sources: list[str] = []

    def recording_pipe(self: Any, *args: Any, **kwargs: Any) -> Any:
        sources.append(self.source)
        return original(self, *args, **kwargs)

    drawing.pipe = recording_pipe
    try:
        yield sources
    finally:
        drawing.pipe = original


def flipbook_digest(make_root: Callable[[], Value]) -> str:
    """``<frames piped> <sha256 of their DOT texts, each followed by a NUL>``."""
    with piped_sources() as sources:
        build_flipbook(make_root())
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.encode("utf-8") + b"\0")
    return f"{len(sources)} {digest.hexdigest()}"


@pytest.mark.parametrize("name", sorted(DRAWINGS))
def test_demo_drawing_is_byte_identical(name: str) -> None:
    want = (GOLDEN / f"{name}.dot").read_text(encoding="utf-8")
    got = DRAWINGS[name]()
    assert got.splitlines() == want.splitlines()  # a line diff on failure
    assert got == want


@pytest.mark.dot
@pytest.mark.parametrize("name", sorted(FLIPBOOKS))
def test_flipbook_frames_are_byte_identical(name: str) -> None:
    want = (GOLDEN / f"flipbook_{name}.sha256").read_text(encoding="utf-8").strip()
    assert flipbook_digest(FLIPBOOKS[name]) == want


def _write_golden() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for name, draw in DRAWINGS.items():
        (GOLDEN / f"{name}.dot").write_text(draw(), encoding="utf-8")
    for name, make_root in FLIPBOOKS.items():
        (GOLDEN / f"flipbook_{name}.sha256").write_text(
            flipbook_digest(make_root) + "\n", encoding="utf-8")


if __name__ == "__main__":
    _write_golden()
