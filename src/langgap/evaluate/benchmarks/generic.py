"""Any prompt table as a langgap benchmark: CSV, TSV, JSONL, JSON, XLSX or a Hugging Face dataset.

Two layouts: *wide* (one column per language, e.g. `id,en,bn,sw`) and *long* (a language column
and a text column, e.g. `id,language,text`). Optional `id` (pairs translations), `category`,
`harmful` and `split` columns.

>>> samples, report = load_table("prompts.csv", TableFormat(layout="wide"))  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import importlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import openpyxl
from inspect_ai.dataset import Sample

from langgap.evaluate.benchmarks._common import (
    BenchmarkError,
    DataNotFoundError,
    LoadIssue,
    LoadReport,
    make_sample,
    read_text,
)
from langgap.evaluate.samples import SampleMeta
from langgap.languages import Language, suggest, try_lookup

Layout = Literal["auto", "wide", "long"]
SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".xlsx")
TEXT_COLUMNS = ("text", "prompt", "instruction", "question", "input")
LANGUAGE_COLUMNS = ("language", "lang", "language_code")
TRUE = frozenset({"1", "true", "yes", "y", "harmful", "unsafe"})
FALSE = frozenset({"0", "false", "no", "n", "harmless", "safe", "benign"})
HUB_PREFIX = "hf:"


@dataclass(frozen=True)
class TableFormat:
    """How to read a user table; None column names mean "the usual name, if present"."""

    layout: Layout = "auto"
    language_column: str | None = None  # long layout; default: language / lang
    text_column: str | None = None  # long layout; default: text / prompt / instruction / …
    id_column: str | None = None  # default: id
    category_column: str | None = None  # default: category
    harmful_column: str | None = None  # default: harmful
    split_column: str | None = None  # default: split
    ignore_columns: tuple[str, ...] = ()  # wide layout: non-language columns to leave alone
    name: str | None = None  # benchmark name in metadata; default: the file stem
    sheet: str | None = None  # XLSX sheet; default: the first
    hub_split: str = "train"  # Hugging Face split to read


@dataclass(frozen=True)
class _Table:
    label: str  # file name (or hub id) used in messages and `source`
    columns: list[str]
    rows: list[tuple[int, dict[str, Any]]]  # (1-based row or line, record)


def _read_delimited(path: Path, delimiter: str, issues: list[LoadIssue]) -> _Table:
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""), delimiter=delimiter)
    columns = [c.strip() for c in reader.fieldnames or []]
    rows: list[tuple[int, dict[str, Any]]] = []
    for record in reader:
        row_no = reader.line_num  # the record's last physical line
        extra = record.pop(None, None)
        if extra:
            issues.append(
                LoadIssue(path.name, row_no, f"{len(extra)} field(s) more than the header",
                          "quote fields that contain the delimiter")
            )  # fmt: skip
            continue
        rows.append((row_no, {(k or "").strip(): v for k, v in record.items()}))
    return _Table(path.name, columns, rows)


def _read_jsonl(path: Path, issues: list[LoadIssue]) -> _Table:
    rows: list[tuple[int, dict[str, Any]]] = []
    for line_no, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            issues.append(LoadIssue(path.name, line_no, f"not valid JSON ({err.msg})", "repair it"))
            continue
        if not isinstance(obj, dict):
            issues.append(LoadIssue(path.name, line_no, "not a JSON object", "write {...}"))
            continue
        rows.append((line_no, obj))
    return _Table(path.name, _columns_of(r for _, r in rows), rows)


def _read_json(path: Path, issues: list[LoadIssue]) -> _Table:
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as err:
        raise BenchmarkError(
            f"{path}:{err.lineno}: not valid JSON ({err.msg}). Fix: repair it"
        ) from err
    if not isinstance(data, list):
        raise BenchmarkError(
            f"{path}: expected a JSON list of objects, found {type(data).__name__}. "
            "Fix: write [{...}, ...] or use JSONL"
        )
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, obj in enumerate(data, start=1):
        if isinstance(obj, dict):
            rows.append((number, obj))
        else:
            issues.append(LoadIssue(path.name, number, "item is not a JSON object", "write {...}"))
    return _Table(path.name, _columns_of(r for _, r in rows), rows)


def _read_xlsx(path: Path, sheet: str | None) -> _Table:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise BenchmarkError(
                f"{path}: no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)}"
            )
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        values = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        book.close()
    if not values:
        return _Table(path.name, [], [])
    columns = ["" if c is None else str(c).strip() for c in values[0]]
    rows = [
        (n, {c: v for c, v in zip(columns, r, strict=False) if c})
        for n, r in enumerate(values[1:], start=2)
        if any(v is not None and str(v).strip() for v in r)  # openpyxl pads with blank rows
    ]
    return _Table(path.name, [c for c in columns if c], rows)


def _read_hub(hub_id: str, split: str) -> _Table:
    try:
        datasets: Any = importlib.import_module("datasets")
    except ImportError as err:
        raise BenchmarkError(
            f"{HUB_PREFIX}{hub_id}: reading a Hugging Face dataset needs the `datasets` "
            "library. Fix: pip install datasets, or download the data and pass the file"
        ) from err
    name, _, config = hub_id.partition(":")
    data = datasets.load_dataset(name, config or None, split=split)
    rows = [(n, dict(r)) for n, r in enumerate(data, start=1)]
    return _Table(hub_id, list(data.column_names), rows)


def _columns_of(records: Any) -> list[str]:
    return list(dict.fromkeys(k for r in records for k in r))


def read_any(source: str | Path, fmt: TableFormat, issues: list[LoadIssue]) -> _Table:
    """Read a local file by its suffix, or `hf:owner/name[:config]` from the Hugging Face hub."""
    if isinstance(source, str) and source.startswith(HUB_PREFIX):
        return _read_hub(source[len(HUB_PREFIX) :], fmt.hub_split)
    path = Path(source).expanduser()
    if not path.is_file():
        raise DataNotFoundError(
            f"dataset file not found: {path.resolve()}. Fix: check the path (for a Hugging "
            f"Face dataset write {HUB_PREFIX}owner/name)"
        )
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return _read_delimited(path, "\t" if suffix == ".tsv" else ",", issues)
    if suffix in (".jsonl", ".ndjson"):
        return _read_jsonl(path, issues)
    if suffix == ".json":
        return _read_json(path, issues)
    if suffix == ".xlsx":
        return _read_xlsx(path, fmt.sheet)
    raise BenchmarkError(
        f"{path}: unsupported file type {suffix!r}; use one of {', '.join(SUFFIXES)}"
    )


def _column(table: _Table, wanted: str | None, usual: tuple[str, ...], role: str) -> str | None:
    """The column for a role: the one asked for (which must exist) or the first usual name found."""
    by_fold = {c.casefold(): c for c in table.columns}
    if wanted is not None:
        if wanted in table.columns or wanted.casefold() in by_fold:
            return wanted if wanted in table.columns else by_fold[wanted.casefold()]
        raise BenchmarkError(
            f"{table.label}: no {role} column {wanted!r}; columns found: "
            f"{', '.join(table.columns) or '(none)'}. Fix: pass the right column name"
        )
    return next((by_fold[u] for u in usual if u in by_fold), None)


def _language_columns(table: _Table, reserved: set[str], fmt: TableFormat) -> dict[str, Language]:
    ignored = {c.casefold() for c in fmt.ignore_columns}
    out: dict[str, Language] = {}
    for column in table.columns:
        if column in reserved or column.casefold() in ignored:
            continue
        lang = try_lookup(column)
        if lang is None:
            close = suggest(column)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise BenchmarkError(
                f"{table.label}: column {column!r} is not a language{hint}. Fix: rename it to a "
                "language name or code, leave it out with ignore_columns, or use the long "
                "layout (a language column and a text column)"
            )
        clash = next((c for c, other in out.items() if other.tag == lang.tag), None)
        if clash is not None:
            raise BenchmarkError(
                f"{table.label}: columns {clash!r} and {column!r} are both {lang.name} "
                f"({lang.tag}). Fix: keep one, or ignore the other with ignore_columns"
            )
        out[column] = lang
    if not out:
        raise BenchmarkError(
            f"{table.label}: no language columns; columns found: {', '.join(table.columns)}. "
            "Fix: name columns after languages (wide), or pass language_column/text_column (long)"
        )
    return out


def _harmful(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    key = str(value).strip().casefold()
    if key in TRUE:
        return True
    return False if key in FALSE else None


def _cell(record: dict[str, Any], column: str | None) -> str:
    value = record.get(column) if column is not None else None
    return "" if value is None else str(value).strip()


@dataclass(frozen=True)
class _Roles:
    id: str | None
    category: str | None
    harmful: str | None
    split: str | None


def load_table(
    source: str | Path, fmt: TableFormat | None = None
) -> tuple[list[Sample], LoadReport]:
    """Samples from a user table (wide or long layout), with a LoadReport of every skipped row."""
    fmt = fmt or TableFormat()
    issues: list[LoadIssue] = []
    table = read_any(source, fmt, issues)
    name = fmt.name or (
        Path(table.label).stem if not str(source).startswith(HUB_PREFIX) else table.label
    )
    report = LoadReport(benchmark=name, path=str(source), files=[table.label], issues=issues)
    report.rows_read = len(table.rows) + len(issues)
    roles = _Roles(
        _column(table, fmt.id_column, ("id",), "id"),
        _column(table, fmt.category_column, ("category",), "category"),
        _column(table, fmt.harmful_column, ("harmful",), "harmful"),
        _column(table, fmt.split_column, ("split",), "split"),
    )
    lang_col = _column(table, fmt.language_column, LANGUAGE_COLUMNS, "language")
    text_col = _column(table, fmt.text_column, TEXT_COLUMNS, "text")
    long = fmt.layout == "long" or (fmt.layout == "auto" and lang_col is not None)
    if long:
        if lang_col is None or text_col is None:
            role, usual = (
                ("language", LANGUAGE_COLUMNS) if lang_col is None else ("text", TEXT_COLUMNS)
            )
            raise BenchmarkError(
                f"{table.label}: long layout needs a {role} column ({' / '.join(usual)}); "
                f"columns found: {', '.join(table.columns)}. Fix: pass {role}_column=..."
            )
        samples = _long(table, name, lang_col, text_col, roles, report)
    else:
        reserved = {c for c in (roles.id, roles.category, roles.harmful, roles.split) if c}
        samples = _wide(table, name, _language_columns(table, reserved, fmt), roles, report)
    if roles.id is None and len({s.metadata["language"] for s in samples if s.metadata}) > 1:
        report.notes.append(
            "no id column: wide rows pair by row" if not long else
            "no id column: each row is its own pair, so languages are not paired"
        )  # fmt: skip
    return samples, report.finish(samples)


def _common(
    name: str, record: dict[str, Any], row: int, roles: _Roles, label: str, report: LoadReport
) -> dict[str, Any] | None:
    """Metadata shared by every language of a row, or None when the row must be skipped."""
    harmful = True
    if roles.harmful is not None and _cell(record, roles.harmful):
        parsed = _harmful(record.get(roles.harmful))
        if parsed is None:
            report.issues.append(
                LoadIssue(label, row, "harmful must be true/false (or 1/0, yes/no)",
                          "fix the value", roles.harmful)
            )  # fmt: skip
            return None
        harmful = parsed
    return {
        "benchmark": name,
        "pair_id": _cell(record, roles.id) or f"row{row}",
        "category": _cell(record, roles.category) or None,
        "harmful": harmful,
        "split": _cell(record, roles.split) or None,
        "source": f"{label}:{row}",
    }


def _sample(text: str, lang: Language, common: dict[str, Any]) -> Sample:
    meta = SampleMeta(
        language=lang.code,
        language_tag=lang.tag,
        resource_level="high" if lang.code == "eng" else None,
        **common,
    )
    return make_sample(text, meta)


def _wide(
    table: _Table, name: str, languages: dict[str, Language], roles: _Roles, report: LoadReport
) -> list[Sample]:
    samples: list[Sample] = []
    seen: set[str] = set()
    for row, record in table.rows:
        common = _common(name, record, row, roles, table.label, report)
        if common is None:
            continue
        if common["pair_id"] in seen:
            report.issues.append(
                LoadIssue(table.label, row, f"duplicate id {common['pair_id']!r}",
                          "give each row its own id", roles.id)
            )  # fmt: skip
            continue
        seen.add(common["pair_id"])
        for column, lang in languages.items():
            text = _cell(record, column)
            if text:
                samples.append(_sample(text, lang, common))
            else:
                report.issues.append(
                    LoadIssue(table.label, row, "empty text", "fill it in", column)
                )
    return samples


def _long(
    table: _Table, name: str, lang_col: str, text_col: str, roles: _Roles, report: LoadReport
) -> list[Sample]:
    samples: list[Sample] = []
    seen: set[tuple[str, str]] = set()
    for row, record in table.rows:
        raw_lang, text = _cell(record, lang_col), _cell(record, text_col)
        lang = try_lookup(raw_lang) if raw_lang else None
        if lang is None:
            close = suggest(raw_lang) if raw_lang else []
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            report.issues.append(
                LoadIssue(table.label, row, f"unknown language {raw_lang!r}{hint}",
                          "write a language name or code", lang_col)
            )  # fmt: skip
            continue
        if not text:
            report.issues.append(LoadIssue(table.label, row, "empty text", "fill it in", text_col))
            continue
        common = _common(name, record, row, roles, table.label, report)
        if common is None:
            continue
        if (common["pair_id"], lang.tag) in seen:
            report.issues.append(
                LoadIssue(table.label, row, f"second {lang.tag} text for id {common['pair_id']!r}",
                          "give each translation its own id", roles.id)
            )  # fmt: skip
            continue
        seen.add((common["pair_id"], lang.tag))
        samples.append(_sample(text, lang, common))
    return samples
