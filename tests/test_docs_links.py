"""The README and docs hold together: every relative link names a file that exists, and the
README's picture is what scripts/readme_picture.py draws today."""

from __future__ import annotations

import re
import runpy
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *[p for p in (ROOT / "notebooks" / "README.md", ROOT / "bench" / "README.md") if p.exists()],
]
#: [text](target) and ![alt](target), and <img src="target">; the target ends at a space,
#: a closing parenthesis or a quote (a title after the target is allowed).
LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|<img[^>]*\ssrc=\"([^\"]+)\"")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)
SVG = "{http://www.w3.org/2000/svg}"


def relative_links(page: Path) -> list[str]:
    """The page's link targets outside code blocks that are not URLs or bare #anchors."""
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    targets = [a or b for a, b in LINK.findall(text)]
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:|#", t)]


def test_the_link_pattern_finds_links_and_skips_urls_and_code(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "See [jit](docs/jit.md#speed), ![pic](images/a.svg \"title\"), [web](https://x.org),\n"
        "[here](#top) and <img src=\"b.png\" width=\"50\">.\n"
        "```\n[not a link](nowhere.md)\n```\n",
        encoding="utf-8",
    )
    assert relative_links(page) == ["docs/jit.md#speed", "images/a.svg", "b.png"]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_relative_link_names_a_file_that_exists(page: Path) -> None:
    missing = [
        target
        for target in relative_links(page)
        if not (page.parent / target.split("#", 1)[0]).exists()
    ]
    assert missing == [], f"{page.relative_to(ROOT)} links to missing files: {missing}"


def test_the_readme_shows_the_picture() -> None:
    assert "docs/images/neuron.svg" in relative_links(ROOT / "README.md")


def svg_texts(path: Path) -> list[str]:
    """Every text the drawing shows (labels, data, grads, local derivatives), in order."""
    root = ET.parse(path).getroot()
    return [t.text or "" for t in root.iter(f"{SVG}text")]


@pytest.mark.dot
@pytest.mark.skipif(shutil.which("dot") is None, reason="needs the Graphviz dot program")
def test_the_readme_picture_is_what_the_script_draws(tmp_path: Path) -> None:
    script = runpy.run_path(str(ROOT / "scripts" / "readme_picture.py"))
    fresh = script["draw"](tmp_path / "neuron.svg")
    texts = svg_texts(script["PICTURE"])
    assert texts == svg_texts(fresh), "rerun: python scripts/readme_picture.py"
    # The lecture's numbers: do/dn = 1 - tanh(n)^2 = 0.5 on the tanh edge, do/dx1 = w1 * 0.5.
    assert {"o", "n", "x1", "w1", "tanh", "0.5", "grad -1.5", "data 0.7071"} <= set(texts)
