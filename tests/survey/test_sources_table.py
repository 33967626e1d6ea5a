"""CSV/TSV/XLSX reader: flexible headers, fatal missing columns, and bad rows as issues."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from langgap.survey.sources.errors import SourceError
from langgap.survey.sources.table import read_table

DATA = Path(__file__).resolve().parents[1] / "data"


def test_reads_csv_with_loose_headers() -> None:
    papers, _ = read_table(DATA / "papers.csv")
    assert [p.id for p in papers] == [
        "rahman-etal-2024-multilingual",
        "smith-jones-2024-measuring",
        "chen-2023-food",
        "papers:5",  # empty id cell: file stem and row
    ]
    jailbreak, toxicity, food, redteam = papers
    assert jailbreak.title.endswith("Bengali and Swahili")
    assert jailbreak.authors == ("Anna Müller", "Tanvir Rahman", "Grace Otieno")
    assert (jailbreak.year, jailbreak.venue_type, jailbreak.venues) == (
        2024,
        "conference",
        ("ACL 2024",),
    )
    assert jailbreak.source == "papers.csv:2"
    assert toxicity.venue_type == "workshop"  # empty venue_type, venue names a workshop
    assert toxicity.authors == ("John Smith", "Mary Jones")
    assert food.doi == "10.1162/tacl_a_00999" and food.venue_type == "journal"
    assert redteam.abstract is None and redteam.url is None


def test_bad_rows_are_issues_naming_row_and_field() -> None:
    _, issues = read_table(DATA / "papers.csv")
    assert [(i.line, i.file) for i in issues] == [
        (row, str(DATA / "papers.csv")) for row in (6, 7, 8)
    ]
    title, year, venue_type = issues
    assert "'title'" in title.message
    assert "'year'" in year.message and "'forthcoming'" in year.message and "2024" in year.fix
    assert "'venue_type'" in venue_type.message and "conference" in venue_type.fix


def test_bom_header_is_read() -> None:
    papers, issues = read_table(DATA / "papers_bom.csv")
    assert [(p.title[:12], p.year, p.venue_type) for p in papers] == [
        ("Multilingual", 2024, "conference")
    ]
    assert not issues


def test_missing_required_column_is_fatal() -> None:
    with pytest.raises(SourceError) as caught:
        read_table(DATA / "papers_no_title.csv")
    message = str(caught.value)
    assert "papers_no_title.csv" in message and "'title'" in message
    assert "'id', 'name', 'year', 'abstract'" in message and "Fix:" in message


def test_tsv_and_semicolon_csv(tmp_path: Path) -> None:
    tsv = tmp_path / "list.tsv"
    tsv.write_text("YEAR\tTITLE\n2023\tSafety, again\n", encoding="utf-8")
    semicolon = tmp_path / "excel.csv"
    semicolon.write_text("title;year\nSafety, again;2023\n", encoding="utf-8")
    for path in (tsv, semicolon):
        papers, issues = read_table(path)
        assert [(p.title, p.year) for p in papers] == [("Safety, again", 2023)] and not issues


def test_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "sheet.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Title", "Year", "Authors"])
    sheet.append(["Multilingual jailbreaks in Swahili", 2024, "Otieno, Grace; Rahman, Tanvir"])
    sheet.append([None, None, None])
    sheet.append(["A float year", 2023.0, None])
    sheet.append(["No year", None, None])
    book.save(path)
    papers, issues = read_table(path)
    assert [(p.id, p.year) for p in papers] == [("sheet:2", 2024), ("sheet:4", 2023)]
    assert papers[0].authors == ("Grace Otieno", "Tanvir Rahman")
    assert [(i.line, "'year'" in i.message) for i in issues] == [(5, True)]


def test_not_utf8_and_empty_files_are_fatal(tmp_path: Path) -> None:
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(b"title,year\nCaf\xe9,2024\n")
    with pytest.raises(SourceError, match="not UTF-8"):
        read_table(latin)
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(SourceError, match="empty"):
        read_table(empty)
