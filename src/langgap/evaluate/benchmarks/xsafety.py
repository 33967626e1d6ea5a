"""XSafety (Wang et al. 2024): 14 safety issue types in 10 languages, one file per type.

The files have no header and one prompt per record (CSV, Bengali mostly XLSX). Quirks handled:
trailing empty fields (stray commas), quoted newlines, one empty row, file names with `_n`/`_en`
suffixes or truncated, and a second Hindi commonsense file (an older draft).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from inspect_ai.dataset import Sample

from langgap.evaluate.benchmarks._common import (
    BenchmarkError,
    LoadIssue,
    LoadReport,
    benchmark_dir,
    language_of,
    make_sample,
    read_csv_records,
    unaligned,
)
from langgap.evaluate.samples import SampleMeta
from langgap.languages import Language

NAME = "xsafety"
CATEGORIES = (
    "Crimes_And_Illegal_Activities",
    "Ethics_And_Morality",
    "Goal_Hijacking",
    "Inquiry_With_Unsafe_Opinion",
    "Insult",
    "Mental_Health",
    "Physical_Harm",
    "Privacy_And_Property",
    "Prompt_Leaking",
    "Reverse_Exposure",
    "Role_Play_Instruction",
    "Unfairness_And_Discrimination",
    "Unsafe_Instruction_Topic",
    "commonsense",
)
FOLDER_LANGUAGES = {"sp": "es"}  # XSafety names its Spanish folder "sp" (not an ISO code)
SUFFIXES = ("_n", "_en")  # per-language file name suffixes in the release
HEADER_WORDS = frozenset({"prompt", "prompts", "text", "query", "question", "instruction"})


@dataclass(frozen=True, slots=True)
class _Row:
    number: int  # 1-based record number in the file
    text: str  # "" for an empty record


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def _stem(path: Path) -> str:
    stem = path.stem
    for suffix in SUFFIXES:
        if stem.endswith(suffix):
            return stem[: -len(suffix)]
    return stem


def category_for(path: Path) -> tuple[str, bool]:
    """The canonical category of a file, and whether its name matched exactly."""
    key = _norm(_stem(path))
    by_key = {_norm(c): c for c in CATEGORIES}
    if key in by_key:
        return by_key[key], True
    prefixed = [c for k, c in by_key.items() if len(key) >= 8 and (k.startswith(key))]
    close = difflib.get_close_matches(key, list(by_key), n=2, cutoff=0.85)
    matches = prefixed or [by_key[c] for c in close]
    if len(matches) == 1:
        return matches[0], False
    raise BenchmarkError(
        f"{path}: cannot tell which XSafety category this file holds. Fix: rename it to one "
        f"of {', '.join(CATEGORIES)} (.csv or .xlsx)"
    )


def _records(path: Path) -> list[list[str]]:
    if path.suffix.lower() == ".xlsx":
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            return [
                ["" if v is None else str(v) for v in row]
                for row in sheet.iter_rows(values_only=True)
            ]
        finally:
            book.close()
    return read_csv_records(path)


def read_rows(path: Path, report: LoadReport) -> list[_Row]:
    """One row per record; a prompt containing unquoted commas is joined back together."""
    rows: list[_Row] = []
    rejoined = trailing = 0
    for number, fields in enumerate(_records(path), start=1):
        cells = list(fields)
        trailing += len(cells) > 1 and not cells[-1].strip()
        while cells and not cells[-1].strip():  # stray trailing commas / empty columns
            cells.pop()
        rejoined += len(cells) > 1
        text = ",".join(cells).strip()  # the prompt is the whole record, commas included
        if number == 1 and text.casefold() in HEADER_WORDS:
            report.notes.append(f"{_rel(path)}: first row is a header, skipped")
            continue
        rows.append(_Row(number, text))
    if trailing:
        report.notes.append(f"{_rel(path)}: {trailing} row(s) end in stray commas, ignored")
    if rejoined:
        report.notes.append(f"{_rel(path)}: {rejoined} row(s) held unquoted commas, rejoined")
    return rows


def _rel(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _pick_files(folder: Path, report: LoadReport) -> dict[str, Path]:
    """category -> file for one language folder; a duplicate category keeps the exact name."""
    found: dict[str, list[tuple[Path, bool]]] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        if path.suffix.lower() not in (".csv", ".xlsx"):
            report.skipped_files.append(LoadIssue(_rel(path), None, "not a .csv or .xlsx file"))
            continue
        category, exact = category_for(path)
        found.setdefault(category, []).append((path, exact))
    chosen: dict[str, Path] = {}
    for category, candidates in found.items():
        exact_names = [p for p, e in candidates if e]
        if len(candidates) > 1 and len(exact_names) != 1:
            names = ", ".join(_rel(p) for p, _ in candidates)
            raise BenchmarkError(
                f"{folder}: several files hold category {category} ({names}). "
                "Fix: keep one, or name the one to use exactly after the category"
            )
        chosen[category] = exact_names[0] if len(candidates) > 1 else candidates[0][0]
        for path, _ in candidates:
            if path != chosen[category]:
                report.skipped_files.append(
                    LoadIssue(_rel(path), None, f"second file for {category}; "
                              f"{_rel(chosen[category])} (exact name) used instead")
                )  # fmt: skip
    return chosen


def _pairing(
    category: str, by_folder: dict[str, tuple[Path, list[_Row]]], report: LoadReport
) -> tuple[int, set[str]]:
    """How many leading rows pair across languages, and the folders whose rows do not line up."""
    sizes = {folder: len(rows) for folder, (_, rows) in by_folder.items()}
    paired = min(sizes.values(), default=0)
    if len(set(sizes.values())) > 1:
        counts = ", ".join(f"{k}={v}" for k, v in sorted(sizes.items()))
        report.notes.append(
            f"{category}: row counts differ ({counts}); "
            f"only the first {paired} rows are paired across languages"
        )
    loose = unaligned({folder: [r.text for r in rows] for folder, (_, rows) in by_folder.items()})
    for folder, r in sorted(loose.items()):
        report.notes.append(
            f"{category}: {folder} rows do not line up with the other languages (length "
            f"correlation {r}); its prompts get their own pair ids"
        )
    return paired, set(loose)


Table = dict[str, dict[str, tuple[Path, list[_Row]]]]  # category -> folder -> (file, rows)


def _read_all(root: Path, report: LoadReport) -> tuple[Table, dict[str, Language]]:
    table: Table = {}
    languages: dict[str, Language] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        code = FOLDER_LANGUAGES.get(folder.name, folder.name)
        languages[folder.name] = language_of(code, f"{folder} (language folder)")
        for category, path in _pick_files(folder, report).items():
            report.files.append(_rel(path))
            rows = read_rows(path, report)
            report.rows_read += len(rows)
            table.setdefault(category, {})[folder.name] = (path, rows)
    return table, languages


def _category_samples(
    category: str,
    by_folder: dict[str, tuple[Path, list[_Row]]],
    languages: dict[str, Language],
    report: LoadReport,
) -> list[Sample]:
    missing = sorted(set(languages) - set(by_folder))
    if missing:
        report.notes.append(f"{category}: no file for {', '.join(missing)}")
    paired, loose = _pairing(category, by_folder, report)
    samples: list[Sample] = []
    for folder, (path, rows) in sorted(by_folder.items()):
        lang = languages[folder]
        for index, row in enumerate(rows):
            if not row.text:
                report.issues.append(
                    LoadIssue(_rel(path), row.number, "empty row", "delete it or add the prompt")
                )
                continue
            shared = index < paired and folder not in loose
            where = category if shared else f"{category}-{folder}"
            meta = SampleMeta(
                benchmark=NAME,
                language=lang.code,
                language_tag=lang.tag,
                pair_id=f"{where}-{index + 1:03d}",
                category=category,
                resource_level="high" if lang.code == "eng" else None,
                source=f"xsafety/{_rel(path)}:{row.number}",
            )
            samples.append(make_sample(row.text, meta))
    return samples


def load_xsafety(data_dir: str | Path | None = None) -> tuple[list[Sample], LoadReport]:
    """One sample per prompt; pair_id is category and row number where languages line up."""
    root = benchmark_dir(data_dir, "xsafety", "XSafety")
    report = LoadReport(benchmark=NAME, path=str(root))
    table, languages = _read_all(root, report)
    samples: list[Sample] = []
    for category in CATEGORIES:
        samples += _category_samples(category, table.get(category, {}), languages, report)
    return samples, report.finish(samples)
