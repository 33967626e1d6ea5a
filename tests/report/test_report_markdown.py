"""Tests for MarkdownReport: escaping of cells and text, links, figures."""

from __future__ import annotations

from pathlib import Path

from langgap.report import Link, MarkdownReport, Share
from langgap.report.markdown import escape_cell


def test_cells_escape_pipes_and_newlines() -> None:
    assert escape_cell("a | b\nc\r\n d") == r"a \| b c d"


def test_cells_cannot_inject_markup() -> None:
    text = escape_cell("<script>[x](javascript:y) *b* `c`")
    assert "<" not in text.replace("\\<", "")  # every < is backslash-escaped
    assert r"\<script\>" in text
    assert r"\[x\]" in text and r"\*b\*" in text and r"\`c\`" in text


def test_table_keeps_its_columns() -> None:
    report = MarkdownReport("t")
    report.table(["name", "n"], [["a|b\nc", 1200], ["d", None]], caption="Cap | tion")
    lines = report.render().splitlines()
    table = [line for line in lines if line.startswith("|")]
    assert table[0] == "| name | n |"
    assert table[1] == "|---|---:|"  # a missing value does not stop right-alignment
    assert table[2] == r"| a\|b c | 1,200 |"
    assert table[3] == "| d | n/a |"
    assert r"**Cap \| tion**" in lines
    # every row splits into the same number of unescaped columns
    assert {row.replace(r"\|", "").count("|") for row in table} == {3}


def test_links_only_for_https() -> None:
    report = MarkdownReport("t")
    report.table(
        ["id"],
        [[Link("ok", "https://aclanthology.org/a b")], [Link("no", "file:///etc/passwd")]],
    )
    md = report.render()
    assert "[ok](<https://aclanthology.org/a%20b>)" in md
    assert "| no |" in md and "file:" not in md


def test_figure_heading_paragraph_and_write(tmp_path: Path) -> None:
    report = MarkdownReport("Title")
    report.heading("Sec # 1", 9)
    report.paragraph("50% of *all*")
    report.figure(Path("figures") / "my fig.png", "A caption", alt="alt")
    report.table(["s"], [[Share(0.5)]])
    md = report.write(tmp_path / "r.md").read_text(encoding="utf-8")
    assert md.startswith("# Title\n")
    assert r"###### Sec \# 1" in md
    assert r"50% of \*all\*" in md
    assert "![alt](figures/my%20fig.png)" in md
    assert "*A caption*" in md
    assert "| 50.0% |" in md
