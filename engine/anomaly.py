"""Anomaly mode: stop at the first op that turns finite inputs into inf or nan, and say where."""

from __future__ import annotations

import linecache
import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .graph import topological_order
from .modes import MODE

if TYPE_CHECKING:
    from .value import Value


def _as_folder(path: str) -> str:
    return os.path.join(os.path.abspath(path), "")  # with the trailing separator: "nn/" != "nnx/"


# Frames from files in these folders are library code; the line anomaly mode names is the first
# frame outside them. The engine lists itself; a library on top adds its own folder (the engine
# must not know the floors above it).
_library_folders: tuple[str, ...] = (_as_folder(os.path.dirname(__file__)),)


def register_library_folder(folder: str) -> None:
    """Treat frames from files under ``folder`` as library code, as the engine's own: the line
    anomaly mode names for a node is then the first frame outside all of them, the user's.

    A library that makes nodes for its users calls this once for its package folder (``nn``
    does, in its ``__init__``). Registering a folder twice is harmless.
    """
    global _library_folders
    path = _as_folder(folder)
    if path not in _library_folders:
        _library_folders = (*_library_folders, path)


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise ``FloatingPointError`` at the first op whose result or local derivative is inf or
    nan while its inputs were finite, naming the op, its inputs and the line that made it.

    Inside the block every new node also remembers the file and line of the user's code that
    created it (``origin(node)``), so a non-finite local derivative found later, by
    ``backward()``, is reported with its line too. Outside the block the engine pays one flag
    read per op and records nothing.

    Example::

        with detect_anomaly():
            y = x.log()   # FloatingPointError: log gave -inf from finite inputs ... line 2
    """
    previous = MODE.anomaly
    MODE.anomaly = True
    try:
        yield
    finally:
        MODE.anomaly = previous


def _user_frame() -> tuple[str, int, str] | None:
    """(file, line, function) of the innermost caller outside the registered library folders."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith("<"):  # <stdin>, <doctest ...>, <frozen ...>: keep as named
            if not filename.startswith("<frozen"):
                return filename, frame.f_lineno, frame.f_code.co_name
        elif not os.path.abspath(filename).startswith(_library_folders):
            return os.path.abspath(filename), frame.f_lineno, frame.f_code.co_name
        frame = frame.f_back  # type: ignore[assignment]
    return None


def origin(node: Value) -> str | None:
    """Where ``node`` was made (``"path/to/file.py:12 in main: y = x.log()"``), if it was made
    inside ``detect_anomaly()``; else None."""
    place = getattr(node, "_origin", None)
    if place is None:
        return None
    filename, line, function = place
    source = linecache.getline(filename, line).strip()
    where = f"{filename}:{line} in {function}"
    return f"{where}: {source}" if source else where


def _describe(node: Value) -> str:
    name = f" {node.label!r}" if node.label else ""
    return f"{node._op or 'leaf'}{name}"


def _inputs_text(node: Value) -> str:
    parts = []
    for i, parent in enumerate(node._prev):
        label = parent.label or f"input {i}"
        parts.append(f"{label} = {parent.data!r}")
    return ", ".join(parts)


def _raise(node: Value, what: str) -> None:
    where = origin(node) or "unknown (build the graph inside detect_anomaly() to record it)"
    raise FloatingPointError(
        f"{_describe(node)} gave {what} from finite inputs ({_inputs_text(node)}); "
        f"created at {where}"
    )


def _inputs_finite(node: Value) -> bool:
    return all(math.isfinite(parent.data) for parent in node._prev)


def check_new_node(node: Value) -> None:
    """Called for every node made in anomaly mode: record its origin, check value and locals."""
    node._origin = _user_frame()
    if not node._prev or not _inputs_finite(node):
        return
    if not math.isfinite(node.data):
        _raise(node, f"{node.data!r}")
    check_local_grads(node)


def check_local_grads(node: Value) -> None:
    """Raise if a local derivative of ``node`` is inf or nan while its inputs are finite."""
    if not node._prev or not _inputs_finite(node):
        return
    for parent, derivative in zip(node._prev, node.local_grads(), strict=True):
        if not math.isfinite(derivative):
            label = parent.label or "its input"
            _raise(node, f"a local derivative d/d{label} = {derivative!r}")


def nonfinite_nodes(root: Value) -> list[Value]:
    """Every node of the graph whose data is inf or nan, in topological order."""
    return [node for node in topological_order(root) if not math.isfinite(node.data)]


def first_anomaly(root: Value) -> Value | None:
    """The first node (in topological order) that is non-finite although its inputs are finite:
    where the trouble started. None when every node is finite."""
    for node in topological_order(root):
        if not math.isfinite(node.data) and _inputs_finite(node):
            return node  # a leaf given inf or nan is where it started, too
    return None
