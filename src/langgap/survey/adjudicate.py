"""From several annotators' labels to one gold set: agreements pass, disagreements are adjudicated.

`merge` keeps every paper the annotators agree on (and every single-annotated paper); the rest go
to an adjudication sheet with each annotator's value side by side and empty `resolved_*` columns.
`apply_adjudication` reads the filled sheet back with the same rules as annotator sheets.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from langgap.survey.annotations import (
    ANNOTATION_COLUMNS,
    LABEL_FIELDS,
    Annotation,
    write_annotations,
)
from langgap.survey.models import GROUPS, TOPICS
from langgap.survey.sheet_import import cell_at, parse_labels, read_rows
from langgap.survey.sheet_io import (
    Cell,
    SheetError,
    SheetProblem,
    XlsxLayout,
    write_csv,
    write_xlsx,
)
from langgap.survey.sheets import BOOL_CHOICES

GOLD = "gold"  # the annotator name of every gold record; decided_by says who decided it
BOOL_FIELDS = ("related", "documented")


@dataclass(frozen=True, slots=True)
class Dispute:
    """A paper whose annotators disagree on at least one field."""

    paper_id: str
    annotations: tuple[Annotation, ...]  # sorted by annotator
    fields: tuple[str, ...]  # the LABEL_FIELDS on which they differ


@dataclass(slots=True)
class MergeResult:
    """Gold records decided without an adjudicator, and the disputes that need one."""

    gold: list[Annotation] = field(default_factory=list)
    disputes: list[Dispute] = field(default_factory=list)


def _notes(annotations: Sequence[Annotation]) -> str:
    return " | ".join(f"{a.annotator}: {a.notes}" for a in annotations if a.notes)


def _compared(annotation: Annotation, name: str) -> object:
    if name == "languages":
        # the named languages and the guide's "+N"/"+?" together: "eng;+9" is not "eng"
        return (annotation.languages, tuple(sorted(annotation.unlisted)))
    return getattr(annotation, name)


def differing_fields(records: Sequence[Annotation]) -> tuple[str, ...]:
    """The LABEL_FIELDS on which these annotations of one paper differ.

    Languages differ when the named codes differ or when the unlisted "+N" parts do.
    """
    return tuple(name for name in LABEL_FIELDS if len({_compared(a, name) for a in records}) > 1)


def merge(annotations: Sequence[Annotation]) -> MergeResult:
    """Agreements (and single-annotated papers) to gold; papers with any disagreement to disputes.

    >>> merge(import_sheets(paths).all_annotations).disputes  # doctest: +SKIP
    """
    by_paper: dict[str, list[Annotation]] = defaultdict(list)
    for record in annotations:
        if any(a.annotator == record.annotator for a in by_paper[record.paper_id]):
            raise ValueError(
                f"annotator {record.annotator!r} labelled paper {record.paper_id!r} twice. "
                "Fix: import each annotator's sheet once."
            )
        by_paper[record.paper_id].append(record)
    result = MergeResult()
    for paper_id in sorted(by_paper):
        records = sorted(by_paper[paper_id], key=lambda a: a.annotator)
        first = records[0]
        if len(records) == 1:
            result.gold.append(replace(first, annotator=GOLD, decided_by=first.annotator))
            continue
        differing = differing_fields(records)
        if differing:
            result.disputes.append(Dispute(paper_id, tuple(records), differing))
        else:
            agreed = replace(first, annotator=GOLD, decided_by="agreement", notes=_notes(records))
            result.gold.append(agreed)
    return result


def _text(annotation: Annotation, name: str) -> str:
    return annotation.as_row()[name]


def adjudication_columns(width: int) -> tuple[str, ...]:
    """Sheet columns for disputes among up to `width` annotators."""
    per_field = (
        column
        for name in LABEL_FIELDS
        for column in (*(f"{name}_{i}" for i in range(1, width + 1)), f"resolved_{name}")
    )
    return (
        "paper_id", "title", "to_resolve", *(f"annotator_{i}" for i in range(1, width + 1)),
        *per_field, "adjudicator", "notes", "annotator_notes",
    )  # fmt: skip


def adjudication_rows(
    result: MergeResult, titles: Mapping[str, str] | None = None
) -> list[dict[str, str]]:
    """One row per dispute: each annotator's values side by side, resolved_* left empty."""
    rows = []
    for dispute in result.disputes:
        row = {
            "paper_id": dispute.paper_id,
            "title": (titles or {}).get(dispute.paper_id, ""),
            "to_resolve": "; ".join(dispute.fields),
            "annotator_notes": _notes(dispute.annotations),
        }
        for i, record in enumerate(dispute.annotations, start=1):
            row[f"annotator_{i}"] = record.annotator
            row.update({f"{name}_{i}": _text(record, name) for name in LABEL_FIELDS})
        rows.append(row)
    return rows


def write_adjudication_sheet(
    path: Path, result: MergeResult, titles: Mapping[str, str] | None = None
) -> tuple[Path, Path]:
    """Write the disputes as PATH.csv and PATH.xlsx (drop-downs on the resolved_* columns)."""
    width = max((len(d.annotations) for d in result.disputes), default=2)
    columns = adjudication_columns(width)
    rows = adjudication_rows(result, titles)
    layout = XlsxLayout(
        title="adjudication",
        choices={
            "resolved_related": BOOL_CHOICES,
            "resolved_documented": BOOL_CHOICES,
            "resolved_group": GROUPS,
            "resolved_topic": TOPICS,
        },
        wrap=("title", "annotator_notes"),
        widths={"paper_id": 28, "title": 40, "to_resolve": 24, "annotator_notes": 40},
        text_columns=("paper_id", "resolved_languages"),
        instructions=(
            (
                "to_resolve",
                "the fields the annotators disagree on; fill resolved_<field> for each.",
            ),
            (
                "resolved_*",
                "the decided value. Left empty, a field the annotators agree on keeps "
                "their value; a disputed field left empty is an error.",
            ),
            ("adjudicator", "your name; it is recorded as decided_by in gold.csv."),
        ),
    )
    csv_path = write_csv(path.with_suffix(".csv"), columns, rows)
    return csv_path, write_xlsx(path.with_suffix(".xlsx"), columns, rows, layout)


def _same(values: Sequence[Cell]) -> bool:
    return len({str(v).strip().lower() for v in values}) == 1


def _who(cells: Sequence[Cell], positions: Mapping[str, int], key: str) -> str:
    """The annotator behind a `<field>_<i>` column (annotator_<i>), for messages."""
    slot = key.rsplit("_", 1)[1]
    return str(cell_at(cells, positions.get(f"annotator_{slot}")) or f"annotator {slot}")


def _resolved_row(
    file: str, number: int, cells: Sequence[Cell], positions: Mapping[str, int]
) -> tuple[Annotation | None, list[SheetProblem]]:
    """One adjudication row → a gold record decided by its adjudicator, or its problems."""
    problems: list[SheetProblem] = []
    adjudicator = cell_at(cells, positions["adjudicator"])
    if not isinstance(adjudicator, str) or not adjudicator.strip():
        problems.append(SheetProblem(file, number, "adjudicator", "adjudicator is empty",
                                     "write the adjudicator's name"))  # fmt: skip
    values: dict[str, Cell] = {"paper_id": cell_at(cells, positions["paper_id"])}
    columns: dict[str, str] = {}
    unresolved: set[str] = set()
    for name in LABEL_FIELDS:
        resolved = cell_at(cells, positions[f"resolved_{name}"])
        given = {
            _who(cells, positions, key): value
            for key, index in positions.items()
            if re.fullmatch(rf"{name}_\d+", key)
            and (value := cell_at(cells, index)) not in (None, "")
        }
        columns[name] = f"resolved_{name}"
        if resolved is not None and str(resolved).strip():
            values[name] = resolved
        elif given and _same(list(given.values())):
            values[name], columns[name] = (
                next(iter(given.values())),
                f"{name}_1",
            )  # agreed: their value stands
        else:
            unresolved.add(name)  # reported here; parse_labels must not call it merely empty
            shown = " / ".join(f"{who}: {v}" for who, v in given.items()) or "(nothing)"
            problems.append(
                SheetProblem(
                    file,
                    number,
                    f"resolved_{name}",
                    f"{name} is unresolved (annotators said {shown})",
                    f"write the decided value in resolved_{name}",
                )
            )
    values["notes"] = cell_at(cells, positions.get("notes"))
    annotation, label_problems = parse_labels(file, number, GOLD, values, columns, unresolved)
    problems.extend(label_problems)
    if annotation is None or problems:
        return None, problems
    return replace(annotation, decided_by=str(adjudicator).strip()), []


def read_resolved(path: Path) -> list[Annotation]:
    """A filled adjudication sheet → gold records; SheetError lists every problem."""
    required = ("paper_id", "adjudicator", *(f"resolved_{name}" for name in LABEL_FIELDS))
    positions, rows, _, problems = read_rows(path, "adjudication", required)
    if problems:
        raise SheetError(problems)  # missing columns, or merged cells hiding a decision
    records: list[Annotation] = []
    first_row: dict[str, int] = {}
    for number, cells in rows:
        record, row_problems = _resolved_row(str(path), number, cells, positions)
        problems.extend(row_problems)
        if record is None:
            continue
        if record.paper_id in first_row:
            problems.append(
                SheetProblem(
                    str(path),
                    number,
                    "paper_id",
                    f"paper_id {record.paper_id!r} appears in rows "
                    f"{first_row[record.paper_id]} and {number}",
                    "keep one decision per paper",
                )
            )
        first_row[record.paper_id] = number
        records.append(record)
    if problems:
        raise SheetError(problems)
    return records


def read_gold(path: Path) -> list[Annotation]:
    """A gold CSV written by `write_annotations` (e.g. gold.partial.csv), validated."""
    required = tuple(c for c in ANNOTATION_COLUMNS if c != "notes")
    positions, rows, _, problems = read_rows(path, "", required)
    if problems:
        raise SheetError(problems)
    records = []
    for number, cells in rows:
        values = {name: cell_at(cells, positions.get(name)) for name in ANNOTATION_COLUMNS}
        annotator = str(values["annotator"] or GOLD).strip()
        record, row_problems = parse_labels(str(path), number, annotator, values)
        problems.extend(row_problems)
        if record is not None:
            records.append(replace(record, decided_by=str(values["decided_by"] or "").strip()))
    if problems:
        raise SheetError(problems)
    return records


def apply_adjudication(
    result_or_gold_path: MergeResult | Path, resolved_sheet: Path, out: Path | None = None
) -> list[Annotation]:
    """Agreed gold plus the adjudicated rows (decided_by = adjudicator), optionally written to OUT.

    >>> apply_adjudication(Path("gold.partial.csv"), Path("resolved.xlsx"))  # doctest: +SKIP
    """
    if isinstance(result_or_gold_path, MergeResult):
        base = list(result_or_gold_path.gold)
        disputed = {d.paper_id for d in result_or_gold_path.disputes}
    else:
        base, disputed = read_gold(result_or_gold_path), set()
    resolved = read_resolved(resolved_sheet)
    resolved_ids = {r.paper_id for r in resolved}
    problems = [
        SheetProblem(
            str(resolved_sheet),
            None,
            "paper_id",
            f"paper {a.paper_id!r} is already in the gold set (decided_by {a.decided_by!r})",
            "remove its row from the adjudication sheet, or from the gold set",
        )
        for a in base
        if a.paper_id in resolved_ids
    ]
    missing = sorted(disputed - resolved_ids)
    problems += [
        SheetProblem(
            str(resolved_sheet),
            None,
            "paper_id",
            f"disputed paper {paper_id!r} has no row",
            "add its row back from adjudication.xlsx and resolve it",
        )
        for paper_id in missing
    ]
    if problems:
        raise SheetError(problems)
    gold = sorted([*base, *resolved], key=lambda a: a.paper_id)
    if out is not None:
        write_annotations(out, gold)
    return gold
