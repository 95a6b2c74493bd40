"""The output report: each demo's files, linked from one out/index.html with a line each."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Link:
    """One file a demo wrote, as the report lists it.

    Attributes:
        path: the file, relative to the report's folder (``"lab1/index.html"``).
        title: a few words naming it.
        explanation: one line saying what a reader sees there.
    """

    path: str
    title: str
    explanation: str


@dataclass(frozen=True)
class Section:
    """One demo's part of the report."""

    heading: str
    summary: str
    links: list[Link]


def write_index(out_root: Path, sections: list[Section]) -> Path:
    """Write ``out_root/index.html`` linking every section's files; returns its path."""
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8"><title>glassgrad demos</title>',
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
        "padding:0 1rem;line-height:1.5}li{margin:.3rem 0}code{background:#f3f3f3}</style>",
        "</head><body>",
        "<h1>glassgrad demos</h1>",
        "<p>Everything <code>make demo</code> wrote, one line of explanation each.</p>",
    ]
    for section in sections:
        parts.append(f"<h2>{html.escape(section.heading)}</h2>")
        parts.append(f"<p>{html.escape(section.summary)}</p><ul>")
        for link in section.links:
            parts.append(
                f'<li><a href="{html.escape(link.path)}">{html.escape(link.title)}</a>: '
                f"{html.escape(link.explanation)}</li>"
            )
        parts.append("</ul>")
    parts.append("</body></html>")
    out_root.mkdir(parents=True, exist_ok=True)
    index = out_root / "index.html"
    index.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return index
