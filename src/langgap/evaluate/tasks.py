"""Inspect tasks: `inspect eval langgap/multijail -T languages=bn,sw -T sample_per_language=50`.

Task parameters arrive from `-T` as strings, lists (comma-separated values) or YAML scalars; each
is normalised here before it reaches `load_benchmark`.
"""

from __future__ import annotations

import logging
from dataclasses import asdict

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.scorer import Metric, Scorer
from inspect_ai.solver import generate

from langgap.evaluate.benchmarks import (
    BenchmarkError,
    LoadReport,
    TableFormat,
    load_benchmark,
)
from langgap.evaluate.coverage import PLANNED_KEY, planned_counts
from langgap.evaluate.judge_registry import (
    build_scorer,
    choices_text,
    find_judge,
    judge_names,
    measure_of,
)
from langgap.evaluate.metrics import langgap_metrics

logger = logging.getLogger(__name__)

Names = str | list[str] | None


def resolve_judge(name: str) -> Scorer | None:
    """The scorer for a judge a task takes as `-T judge=` (see `judge_registry`); None: none."""
    entry = find_judge(name)
    if entry is None:
        takes = choices_text(judge_names(task_argument=True))
        raise BenchmarkError(
            f"unknown judge {name!r}; a task takes {takes}. Fix: pass one of them, "
            "e.g. -T judge=refusal (model judges: `langgap eval run --judge`)"
        )
    if not entry.task_argument:
        raise BenchmarkError(
            f"judge {entry.name!r} needs a model, so a task cannot take it as -T judge=. Fix: "
            f"`langgap eval run --judge {entry.name} --judge-model MODEL …`"
        )
    scorer: Scorer | None = build_scorer(entry.name)
    return scorer


def _names(value: Names | int) -> list[str] | None:
    """`-T languages=bn,sw` arrives as a list, `-T languages=bn` as a str; both become a list."""
    if value is None or value == "":
        return None
    items = value if isinstance(value, list) else str(value).split(",")
    names = [str(v).strip() for v in items if str(v).strip()]
    return names or None


def _int(value: int | str | None, label: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as err:
        raise BenchmarkError(
            f"-T {label} must be an integer, got {value!r}. Fix: pass a whole number, "
            f"e.g. -T {label}=50"
        ) from err


def _harmful(value: bool | str | None) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    key = value.strip().casefold()
    choices = {"true": True, "harmful": True, "false": False, "harmless": False, "all": None}
    if key not in choices:
        raise BenchmarkError(
            f"-T harmful must be true, false or all, got {value!r}. Fix: -T harmful=true "
            "(harmful prompts), false (harmless) or all"
        )
    return choices[key]


def _task(
    benchmark: str,
    languages: Names,
    categories: Names,
    limit: int | str | None,
    sample_per_language: int | str | None,
    seed: int | str,
    *,
    data_dir: str | None,
    judge: str,
    harmful: bool | str | None = None,
    split: str | None = None,
    table_format: TableFormat | None = None,
    missing_languages: str = "error",
) -> Task:
    """The shared body of the @task functions: normalise the `-T` selection, load, build."""
    if missing_languages not in ("error", "skip"):
        raise BenchmarkError(
            f"-T missing_languages must be error or skip, got {missing_languages!r}. Fix: "
            "-T missing_languages=skip leaves out requested languages the benchmark lacks"
        )
    samples, report = load_benchmark(
        benchmark,
        data_dir=data_dir,
        languages=_names(languages),
        categories=_names(categories),
        limit=_int(limit, "limit"),
        sample_per_language=_int(sample_per_language, "sample_per_language"),
        seed=_int(seed, "seed") or 0,
        harmful=_harmful(harmful),
        split=split or None,
        table_format=table_format,
        skip_missing_languages=missing_languages == "skip",
    )
    return build_task(samples, report, judge)


def build_task(samples: list[Sample], report: LoadReport, judge: str = "refusal") -> Task:
    """An Inspect task over loaded samples: generate, then the chosen judge."""
    if not samples:
        raise BenchmarkError(
            f"{report.benchmark}: the selection left no samples ({report.samples_made} loaded). "
            "Fix: check -T languages/categories against the benchmark's languages and "
            "categories, or widen -T harmful/split/limit"
        )
    if report.issues or report.skipped_files:
        logger.warning(
            "%s: %d row(s) and %d file(s) could not be used; see the task's load_report metadata",
            report.benchmark,
            len(report.issues),
            len(report.skipped_files),
        )
    # Per-language figures and the worst language, live in Inspect's log and viewer, named for
    # what the judge measures (a refusal judge gives a refusal rate, not harmlessness).
    metrics: list[Metric | dict[str, list[Metric]]] = [*langgap_metrics(measure_of(judge))]
    return Task(
        dataset=MemoryDataset(samples, name=report.benchmark),
        solver=generate(),
        scorer=resolve_judge(judge),
        metrics=metrics,
        # the plan per language: a report over a log cut short says how much of it ran
        metadata={
            "benchmark": report.benchmark,
            "load_report": asdict(report),
            PLANNED_KEY: planned_counts(s.metadata for s in samples),
        },
    )


@task
def multijail(
    languages: Names = None,
    categories: Names = None,
    limit: int | str | None = None,
    sample_per_language: int | str | None = None,
    seed: int | str = 0,
    data_dir: str | None = None,
    judge: str = "refusal",
    missing_languages: str = "error",
) -> Task:
    """MultiJail: 315 harmful prompts in 10 languages."""
    return _task("multijail", languages, categories, limit, sample_per_language, seed,
                 data_dir=data_dir, judge=judge, missing_languages=missing_languages)  # fmt: skip


@task
def xsafety(
    languages: Names = None,
    categories: Names = None,
    limit: int | str | None = None,
    sample_per_language: int | str | None = None,
    seed: int | str = 0,
    data_dir: str | None = None,
    judge: str = "refusal",
    missing_languages: str = "error",
) -> Task:
    """XSafety: 14 safety issue types in 10 languages."""
    return _task("xsafety", languages, categories, limit, sample_per_language, seed,
                 data_dir=data_dir, judge=judge, missing_languages=missing_languages)  # fmt: skip


@task
def csrt(
    languages: Names = None,
    categories: Names = None,
    limit: int | str | None = None,
    sample_per_language: int | str | None = None,
    seed: int | str = 0,
    data_dir: str | None = None,
    judge: str = "refusal",
    missing_languages: str = "error",
) -> Task:
    """CSRT: code-switched MultiJail prompts (language "mul") with their English originals."""
    return _task("csrt", languages, categories, limit, sample_per_language, seed,
                 data_dir=data_dir, judge=judge, missing_languages=missing_languages)  # fmt: skip


@task
def polyrefuse(
    languages: Names = None,
    categories: Names = None,
    limit: int | str | None = None,
    sample_per_language: int | str | None = None,
    seed: int | str = 0,
    harmful: bool | str | None = None,
    split: str | None = "test",
    data_dir: str | None = None,
    judge: str = "refusal",
    missing_languages: str = "error",
) -> Task:
    """PolyRefuse: harmful and harmless instructions in 14 languages (test split by default)."""
    return _task("polyrefuse", languages, categories, limit, sample_per_language, seed,
                 data_dir=data_dir, judge=judge, harmful=harmful, split=split,
                 missing_languages=missing_languages)  # fmt: skip


@task
def dataset(
    path: str,
    layout: str = "auto",
    language_column: str | None = None,
    text_column: str | None = None,
    id_column: str | None = None,
    category_column: str | None = None,
    harmful_column: str | None = None,
    ignore_columns: Names = None,
    name: str | None = None,
    languages: Names = None,
    categories: Names = None,
    limit: int | str | None = None,
    sample_per_language: int | str | None = None,
    seed: int | str = 0,
    harmful: bool | str | None = None,
    split: str | None = None,
    judge: str = "refusal",
    missing_languages: str = "error",
) -> Task:
    """Any prompt table (CSV/TSV/JSONL/JSON/XLSX or hf:owner/name), wide or long layout."""
    if layout not in ("auto", "wide", "long"):
        raise BenchmarkError(
            f"-T layout must be auto, wide or long, got {layout!r}. Fix: -T layout=auto detects it"
        )
    fmt = TableFormat(
        layout=layout,  # type: ignore[arg-type]  # checked just above
        language_column=language_column,
        text_column=text_column,
        id_column=id_column,
        category_column=category_column,
        harmful_column=harmful_column,
        ignore_columns=tuple(_names(ignore_columns) or ()),
        name=name,
    )
    return _task(path, languages, categories, limit, sample_per_language, seed, data_dir=None,
                 judge=judge, harmful=harmful, split=split, table_format=fmt,
                 missing_languages=missing_languages)  # fmt: skip
