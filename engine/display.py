"""How engine objects show themselves in a notebook: a Value's drawing (a hook that viz fills)
and HTML tables for backward's step records and the gradient-check reports.

Jupyter asks an object for ``_repr_mimebundle_`` (a dict from MIME type to text) or
``_repr_html_``. A Value's picture needs Graphviz, which lives in ``viz``, and the engine imports
nothing of ours: so the engine keeps one slot, ``set_value_drawer``, that ``viz`` fills when it is
imported, and ``Value._repr_mimebundle_`` asks it. Until then a Value shows its usual repr and a
line saying how to get the drawing. Everything here is standard library only.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for the annotations only: value, steps and checks import this module
    from .checks import CheckReport
    from .steps import BackwardStep
    from .value import Value

#: MIME type -> text, what ``_repr_mimebundle_`` returns.
Bundle = dict[str, str]

#: The line a Value's text gets in a notebook while nothing can draw it.
NO_DRAWER_HINT = "(import viz to see the graph of this Value drawn here)"

_drawer: list[Callable[[Value], Bundle]] = []  # at most one: viz.display.value_bundle


def set_value_drawer(drawer: Callable[[Value], Bundle] | None) -> None:
    """Make ``drawer(value)`` give each Value's notebook display (``None``: back to text).

    ``viz`` calls this when it is imported; the bundle it returns must hold ``text/plain``.
    """
    _drawer.clear()
    if drawer is not None:
        _drawer.append(drawer)


def value_bundle(value: Value, include: Iterable[str] | None = None,
                 exclude: Iterable[str] | None = None) -> Bundle:
    """What a notebook shows for ``value``: the drawer's bundle, or ``repr`` and the hint.

    ``include`` and ``exclude`` are Jupyter's filters on MIME types (``text/plain`` is always
    kept, so the cell never comes out empty).
    """
    bundle = _drawer[0](value) if _drawer else {"text/plain": f"{value!r}\n{NO_DRAWER_HINT}"}
    keep = None if include is None else {*include, "text/plain"}
    drop = set() if exclude is None else set(exclude) - {"text/plain"}
    return {kind: text for kind, text in bundle.items()
            if (keep is None or kind in keep) and kind not in drop}


# --- HTML tables -------------------------------------------------------------------------------


def html_table(header: Sequence[str], rows: Sequence[Sequence[str]], *, caption: str = "",
               notes: Sequence[str] = (), align: str = "<>") -> str:
    """An HTML table of text cells (escaped here), with an optional caption and notes below.

    Args:
        header: the column names.
        rows: one sequence of cells per row, as long as the header.
        caption: a line above the table.
        notes: lines after the table (each a paragraph).
        align: one character per column, ``"<"`` (left) or ``">"`` (right, for numbers); the
            last one repeats for the columns after it (``engine.table.text_table``'s rule).

    Raises:
        ValueError: a row with another number of cells than the header, or a bad ``align``.
    """
    if not align or set(align) - {"<", ">"}:
        raise ValueError(f"align takes '<' and '>' only, got {align!r}")
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"a table row has {len(row)} cells, the header {len(header)}: "
                             f"{list(row)!r}")
    sides = ["left" if align[min(i, len(align) - 1)] == "<" else "right"
             for i in range(len(header))]

    def cells(tag: str, texts: Sequence[str]) -> str:
        return "".join(f'<{tag} style="text-align:{side}">{html.escape(text)}</{tag}>'
                       for side, text in zip(sides, texts, strict=True))

    parts = ["<table>"]
    if caption:
        parts.append(f'<caption style="text-align:left">{html.escape(caption)}</caption>')
    parts.append(f"<thead><tr>{cells('th', header)}</tr></thead><tbody>")
    parts += [f"<tr>{cells('td', row)}</tr>" for row in rows]
    parts.append("</tbody></table>")
    parts += [f"<p>{html.escape(note)}</p>" for note in notes]
    return "".join(parts)


def number(x: float) -> str:
    """A float for a table cell: six significant digits (``repr`` is in the text form)."""
    return f"{x:.6g}"


def node_name(node: Value) -> str:
    """A node in a table: its label, else the op that made it, else ``const <data>``."""
    return node.label or (f"({node._op})" if node._op else f"const {number(node.data)}")


def step_html(step: BackwardStep) -> str:
    """One backward step as a table: per use of each parent, ``parent.grad += local × upstream``.

    ``upstream`` is d root / d node; the columns give the local derivative d node / d parent,
    the product added, and the parent's grad before and after the addition.
    """
    caption = (f"step {step.index} of {step.total}: {node_name(step.node)} "
               f"({step.node._op}), upstream grad {number(step.upstream)}")
    rows = [(node_name(u.parent), number(u.local), number(step.upstream), number(u.contribution),
             number(u.before), number(u.after)) for u in step.updates]
    return html_table(("parent", "local", "× upstream", "= added", "grad before", "grad after"),
                      rows, caption=caption)


def report_html(report: CheckReport) -> str:
    """A gradient-check report as a table: the same cells and verdict as ``report.table()``."""
    header, rows = report.cells()
    notes = [f"{row.name} = {row.value!r}: {row.kink}" for row in report.rows if row.kink]
    return html_table(header, rows, caption=report.summary(), notes=notes)
