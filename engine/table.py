"""Aligned text tables: plain columns for terminals, and GitHub-flavoured Markdown."""

from __future__ import annotations

from collections.abc import Sequence

Row = Sequence[str]


def column_widths(header: Row, rows: Sequence[Row]) -> list[int]:
    """The width of each column: its longest cell, header included.

    Raises:
        ValueError: a row with another number of cells than the header.
    """
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"a table row has {len(row)} cells, the header {len(header)}: "
                             f"{list(row)!r}")
    return [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]


def text_table(header: Row, rows: Sequence[Row], align: str = "<") -> str:
    """The header and rows as lines of columns two spaces apart, without trailing spaces.

    Args:
        align: one character per column, ``"<"`` (left) or ``">"`` (right); the last one
            repeats for the columns after it, so ``"<>"`` is a left-aligned first column and
            right-aligned numbers.
    """
    if not align or set(align) - {"<", ">"}:
        raise ValueError(f"align takes '<' and '>' only, got {align!r}")
    widths = column_widths(header, rows)
    sides = [align[min(i, len(align) - 1)] for i in range(len(widths))]

    def line(cells: Row) -> str:
        return "  ".join(cell.ljust(width) if side == "<" else cell.rjust(width)
                         for cell, width, side in zip(cells, widths, sides, strict=True))

    return "\n".join(line(cells).rstrip() for cells in [header, *rows])


def markdown_table(header: Row, rows: Sequence[Row]) -> str:
    """A GitHub-flavoured Markdown table, columns padded to line up."""
    widths = column_widths(header, rows)

    def line(cells: Row) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(row) for row in rows)])
