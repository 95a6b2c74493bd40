"""Tests for engine.table: columns line up, alignment per column, Markdown, bad rows refused."""

from __future__ import annotations

import pytest

from engine.table import column_widths, markdown_table, text_table


def test_text_table_pads_each_column_to_its_widest_cell() -> None:
    text = text_table(("name", "x"), [("a", "12345"), ("long name", "1")], align="<>")
    assert text.splitlines() == [
        "name           x",
        "a          12345",
        "long name      1",
    ]


def test_left_aligned_lines_carry_no_trailing_spaces() -> None:
    lines = text_table(("a", "b"), [("first", ""), ("x", "y")]).splitlines()
    assert lines == ["a      b", "first", "x      y"]


def test_the_last_alignment_repeats() -> None:
    assert text_table(("a", "bb", "ccc"), [("1", "2", "3")], align=">") == "a  bb  ccc\n1   2    3"


def test_markdown_table_has_a_rule_and_parses_as_cells() -> None:
    text = markdown_table(["setting", "MSE"], [["0.1", "2.5e-05"]])
    header, rule, row = text.splitlines()
    assert header == "| setting | MSE     |"
    assert rule == "|---------|---------|"
    assert [c.strip() for c in row.strip("|").split("|")] == ["0.1", "2.5e-05"]


def test_bad_rows_and_alignments_are_refused() -> None:
    with pytest.raises(ValueError, match="a table row has 1 cells, the header 2: \\['x'\\]"):
        column_widths(("a", "b"), [("x",)])
    with pytest.raises(ValueError, match="align takes '<' and '>' only, got '\\^'"):
        text_table(("a",), [], align="^")
