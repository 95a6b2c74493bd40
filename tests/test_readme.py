"""The README's and docs/'s examples run as doctests: what they show is what the library does."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
#: Every page under docs/ is a doctest too, so moving a section out of the README loses no check.
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
#: notebooks/README.md, once it exists, is checked the same way; bench/README.md holds no examples.
PAGES += [page for page in [ROOT / "notebooks" / "README.md"] if page.exists()]


@pytest.mark.torch
@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_page_examples_run(page: Path) -> None:
    result = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS)
    if page == README:
        assert result.attempted > 0
    assert result.failed == 0
