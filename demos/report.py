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


#: The look every report page shares; a page may add rules of its own.
BASE_STYLE = ("body{font-family:system-ui,sans-serif;margin:2rem auto;padding:0 1rem;"
              "line-height:1.5}")


def write_page(folder: Path, title: str, body: list[str], style: str = "",
               width: str = "60rem") -> Path:
    """Write ``folder/index.html``: a self-contained page with ``title`` as its heading and the
    given HTML fragments (already escaped) as its body; returns its path."""
    parts = [
        "<!doctype html>",
        f'<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>',
        f"<style>{BASE_STYLE}body{{max-width:{width}}}{style}</style>",
        "</head><body>",
        f"<h1>{html.escape(title)}</h1>",
        *body,
        "</body></html>",
    ]
    folder.mkdir(parents=True, exist_ok=True)
    index = folder / "index.html"
    index.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return index


def write_index(out_root: Path, sections: list[Section]) -> Path:
    """Write ``out_root/index.html`` linking every section's files; returns its path."""
    body = ["<p>Everything <code>make demo</code> wrote, one line of explanation each.</p>"]
    for section in sections:
        body.append(f"<h2>{html.escape(section.heading)}</h2>")
        body.append(f"<p>{html.escape(section.summary)}</p><ul>")
        for link in section.links:
            body.append(
                f'<li><a href="{html.escape(link.path)}">{html.escape(link.title)}</a>: '
                f"{html.escape(link.explanation)}</li>"
            )
        body.append("</ul>")
    return write_page(out_root, "glassgrad demos", body,
                      "li{margin:.3rem 0}code{background:#f3f3f3}")
