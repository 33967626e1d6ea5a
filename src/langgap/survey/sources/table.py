"""Read papers from a spreadsheet: CSV, TSV or Excel (.xlsx), one paper per row.

Columns: `title` and `year` are required; `id`, `abstract`, `venue`, `venue_type`,
`authors` (";"-separated), `url` and `doi` are optional. Header names may use any case and
spaces ("Venue Type"); other columns are ignored.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import openpyxl

from langgap.survey.models import Paper, VenueType
from langgap.survey.sources._fields import (
    check_file,
    clean_doi,
    optional,
    person_name,
    squash,
)
from langgap.survey.sources.errors import SourceError, SourceIssue

REQUIRED = ("title", "year")
OPTIONAL = ("id", "abstract", "venue", "venue_type", "authors", "url", "doi")
_VENUE_TYPES: dict[str, VenueType] = {name: name for name in get_args(VenueType)}
_INTEGER_YEAR = re.compile(r"\d{4}(?:\.0*)?")  # Excel and pandas write 2024 as "2024.0"

Row = tuple[int, list[str]]  # (row number as a spreadsheet shows it, cells)


def read_table(path: Path) -> tuple[list[Paper], list[SourceIssue]]:
    """Read the papers of a .csv, .tsv or .xlsx file; bad rows become issues and are skipped."""
    check_file(path)
    rows = _xlsx_rows(path) if path.suffix.lower() == ".xlsx" else _text_rows(path)
    header = next((row for row in rows if any(cell.strip() for cell in row[1])), None)
    if header is None:
        raise SourceError(f"{path}: the file is empty. Fix: add a header row with title and year.")
    columns = _columns(header[1], path)
    papers: list[Paper] = []
    issues: list[SourceIssue] = []
    seen: set[str] = set()
    for number, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue  # blank rows (often trailing ones) carry nothing to lose
        values = {name: cells[i] if i < len(cells) else "" for name, i in columns.items()}
        paper = _to_paper(values, path, number, issues)
        if paper is None:
            continue
        if paper.id in seen:
            issues.append(
                _issue(path, number, f"id '{paper.id}' repeats an earlier row's; row skipped", "id")
            )
            continue
        seen.add(paper.id)
        papers.append(paper)
    return papers, issues


def _columns(header: list[str], path: Path) -> dict[str, int]:
    """Map known column names to their positions; raise if a required one is missing."""
    normal = [re.sub(r"[\s\-]+", "_", cell.strip().lower()) for cell in header]
    columns = {name: normal.index(name) for name in (*REQUIRED, *OPTIONAL) if name in normal}
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        found = ", ".join(repr(cell.strip()) for cell in header if cell.strip()) or "none"
        raise SourceError(
            f"{path}: row 1: required column {' and '.join(map(repr, missing))} is missing "
            f"(columns found: {found}). Fix: add a header cell named "
            f"{' and '.join(map(repr, missing))} (any case) above the matching values."
        )
    return columns


def _to_paper(
    values: dict[str, str], path: Path, row: int, issues: list[SourceIssue]
) -> Paper | None:
    """Map one row to a Paper, or None (with an issue naming the field) when it is bad."""
    title = squash(values["title"])
    if not title:
        issues.append(_issue(path, row, "field 'title' is empty; row skipped", "title"))
        return None
    year_text = squash(values["year"])
    if not _INTEGER_YEAR.fullmatch(year_text):
        issues.append(
            _issue(path, row, f"field 'year' is {year_text!r}, not a year; row skipped", "year")
        )
        return None
    venue = squash(values.get("venue"))
    # Without a venue_type, only a venue that names itself a workshop says what it is.
    type_text = squash(values.get("venue_type")).lower()
    type_text = type_text or ("workshop" if "workshop" in venue.lower() else "unknown")
    venue_type = _VENUE_TYPES.get(type_text)
    if venue_type is None:
        issues.append(
            _issue(
                path,
                row,
                f"field 'venue_type' is {type_text!r}; row skipped",
                "venue_type",
                f"use one of {', '.join(_VENUE_TYPES)} (or leave it empty)",
            )
        )
        return None
    authors = (person_name(a) for a in (values.get("authors") or "").split(";"))
    return Paper(
        id=squash(values.get("id")) or f"{path.stem}:{row}",
        title=title,
        abstract=optional(values.get("abstract")),
        year=int(float(year_text)),
        venues=(venue,) if venue else (),
        venue_type=venue_type,
        booktitle=venue,
        authors=tuple(a for a in authors if a),
        url=optional(values.get("url")),
        doi=clean_doi(values.get("doi")),
        source=f"{path.name}:{row}",
    )


def _issue(path: Path, row: int, message: str, field: str, fix: str = "") -> SourceIssue:
    default_fix = {
        "title": "fill in the title",
        "year": "write the year as a four-digit number, e.g. 2024",
        "id": "give each row its own id",
    }
    return SourceIssue(str(path), row, message, fix or default_fix[field])


def _text_rows(path: Path) -> Iterator[Row]:
    """Rows of a CSV/TSV file; the delimiter is a tab for .tsv, else guessed from the header."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:  # -sig drops Excel's BOM
            first = handle.readline()
            delimiter = "\t" if path.suffix.lower() == ".tsv" else _delimiter(first)
            handle.seek(0)
            yield from enumerate(csv.reader(handle, delimiter=delimiter), start=1)
    except UnicodeDecodeError as error:
        raise SourceError(
            f"{path}: not UTF-8 text ({error.reason}). "
            "Fix: save it as UTF-8 (in Excel: 'CSV UTF-8')."
        ) from error
    except csv.Error as error:
        raise SourceError(f"{path}: {error}. Fix: check the quoting of that row.") from error


def _delimiter(header: str) -> str:
    """The most frequent of comma, semicolon and tab in the header line (European Excel uses ;)."""
    return max((",", ";", "\t"), key=header.count)


def _xlsx_rows(path: Path) -> Iterator[Row]:
    """Rows of the first worksheet, every cell as text."""
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises zip, XML and key errors alike on a bad file
        raise SourceError(
            f"{path}: not a readable .xlsx workbook ({error}). Fix: re-save it from Excel."
        ) from error
    try:
        sheet = workbook.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(cell) for cell in cells]
    finally:
        workbook.close()


def _cell_text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # a year typed as a number
    return str(cell)
