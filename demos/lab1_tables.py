"""Lab 1's sweep tables, in the shape of the lab's Tables 1-4: their header and rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from demos.report import Table


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


def sweep_header(setting: str, tasks: Sequence[str]) -> list[str]:
    """``[setting, "Linear: MSE", "Linear: accuracy", "Linear: epochs", "XOR: MSE", ...]``."""
    return [setting] + [
        f"{task}: {what}" for task in tasks for what in ("MSE", "accuracy", "epochs")
    ]


def sweep_table(setting: str, tasks: Sequence[str], rows: list[list[str]]) -> Table:
    """A sweep's table: ``sweep_header(setting, tasks)`` over the settings' ``sweep_row``s."""
    return Table(sweep_header(setting, tasks), rows)


def sweep_row(label: str, runs: Sequence[RunLike]) -> list[str]:
    """One setting's cells; a run whose loss went inf or nan reads "diverged", never nan."""
    cells = [label]
    for run in runs:
        if run.result.diverged:
            cells += ["diverged", "diverged", str(run.result.epochs)]
        else:
            cells += [f"{run.mse:.4g}", f"{run.accuracy:.2%}", str(run.result.epochs)]
    return cells


def parse_markdown_table(text: str) -> tuple[list[str], list[list[str]]]:
    """The header and rows of the first Markdown table in ``text`` (the inverse of
    ``engine.table.markdown_table``), as a reader of the written ``sweep_*.md`` files gets them."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("|")]
    if len(lines) < 2:
        raise ValueError(f"no Markdown table found in {text[:80]!r}")
    cells = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines]
    header, rule, *rows = cells
    if not all(set(c) <= {"-", ":"} and c for c in rule):
        raise ValueError(f"the second table line is not a rule: {lines[1]!r}")
    return header, rows
