"""Turning a drawing into files: SVG, PNG or PDF through the Graphviz ``dot`` program."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from engine import Value

INSTALL_HINT = (
    "the Graphviz 'dot' program was not found on PATH; install it with "
    "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) or "
    "`conda install graphviz`. The DOT text is still available as draw_dot(root).source."
)

#: File suffixes ``save`` understands, and the Graphviz output format of each.
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}


class GraphvizNotFoundError(RuntimeError):
    """The ``dot`` program is missing; the message says how to install it."""


@functools.cache
def drawing_class() -> type:
    """``graphviz.Digraph`` with ``render`` and ``pipe`` that name the fix when ``dot`` is
    missing (they raise ``GraphvizNotFoundError``). Built on first use: graphviz is optional."""
    import graphviz

    class Drawing(graphviz.Digraph):
        """A Graphviz digraph of a glassgrad graph; ``.source`` is the DOT text."""

        def render(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().render(*args, **kwargs)
            except graphviz.ExecutableNotFound as error:
                raise GraphvizNotFoundError(INSTALL_HINT) from error

        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().pipe(*args, **kwargs)
            except graphviz.ExecutableNotFound as error:
                raise GraphvizNotFoundError(INSTALL_HINT) from error

    return Drawing


def save(root: Any, path: str | os.PathLike[str], **options: Any) -> Path:
    """Draw ``root`` and write the drawing to ``path``, in the format its suffix names.

    Args:
        root: a Value (drawn with ``draw_dot(root, **options)``) or a drawing ``draw_dot`` made.
        path: ends in ``.svg``, ``.png``, ``.pdf``, or ``.dot``/``.gv`` for the DOT text (which
            needs no Graphviz program).
        options: keyword arguments for ``draw_dot``.

    Returns:
        The path written.

    Raises:
        ValueError: an unknown suffix.
        GraphvizNotFoundError: the ``dot`` program is missing (a RuntimeError naming the fix).
    """
    from .dot import draw_dot

    target = Path(path)
    fmt = FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"cannot tell the format of {str(target)!r} from its suffix; use one of "
            f"{', '.join(FORMATS)}"
        )
    if isinstance(root, Value):
        drawing = draw_dot(root, **options)
    elif isinstance(root, drawing_class()):
        if options:
            raise TypeError(f"options {sorted(options)} only apply when drawing a Value")
        drawing = root
    else:
        raise TypeError(f"save needs a Value or a draw_dot drawing, got {root!r}")
    from .progress import Progress

    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "dot":
        target.write_text(drawing.source, encoding="utf-8")
    else:
        progress = Progress("drawing", 1)
        with progress.waiting(f"laying out {target.name} with dot"):
            picture = drawing.pipe(format=fmt)
        progress.close()
        target.write_bytes(picture)
    return target
