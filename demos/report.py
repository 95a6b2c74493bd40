"""Report pages: the files each demo wrote, listed (out/index.html) or shown in place (Lab 1)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.table import markdown_table


@dataclass(frozen=True)
class Table:
    """A table's cells: written to a file as Markdown, shown on a page as HTML."""

    header: list[str]
    rows: list[list[str]]

    def markdown(self) -> str:
        """A GitHub-flavoured Markdown table, columns padded to line up."""
        return markdown_table(self.header, self.rows)

    def html(self) -> str:
        """An HTML ``<table>``, every cell escaped."""
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.header)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
            for row in self.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


@dataclass(frozen=True)
class Link:
    """One file a demo wrote, as a report page lists or shows it.

    Attributes:
        path: the file, relative to the page's folder (``"lab1/index.html"``).
        title: a few words naming it.
        explanation: one line saying what a reader sees there.
        table: the cells of a table file, so that a page showing files in place renders it.
        figure: a picture (PNG or SVG) standing for the file on the index; a picture file
            stands for itself.
    """

    path: str
    title: str
    explanation: str
    table: Table | None = None
    figure: str | None = None

    @property
    def picture(self) -> str | None:
        """The picture the index shows for this file, if any."""
        if self.figure is not None:
            return self.figure
        return self.path if self.path.endswith((".png", ".svg")) else None


@dataclass(frozen=True)
class Section:
    """One demo's part of the report."""

    heading: str
    summary: str
    links: list[Link]


#: The look every report page shares; a page may add rules of its own.
BASE_STYLE = ("body{font-family:system-ui,sans-serif;margin:2rem auto;padding:0 1rem;"
              "line-height:1.5}")
#: What a page that shows its files in place adds: figures, and tables with ruled cells.
SHOWN_STYLE = ("img{max-width:100%;border:1px solid #ddd}table{border-collapse:collapse}"
               "td,th{border:1px solid #ccc;padding:.2rem .6rem;text-align:right}"
               "figure{margin:1.5rem 0}")
LISTED_STYLE = ("li{margin:.3rem 0}code{background:#f3f3f3}"
                "img.thumb{display:block;max-width:26rem;max-height:16rem;margin:.3rem 0;"
                "border:1px solid #ddd;background:#fff}")


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


def listed(section: Section) -> list[str]:
    """A section as a heading, its summary and a list of its links, one line each."""
    body = [f"<h2>{html.escape(section.heading)}</h2>",
            f"<p>{html.escape(section.summary)}</p><ul>"]
    body += [f"<li>{_thumbnail(link)}<a href=\"{html.escape(link.path)}\">"
             f"{html.escape(link.title)}</a>: {html.escape(link.explanation)}</li>"
             for link in section.links]
    return [*body, "</ul>"]


def _thumbnail(link: Link) -> str:
    """The link's picture, small, itself a link to the file (nothing when it has none)."""
    if link.picture is None:
        return ""
    return (f'<a href="{html.escape(link.path)}"><img class="thumb" loading="lazy" '
            f'src="{html.escape(link.picture)}" alt="{html.escape(link.title)}"></a>')


def shown(link: Link) -> str:
    """A link as a figure: the picture itself for a PNG, the rendered table for a table file
    (with a link to it), a link otherwise; the title and explanation as its caption."""
    name = html.escape(link.path)
    caption = f"<b>{html.escape(link.title)}</b>: {html.escape(link.explanation)}"
    if link.path.endswith(".png"):
        content = f'<img src="{name}" alt="{html.escape(link.title)}">'
    elif link.table is not None:
        content = link.table.html() + f'<p><a href="{name}">{name}</a></p>'
    else:
        content = f'<p><a href="{name}">{name}</a></p>'
    return f"<figure><figcaption>{caption}</figcaption>{content}</figure>"


def write_index(out_root: Path, sections: list[Section]) -> Path:
    """Write ``out_root/index.html`` listing every section's files; returns its path."""
    body = ["<p>Everything <code>make demo</code> wrote, one line of explanation each, and a "
            "picture where there is one.</p>"]
    for section in sections:
        body += listed(section)
    return write_page(out_root, "glassgrad demos", body, LISTED_STYLE)


def write_gallery(folder: Path, title: str, summary: str, links: Sequence[Link]) -> Path:
    """Write ``folder/index.html`` showing every file in place (see ``shown``); returns its
    path."""
    body = [f"<p>{html.escape(summary)}</p>", *(shown(link) for link in links)]
    return write_page(folder, title, body, SHOWN_STYLE, width="70rem")
