"""Shared pieces of the benchmark loaders: load reports, errors, data folders, sample building."""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspect_ai.dataset import Sample

from langgap.data import DATA_ENV as DATA_ENV
from langgap.data import DataUnavailableError, dataset_dir, roots
from langgap.evaluate.samples import SampleMeta
from langgap.languages import Language, lookup

# Log-length correlation below which two "parallel" files are treated as unaligned: aligned
# translations in the shipped benchmarks score 0.67-0.98, a shuffled file about 0.0.
PARALLEL_MIN_CORRELATION = 0.3


class BenchmarkError(ValueError):
    """Input that cannot be loaded at all; the message names the file, row or field and the fix."""


class DataNotFoundError(BenchmarkError, FileNotFoundError):
    """A benchmark's files are not where langgap looked."""


class LanguagesMissingError(BenchmarkError):
    """None of the requested languages is in the benchmark (raised when missing ones are skipped,
    so that a run over several benchmarks can leave this one out)."""

    def __init__(self, benchmark: str, missing: list[str], available: list[str]) -> None:
        self.benchmark = benchmark
        self.missing = missing  # the requested language tags, none of them in the benchmark
        self.available = available  # the benchmark's language tags
        super().__init__(
            f"{benchmark} has none of the languages {', '.join(missing)}; its languages: "
            f"{', '.join(available)}"
        )


@dataclass(frozen=True, slots=True)
class LoadIssue:
    """A row or file that could not be used: reported in the LoadReport, never silently dropped."""

    file: str
    row: int | None  # 1-based row or line as an editor shows it; None for a whole file
    message: str
    fix: str = ""
    field: str | None = None

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}:{self.row}"
        if self.field:
            where = f"{where} [{self.field}]"
        return f"{where}: {self.message}" + (f". Fix: {self.fix}" if self.fix else "")


@dataclass
class LoadReport:
    """What a loader read and made; counts and ids only, never prompt text."""

    benchmark: str
    path: str
    files: list[str] = field(default_factory=list)  # files read
    rows_read: int = 0
    samples_made: int = 0
    issues: list[LoadIssue] = field(default_factory=list)  # rows that could not be parsed
    skipped_files: list[LoadIssue] = field(default_factory=list)  # files left out, with why
    notes: list[str] = field(default_factory=list)  # quirks handled (stray commas, unpaired rows)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # language tag -> category -> n
    selected: int | None = None  # samples left after selection (load_benchmark)
    # requested language tags the benchmark lacks, left out (load_benchmark(skip_missing=True))
    missing_languages: list[str] = field(default_factory=list)

    def finish(self, samples: list[Sample]) -> LoadReport:
        """Record the samples made and their counts per language and category."""
        self.samples_made = len(samples)
        self.issues.sort(key=lambda i: (i.file, i.row or 0))  # readers report in varying order
        self.counts = count_samples(samples)
        return self

    def summary(self) -> str:
        """A short plain-text account (counts, files, issues) safe to print."""
        lines = [
            f"{self.benchmark}: {self.rows_read} rows read from {len(self.files)} file(s) "
            f"under {self.path}, {self.samples_made} samples made"
            + (f", {self.selected} selected" if self.selected is not None else "")
        ]
        for lang, cats in sorted(self.counts.items()):
            lines.append(f"  {lang}: {sum(cats.values())} samples in {len(cats)} categories")
        lines += [f"  note: {n}" for n in self.notes]
        lines += [f"  skipped file: {s}" for s in self.skipped_files]
        lines += [f"  issue: {i}" for i in self.issues]
        return "\n".join(lines)


def count_samples(samples: list[Sample]) -> dict[str, dict[str, int]]:
    """language tag -> category -> number of samples."""
    counter: Counter[tuple[str, str]] = Counter()
    for s in samples:
        meta = s.metadata or {}
        counter[(str(meta.get("language_tag")), str(meta.get("category")))] += 1
    out: dict[str, dict[str, int]] = {}
    for (lang, cat), n in sorted(counter.items()):
        out.setdefault(lang, {})[cat] = n
    return out


def sample_id(meta: SampleMeta) -> str:
    """Unique sample id: benchmark:pair_id:language_tag, plus the variant when not original."""
    base = f"{meta.benchmark}:{meta.pair_id}:{meta.language_tag}"
    return base if meta.variant == "original" else f"{base}:{meta.variant}"


def make_sample(text: str, meta: SampleMeta) -> Sample:
    """An Inspect sample whose metadata follows the SampleMeta contract."""
    return Sample(input=text, id=sample_id(meta), metadata=meta.as_metadata())


def row_id(row: Mapping[str, str | None], file: str, row_no: int, report: LoadReport) -> str | None:
    """The row's stripped `id`, or None with an "empty id" issue added to the report."""
    pair_id = (row.get("id") or "").strip()
    if not pair_id:
        report.issues.append(LoadIssue(file, row_no, "empty id", "give the row its id", "id"))
        return None
    return pair_id


def prompt_sample(
    row: Mapping[str, str | None],
    column: str,
    lang: Language,
    *,
    file: str,
    row_no: int,
    fix: str,
    report: LoadReport,
    **meta: Any,
) -> Sample | None:
    """The prompt in row[column] as a sample (meta: the other SampleMeta fields), or None with
    an "empty prompt" issue (its fix: `fix`) added to the report."""
    text = (row.get(column) or "").strip()
    if not text:
        report.issues.append(LoadIssue(file, row_no, "empty prompt", fix, column))
        return None
    return make_sample(text, SampleMeta(language=lang.code, language_tag=lang.tag, **meta))


def resolve_data_dir(data_dir: str | Path | None) -> Path:
    """The folder data sets are looked for in first: data_dir, else $LANGGAP_DATA_DIR, else
    ../shared/data from the current directory when present, else the user data directory."""
    return roots(data_dir)[0].path


def benchmark_dir(data_dir: str | Path | None, folder: str, name: str) -> Path:
    """The benchmark's folder, fetched on first use (see `langgap.data`), or a
    DataNotFoundError saying where we looked, the URL tried and how to fix it."""
    try:
        return dataset_dir(folder, data_dir)
    except DataUnavailableError as error:
        raise DataNotFoundError(str(error)) from None


def required_file(path: Path, name: str) -> Path:
    """path, or a DataNotFoundError naming it."""
    if not path.is_file():
        raise DataNotFoundError(
            f"{name} data file not found: {path.resolve()}. Fix: point data_dir (or "
            f"${DATA_ENV}) at the folder that holds the {name} data"
        )
    return path


def read_text(path: Path) -> str:
    """UTF-8 text (a byte-order mark is dropped), or a BenchmarkError naming the byte offset."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise BenchmarkError(
            f"{path}: not UTF-8 (byte {err.start}). Fix: re-save the file as UTF-8"
        ) from err


def read_csv_records(path: Path, delimiter: str = ",") -> list[list[str]]:
    """All CSV records (quoted newlines kept inside their field)."""
    return list(csv.reader(io.StringIO(read_text(path), newline=""), delimiter=delimiter))


def language_of(code: str, where: str) -> Language:
    """The registry's language for a dataset's code, or a BenchmarkError naming its origin."""
    try:
        return lookup(code)
    except ValueError as err:
        raise BenchmarkError(f"{where}: {err}. Fix: rename it to a language name or code") from err


def _correlation(xs: list[float], ys: list[float]) -> float:
    n = min(len(xs), len(ys))
    if n < 3:
        return 1.0  # too few rows to judge; trust the positions
    xs, ys = xs[:n], ys[:n]
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy) if sxx and syy else 1.0


def length_correlation(a: list[str], b: list[str]) -> float:
    """Pearson correlation of log text lengths row by row: high when two files are aligned."""
    return _correlation([math.log1p(len(t)) for t in a], [math.log1p(len(t)) for t in b])


def unaligned(texts: dict[str, list[str]]) -> dict[str, float]:
    """Languages whose rows do not line up with the others' (leave-one-out length correlation).

    Translations keep their source's relative length, so row-by-row log lengths of aligned
    files correlate strongly; a file in another order does not.
    """
    if len(texts) < 3:
        return {}  # with two files we cannot tell which one is out of order
    logs = {k: [math.log1p(len(t)) for t in v] for k, v in texts.items()}
    out: dict[str, float] = {}
    for lang, xs in logs.items():
        others = [v for k, v in logs.items() if k != lang]
        n = min(len(xs), *(len(o) for o in others))
        reference = [sum(o[i] for o in others) / len(others) for i in range(n)]
        r = _correlation(xs[:n], reference)
        if r < PARALLEL_MIN_CORRELATION:
            out[lang] = round(r, 2)
    return out
