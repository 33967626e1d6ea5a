"""MultiJail (Deng et al. 2024): 315 harmful prompts in English and 9 human translations."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path
from typing import Any

from inspect_ai.dataset import Sample

from langgap.evaluate.benchmarks._common import (
    BenchmarkError,
    LoadIssue,
    LoadReport,
    benchmark_dir,
    language_of,
    prompt_sample,
    read_text,
    required_file,
    row_id,
)
from langgap.evaluate.samples import ResourceLevel

NAME = "multijail"
FILE = "multijail/MultiJail.csv"
NON_LANGUAGE_COLUMNS = ("id", "source", "tags")
# The MultiJail paper's own resource classes (Deng et al. 2024, Table 1), by ISO 639-3 code.
RESOURCE_LEVELS: dict[str, ResourceLevel] = {
    "eng": "high",
    "zho": "high",
    "ita": "high",
    "vie": "high",
    "ara": "medium",
    "kor": "medium",
    "tha": "medium",
    "ben": "low",
    "swa": "low",
    "jav": "low",
}


def parse_tags(raw: str) -> list[str]:
    """The `tags` cell, a Python list literal such as "['Theft', 'Weapons']"."""
    value = ast.literal_eval(raw.strip())
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ValueError("not a list of strings")
    return [t.strip() for t in value]


def load_multijail(data_dir: str | Path | None = None) -> tuple[list[Sample], LoadReport]:
    """One sample per prompt and language; pair_id is the MultiJail id."""
    path = required_file(benchmark_dir(data_dir, "multijail", "MultiJail") / "MultiJail.csv", NAME)
    report = LoadReport(benchmark=NAME, path=str(path.parent), files=[path.name])
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    columns = list(reader.fieldnames or [])
    missing = [c for c in ("id", "tags", "en") if c not in columns]
    if missing:
        raise BenchmarkError(
            f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(columns)}. "
            "Fix: use the original MultiJail.csv"
        )
    languages = {
        c: language_of(c, f"{path} column {c!r}") for c in columns if c not in NON_LANGUAGE_COLUMNS
    }
    samples: list[Sample] = []
    for row_no, row in enumerate(reader, start=2):  # the header is row 1
        report.rows_read += 1
        pair_id = row_id(row, path.name, row_no, report)
        if pair_id is None:
            continue
        try:
            tags = parse_tags(row.get("tags") or "")
        except (ValueError, SyntaxError):
            tags = []  # the prompts are still usable; the missing category is reported
            report.issues.append(
                LoadIssue(path.name, row_no, "tags is not a Python list literal; category left "
                          "empty", "write it like ['Theft']", "tags")
            )  # fmt: skip
        # extra metadata: all tags, and the red-team set the prompt came from (anthropics/openai)
        extras: dict[str, Any] = {"tags": tags, "origin": (row.get("source") or "").strip() or None}
        for column, lang in languages.items():
            sample = prompt_sample(
                row,
                column,
                lang,
                file=path.name,
                row_no=row_no,
                fix="fill in the translation",
                report=report,
                benchmark=NAME,
                pair_id=pair_id,
                category=tags[0] if tags else None,
                resource_level=RESOURCE_LEVELS.get(lang.code),
                source=f"{FILE}:{row_no}",
                **extras,
            )
            if sample is not None:
                samples.append(sample)
    return samples, report.finish(samples)
