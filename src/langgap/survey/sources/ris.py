"""Read papers from RIS files (as exported by Zotero, EndNote, Scopus, Web of Science, ...).

rispy does the parsing; the file is cut into records here first, so that every paper and
every issue knows its line and one broken record cannot swallow its neighbour.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import rispy

from langgap.survey.models import Paper, VenueType
from langgap.survey.sources._fields import (
    anthology_volume,
    check_file,
    clean_doi,
    optional,
    parse_year,
    person_name,
    proceedings_type,
    squash,
)
from langgap.survey.sources.errors import SourceError, SourceIssue

_CONFERENCE = {"CONF", "CPAPER"}
_JOURNAL = {"JOUR", "JFULL", "EJOUR"}


def read_ris(path: Path) -> tuple[list[Paper], list[SourceIssue]]:
    """Read the papers of a .ris file; broken records become issues and are skipped."""
    check_file(path)
    lines = _read_lines(path)
    papers: list[Paper] = []
    issues: list[SourceIssue] = []
    seen: set[str] = set()
    for start, end in _records(lines, path, issues):
        parsed: list[dict[str, Any]] = rispy.loads("\n".join(lines[start:end]))
        if not parsed:
            issues.append(
                SourceIssue(
                    str(path),
                    start + 1,
                    "record has no end line; record skipped",
                    "end the record with a line 'ER  - '",
                )
            )
            continue
        paper = _to_paper(parsed[0], path, start + 1, issues)
        if paper is None:
            continue
        if paper.id in seen:
            issues.append(
                SourceIssue(
                    str(path),
                    start + 1,
                    f"ID '{paper.id}' was already used by an earlier record; this one skipped",
                    "give each record its own ID",
                )
            )
            continue
        seen.add(paper.id)
        papers.append(paper)
    issues.sort(key=lambda issue: issue.line or 0)  # stray text is found ahead of its turn
    return papers, issues


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        raise SourceError(
            f"{path}: line {line} is not UTF-8 text ({error.reason}). "
            "Fix: export the file again as UTF-8."
        ) from error


def _records(lines: list[str], path: Path, issues: list[SourceIssue]) -> Iterator[tuple[int, int]]:
    """Yield (first, past-last) line indexes of each record, from its TY line to the next one."""
    starts = [i for i, line in enumerate(lines) if line.startswith("TY  -")]
    ends = [*starts[1:], len(lines)]
    _report_stray(lines, 0, starts[0] if starts else len(lines), path, issues)
    for start, end in zip(starts, ends, strict=True):
        stop = next((i for i in range(start, end) if lines[i].startswith("ER  -")), None)
        if stop is not None:
            _report_stray(lines, stop + 1, end, path, issues)
        yield start, end


def _report_stray(
    lines: list[str], start: int, end: int, path: Path, issues: list[SourceIssue]
) -> None:
    """rispy ignores text outside TY..ER; say so, as it is usually a record with a bad TY line."""
    stray = next((i for i in range(start, end) if lines[i].strip()), None)
    if stray is not None:
        issues.append(
            SourceIssue(
                str(path),
                stray + 1,
                f"text outside any record ({lines[stray].strip()[:40]!r}); ignored",
                "start each record with a line 'TY  - TYPE' (two spaces before the dash)",
            )
        )


def _to_paper(
    record: dict[str, Any], path: Path, line: int, issues: list[SourceIssue]
) -> Paper | None:
    """Map one rispy record to a Paper, or None (with an issue) when it has no title."""
    title = squash(_first(record, "title", "primary_title"))
    if not title:
        issues.append(
            SourceIssue(
                str(path), line, "record has no title; record skipped", "add a 'TI  - ' line"
            )
        )
        return None
    raw_year = _first(record, "year", "publication_year", "date")
    year = parse_year(raw_year)
    if year is None:
        issues.append(
            SourceIssue(
                str(path),
                line,
                f"year {raw_year or '(missing)'!r} is not a year; record kept with year unknown",
                "add a line 'PY  - 2024'",
            )
        )
    booktitle = squash(
        _first(record, "secondary_title", "journal_name", "alternate_title3", "alternate_title2")
        or _first(record.get("unknown_tag", {}), "BT")
    )
    names = [*record.get("first_authors", []), *record.get("authors", [])]
    url = optional(_first(record, "urls"))
    volume, venues = anthology_volume(url or "")
    return Paper(
        id=squash(_first(record, "id")) or f"{path.stem}:{line}",
        title=title,
        abstract=optional(_first(record, "abstract", "notes_abstract")),
        year=year,
        venues=venues,
        venue_type=_venue_type(squash(_first(record, "type_of_reference")).upper(), booktitle),
        volume=volume,
        booktitle=booktitle,
        authors=tuple(dict.fromkeys(person_name(n) for n in names if squash(n))),
        url=url,
        doi=clean_doi(_first(record, "doi")),
        source=f"{path.name}:{line}",
    )


def _first(record: dict[str, Any], *keys: str) -> str:
    """The first non-empty value among keys; list-valued tags give their first element."""
    for key in keys:
        value = record.get(key)
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, str) and v.strip()), None)
        if isinstance(value, str) and value.strip():
            return value
    return ""


def _venue_type(kind: str, booktitle: str) -> VenueType:
    if kind in _CONFERENCE:
        return proceedings_type(booktitle)
    return "journal" if kind in _JOURNAL else "unknown"
