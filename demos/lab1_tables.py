"""Lab 1's tables (Markdown, in the shape of the lab's Tables 1-4) and its index.html page."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from demos.report import write_page


class RunLike(Protocol):
    """What a table row reads from a training run (``demos.lab1.Run``)."""

    @property
    def mse(self) -> float: ...

    @property
    def accuracy(self) -> float: ...

    @property
    def result(self) -> _ResultLike: ...


class _ResultLike(Protocol):
    @property
    def diverged(self) -> bool: ...

    @property
    def epochs(self) -> int: ...


@dataclass(frozen=True)
class Artifact:
    """A file the lab wrote, with a title and one line of explanation; ``table`` holds the
    Markdown of a table file, so the index can show it in place."""

    path: Path
    title: str
    explanation: str
    table: str | None = None


def sweep_header(setting: str, tasks: Sequence[str]) -> list[str]:
    """``[setting, "Linear: MSE", "Linear: accuracy", "Linear: epochs", "XOR: MSE", ...]``."""
    return [setting] + [
        f"{task}: {what}" for task in tasks for what in ("MSE", "accuracy", "epochs")
    ]


def sweep_row(label: str, runs: Sequence[RunLike]) -> list[str]:
    """One setting's cells; a run whose loss went inf or nan reads "diverged", never nan."""
    cells = [label]
    for run in runs:
        if run.result.diverged:
            cells += ["diverged", "diverged", str(run.result.epochs)]
        else:
            cells += [f"{run.mse:.4g}", f"{run.accuracy:.2%}", str(run.result.epochs)]
    return cells


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table, columns padded to line up."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def parse_markdown_table(text: str) -> tuple[list[str], list[list[str]]]:
    """The header and rows of the first Markdown table in ``text`` (the inverse of
    ``markdown_table``)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("|")]
    if len(lines) < 2:
        raise ValueError(f"no Markdown table found in {text[:80]!r}")
    cells = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines]
    header, rule, *rows = cells
    if not all(set(c) <= {"-", ":"} and c for c in rule):
        raise ValueError(f"the second table line is not a rule: {lines[1]!r}")
    return header, rows


def _html_table(markdown: str) -> str:
    header, rows = parse_markdown_table(markdown)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_index(folder: Path, title: str, summary: str, artifacts: Sequence[Artifact]) -> Path:
    """``folder/index.html``: every figure shown, every table rendered, every text linked."""
    body = [f"<p>{html.escape(summary)}</p>"]
    for item in artifacts:
        name = html.escape(item.path.name)
        caption = f"<b>{html.escape(item.title)}</b>: {html.escape(item.explanation)}"
        if item.path.suffix == ".png":
            shown = f'<img src="{name}" alt="{html.escape(item.title)}">'
        elif item.table is not None:
            shown = _html_table(item.table) + f'<p><a href="{name}">{name}</a></p>'
        else:
            shown = f'<p><a href="{name}">{name}</a></p>'
        body.append(f"<figure><figcaption>{caption}</figcaption>{shown}</figure>")
    return write_page(
        folder, title, body,
        "img{max-width:100%;border:1px solid #ddd}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.2rem .6rem;text-align:right}"
        "figure{margin:1.5rem 0}",
        width="70rem",
    )
