"""Read filled annotation sheets (CSV or XLSX) back into `Annotation` records, strictly.

A sheet is all-or-nothing: one bad row and the sheet contributes nothing, and the error lists
every bad row (file, spreadsheet row, column, what is wrong, how to fix it), not only the first.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from langgap.languages import UnknownLanguageError, lookup
from langgap.survey.annotations import Annotation, group_for
from langgap.survey.models import GROUPS, TOPICS, Group, Topic
from langgap.survey.sheet_io import Cell, RawTable, SheetError, SheetProblem, read_raw

__all__ = [
    "REQUIRED_COLUMNS",
    "ImportResult",
    "SheetError",
    "SheetProblem",
    "import_sheets",
    "parse_bool",
    "parse_labels",
    "read_sheet",
]

REQUIRED_COLUMNS = ("paper_id", "related", "languages", "group", "topic", "documented")
_TRUE = frozenset({"true", "yes", "1", "y"})
_FALSE = frozenset({"false", "no", "0", "n"})
_LANGUAGE_SEPARATORS = re.compile(r"\s*(?:[;,/]|\s+and\s+)\s*", re.IGNORECASE)
_UNLISTED = re.compile(r"\+(?:\d+|\?)")  # the guide's "+N" / "+?": languages not named
_EXCEL_NUMBER = re.compile(r"\d+(?:\.\d+)?[eE][+-]?\d+")  # 2.02E+13: Excel rewrote a long id
_BOOL_FIX = "write true or false (yes/no, y/n and 1/0 work too)"


@dataclass(slots=True)
class ImportResult:
    """The annotations of every sheet that passed, by annotator, and the problems of the rest."""

    annotations: dict[str, list[Annotation]] = field(default_factory=dict)
    problems: list[SheetProblem] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # files that contributed nothing

    @property
    def all_annotations(self) -> list[Annotation]:
        """Every imported record, annotator by annotator."""
        return [a for records in self.annotations.values() for a in records]


def normalise_header(cell: Cell) -> str:
    """'Paper ID' / '\\ufeffpaper-id ' → 'paper_id'."""
    text = "" if cell is None else str(cell).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def find_columns(
    header: Sequence[Cell], required: Sequence[str], file: str, row: int
) -> tuple[dict[str, int], list[SheetProblem]]:
    """Column positions by normalised name; a problem per missing column, with close names."""
    names = [normalise_header(cell) for cell in header]
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        positions.setdefault(name, index)  # the first of repeated headers wins, as Excel shows it
    missing = [name for name in required if name not in positions]
    unmatched = [name for name in names if name and name not in required]
    problems = []
    for name in missing:
        close = difflib.get_close_matches(name, unmatched, n=1, cutoff=0.6)
        fix = f"rename column {close[0]!r} to {name!r}" if close else f"add a column named {name!r}"
        problems.append(
            SheetProblem(
                file,
                row,
                name,
                f"column {name!r} is missing (expected: {', '.join(required)}; "
                f"found: {', '.join(n for n in names if n) or 'none'})",
                fix,
            )
        )
    return positions, problems


def parse_bool(value: Cell) -> bool | None:
    """true/false/yes/no/1/0/y/n in any case (and Excel's TRUE/FALSE cells) → bool, else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = _clean(value).lower() if isinstance(value, str) else ""
    return True if text in _TRUE else False if text in _FALSE else None


def _clean(value: str) -> str:
    return value.replace("\ufeff", "").strip()


def _blank(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not _clean(value))


def _kind(value: Cell) -> str:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return f"a date/time ({value.isoformat()})"
    return f"a number ({value})"


class _Row:
    """Collects one row's problems while its cells are parsed."""

    def __init__(self, file: str, row: int, columns: Mapping[str, str], skip: Iterable[str]):
        self.unlisted: list[str] = []
        self.file, self.row, self.columns = file, row, columns
        self.skip = frozenset(skip)  # fields whose emptiness a merged-cell problem already explains
        self.problems: list[SheetProblem] = []

    def problem(self, name: str, message: str, fix: str) -> None:
        self.problems.append(
            SheetProblem(self.file, self.row, self.columns.get(name, name), message, fix)
        )

    def empty(self, name: str, fix: str) -> None:
        if name not in self.skip:
            self.problem(name, f"{self.columns.get(name, name)} is empty", fix)

    def text(self, name: str, value: Cell) -> str | None:
        """A text cell; None (with a problem) when Excel made it a date or a number."""
        if value is None:
            return ""
        if isinstance(value, str):
            return _clean(value)
        self.problem(
            name,
            f"{self.columns.get(name, name)} is {_kind(value)}, but text is expected",
            "format the column as Text and type the value again as text",
        )
        return None

    def boolean(self, name: str, value: Cell, required: bool) -> bool | None:
        if _blank(value):
            if required:
                self.empty(name, _BOOL_FIX)
            return None
        parsed = parse_bool(value)
        if parsed is None:
            self.problem(name, f"{self.columns.get(name, name)} is {value!r}", _BOOL_FIX)
        return parsed

    def choice(self, name: str, value: Cell, choices: Sequence[str], required: bool) -> str | None:
        text = self.text(name, value)
        if text is None:
            return None
        if not text:
            if required:
                self.empty(name, f"choose one of {', '.join(choices)}")
            return None
        key = re.sub(r"[\s\-]+", "_", text.lower())
        if key in choices:
            return key
        close = difflib.get_close_matches(key, choices, n=2, cutoff=0.6)
        close += [c for c in choices if key in c and c not in close]
        hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
        self.problem(
            name,
            f"{self.columns.get(name, name)} is {text!r}, not a known value",
            f"{hint}use one of {', '.join(choices)}",
        )
        return None

    def languages(self, value: Cell) -> tuple[str, ...] | None:
        text = self.text("languages", value)
        if text is None:
            return None
        codes: set[str] = set()
        ok = True
        for entry in _LANGUAGE_SEPARATORS.split(text):
            if not entry:
                continue
            if _UNLISTED.fullmatch(entry):
                # the guide's "+N"/"+?": languages studied but not named
                self.unlisted.append(entry)
                continue
            try:
                codes.update(lookup(entry).counted)
            except UnknownLanguageError as error:
                ok = False
                hint = f"did you mean {', '.join(error.suggestions)}? " if error.suggestions else ""
                self.problem(
                    "languages",
                    f"unknown language {entry!r}",
                    f"{hint}write a language name or ISO 639 code, separated by ';'",
                )
        return tuple(sorted(codes)) if ok else None


def parse_labels(
    file: str,
    row: int,
    annotator: str,
    values: Mapping[str, Cell],
    columns: Mapping[str, str] | None = None,
    skip_empty: Iterable[str] = (),
) -> tuple[Annotation | None, list[SheetProblem]]:
    """One row's cells (by field name) → an Annotation, or None and every problem in the row.

    `columns` names the sheet column each field came from (for messages); `skip_empty` lists
    fields whose emptiness another problem (a merged cell) already reports.
    """
    check = _Row(file, row, columns or {}, skip_empty)
    paper_id = check.text("paper_id", values.get("paper_id"))
    if paper_id == "":
        check.empty("paper_id", "fill in the paper_id from the original sheet")
    elif paper_id and _EXCEL_NUMBER.fullmatch(paper_id):
        check.problem(
            "paper_id",
            f"paper_id {paper_id!r} looks like a number Excel rewrote",
            "copy the id from the original sheet into a Text-formatted cell",
        )
    related = check.boolean("related", values.get("related"), required=True)
    # A paper that is not related needs no further labels; one that is needs all of them.
    needed = related is not False
    languages: tuple[str, ...] | None = ()
    if _blank(values.get("languages")):
        if needed:
            check.empty("languages", "list the languages studied, separated by ';'")
    else:
        languages = check.languages(values.get("languages"))
    group = check.choice("group", values.get("group"), GROUPS, needed)
    topic = check.choice("topic", values.get("topic"), TOPICS, needed)
    documented = check.boolean("documented", values.get("documented"), needed)
    notes = values.get("notes")
    implied = "multilingual" if check.unlisted else group_for(languages or ())
    if languages is not None and group is not None and group != implied:
        check.problem(
            "group",
            f"group {group!r} does not match languages {';'.join(languages) or '(none)'}",
            f"write {implied!r} (the group these languages imply) or correct the languages",
        )
    if check.problems or related is None or languages is None or not paper_id:
        return None, check.problems
    return Annotation(
        paper_id=paper_id,
        annotator=annotator,
        related=related,
        languages=languages,
        group=_as_group(group or implied),
        unlisted=tuple(check.unlisted),
        topic=_as_topic(topic or "not_safety"),
        documented=bool(documented),
        notes="" if notes is None else (_clean(notes) if isinstance(notes, str) else str(notes)),
    ), []


def _as_group(text: str) -> Group:
    return next(g for g in GROUPS if g == text)  # narrows str to the Literal for mypy


def _as_topic(text: str) -> Topic:
    return next(t for t in TOPICS if t == text)


def merged_problems(
    file: str, table: RawTable, header_row: int, width: int
) -> tuple[list[SheetProblem], set[tuple[int, int]]]:
    """A problem per merged range inside the data area, and the cells the ranges cover."""
    problems = []
    covered: set[tuple[int, int]] = set()
    for ref, top, bottom, left, right in table.merged:
        if bottom < header_row or left > width:
            continue
        problems.append(
            SheetProblem(
                file,
                top,
                ref,
                f"cells {ref} are merged",
                "unmerge them (Home > Merge & Center > Unmerge Cells) and give each row its own "
                "value",
            )
        )
        covered.update(
            (r, c) for r in range(top, bottom + 1) for c in range(left - 1, right)
        )  # 0-based columns, as in row lists
    return problems, covered


def read_rows(
    path: Path, sheet_name: str, required: Sequence[str]
) -> tuple[dict[str, int], list[tuple[int, list[Cell]]], set[tuple[int, int]], list[SheetProblem]]:
    """Header positions, data rows, merged cells and sheet-level problems of a sheet file."""
    table = read_raw(path, sheet_name)
    if not table.rows:
        problem = SheetProblem(str(path), None, "", "the sheet is empty",
                               "add the header row and the labelled rows")  # fmt: skip
        return {}, [], set(), [problem]
    header_row, header = table.rows[0]
    positions, problems = find_columns(header, required, str(path), header_row)
    merged, covered = merged_problems(str(path), table, header_row, len(header))
    return positions, table.rows[1:], covered, problems + merged


def read_sheet(path: Path, annotator: str | None = None) -> list[Annotation]:
    """A filled annotation sheet (.csv or .xlsx) → its annotations; SheetError lists every problem.

    >>> read_sheet(Path("sheets/A.xlsx"))  # doctest: +SKIP
    """
    name = annotator or path.stem
    positions, rows, covered, problems = read_rows(path, "labels", REQUIRED_COLUMNS)
    if (not rows and problems) or any(f not in positions for f in REQUIRED_COLUMNS):
        raise SheetError(problems)  # without the columns, rows cannot be read
    fields = (*REQUIRED_COLUMNS, "notes")
    annotations: list[Annotation] = []
    first_row: dict[str, int] = {}
    for number, cells in rows:
        values = {f: cell_at(cells, positions.get(f)) for f in fields}
        skip = {f for f in fields if f in positions and (number, positions[f]) in covered}
        annotation, row_problems = parse_labels(str(path), number, name, values, skip_empty=skip)
        problems.extend(row_problems)
        paper_id = values["paper_id"]
        if isinstance(paper_id, str) and _clean(paper_id):
            problems.extend(_duplicate(str(path), number, _clean(paper_id), first_row))
        if annotation is not None:
            annotations.append(annotation)
    if problems:
        raise SheetError(problems)
    return annotations


def cell_at(cells: Sequence[Cell], position: int | None) -> Cell:
    """The cell at a column position; None where the column is absent or the row is short."""
    return cells[position] if position is not None and position < len(cells) else None


def _duplicate(file: str, row: int, paper_id: str, first_row: dict[str, int]) -> list[SheetProblem]:
    if paper_id not in first_row:
        first_row[paper_id] = row
        return []
    return [
        SheetProblem(
            file,
            row,
            "paper_id",
            f"paper_id {paper_id!r} appears in rows {first_row[paper_id]} and {row}",
            "keep one row per paper (merge the labels into one of them)",
        )
    ]


def import_sheets(paths: Iterable[Path]) -> ImportResult:
    """Read every sheet; good sheets give annotations, bad ones only problems (nothing partial)."""
    result = ImportResult()
    source: dict[str, Path] = {}
    for path in paths:
        annotator = path.stem
        if annotator in source:
            result.problems.append(
                SheetProblem(
                    str(path),
                    None,
                    "",
                    f"annotator {annotator!r} was already imported from {source[annotator]}",
                    "import one sheet per annotator (the file name is the annotator)",
                )
            )
            result.failed.append(str(path))
            continue
        try:
            records = read_sheet(path, annotator)
        except SheetError as error:
            result.problems.extend(error.problems)
            result.failed.append(str(path))
            continue
        source[annotator] = path
        result.annotations[annotator] = records
    return result
