"""Multilingual safety benchmarks as Inspect samples, with selection that keeps translations paired.

>>> samples, report = load_benchmark("multijail", languages=["bn", "English"], limit=5)
>>> len(samples), report.selected
(10, 10)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from inspect_ai.dataset import Sample

from langgap.evaluate.benchmarks import _select
from langgap.evaluate.benchmarks._common import (
    DATA_ENV,
    BenchmarkError,
    DataNotFoundError,
    LanguagesMissingError,
    LoadIssue,
    LoadReport,
    resolve_data_dir,
)
from langgap.evaluate.benchmarks.csrt import load_csrt
from langgap.evaluate.benchmarks.generic import TableFormat, load_table
from langgap.evaluate.benchmarks.multijail import load_multijail
from langgap.evaluate.benchmarks.polyrefuse import load_polyrefuse
from langgap.evaluate.benchmarks.xsafety import load_xsafety

Loader = Callable[[str | Path | None], tuple[list[Sample], LoadReport]]

BENCHMARKS: dict[str, Loader] = {
    "multijail": load_multijail,
    "xsafety": load_xsafety,
    "csrt": load_csrt,
    "polyrefuse": load_polyrefuse,
}

__all__ = [
    "BENCHMARKS",
    "DATA_ENV",
    "BenchmarkError",
    "DataNotFoundError",
    "LanguagesMissingError",
    "LoadIssue",
    "LoadReport",
    "TableFormat",
    "load_benchmark",
    "load_table",
    "resolve_data_dir",
    "select",
]


def load_benchmark(
    name_or_path: str | Path,
    *,
    data_dir: str | Path | None = None,
    languages: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    limit: int | None = None,
    sample_per_language: int | None = None,
    seed: int = 0,
    harmful: bool | None = None,
    split: str | None = None,
    table_format: TableFormat | None = None,
    skip_missing_languages: bool = False,
) -> tuple[list[Sample], LoadReport]:
    """Load a named benchmark (see BENCHMARKS) or a user table, then select samples.

    A requested language the benchmark lacks is an error, or with `skip_missing_languages` left
    out and named in `report.missing_languages` (LanguagesMissingError when none is left).
    """
    key = str(name_or_path).strip().casefold()
    if key in BENCHMARKS:
        samples, report = BENCHMARKS[key](data_dir)
    elif str(name_or_path).startswith("hf:") or Path(name_or_path).expanduser().is_file():
        samples, report = load_table(name_or_path, table_format)
    else:
        raise BenchmarkError(
            f"unknown benchmark {str(name_or_path)!r}: not one of {', '.join(BENCHMARKS)} and no "
            "such file. Fix: pass a benchmark name, a CSV/TSV/JSONL/JSON/XLSX path, or "
            "hf:owner/name"
        )
    if languages and skip_missing_languages:
        absent = _select.absent_languages(languages, samples)
        report.missing_languages = [lang.tag for _, lang in absent]
        skipped = {query for query, _ in absent}
        languages = [query for query in languages if query not in skipped]
        if not languages:
            available = _select.language_tags(samples)
            raise LanguagesMissingError(report.benchmark, report.missing_languages, available)
    chosen = select(
        samples,
        benchmark=report.benchmark,
        languages=languages,
        categories=categories,
        limit=limit,
        sample_per_language=sample_per_language,
        seed=seed,
        harmful=harmful,
        split=split,
    )
    report.selected = len(chosen)
    return chosen, report


def select(
    samples: list[Sample],
    *,
    benchmark: str = "benchmark",
    languages: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    limit: int | None = None,
    sample_per_language: int | None = None,
    seed: int = 0,
    harmful: bool | None = None,
    split: str | None = None,
) -> list[Sample]:
    """Filter, then sample per language (same pair ids everywhere), then keep the first pairs."""
    for label, value in (("limit", limit), ("sample_per_language", sample_per_language)):
        if value is not None and value < 1:
            raise BenchmarkError(f"{label} must be a positive integer, got {value}")
    full = samples  # names are checked against the whole benchmark, not what a filter left
    if split is not None:
        samples = _select.by_split(samples, split, benchmark, full)
    if harmful is not None:
        samples = _select.by_harmful(samples, harmful)
    if languages:
        samples = _select.by_languages(samples, languages, benchmark, full)
    if categories:
        samples = _select.by_categories(samples, categories, benchmark, full)
    if sample_per_language is not None:
        samples = _select.per_language(samples, sample_per_language, seed)
    if limit is not None:
        samples = _select.first_pairs(samples, limit)
    return samples
