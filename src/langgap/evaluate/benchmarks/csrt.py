"""CSRT (Yoo et al. 2024): the 315 MultiJail prompts rewritten as code-switched text."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from inspect_ai.dataset import Sample

from langgap.data import entry, find
from langgap.evaluate.benchmarks._common import (
    BenchmarkError,
    LoadIssue,
    LoadReport,
    benchmark_dir,
    prompt_sample,
    read_text,
    required_file,
    row_id,
)
from langgap.evaluate.benchmarks.multijail import parse_tags
from langgap.languages import lookup

NAME = "csrt"
FILE = "csrt/csrt.csv"
COLUMNS = ("id", "category", "en", "csrt")


def load_csrt(
    data_dir: str | Path | None = None, *, english: bool = True
) -> tuple[list[Sample], LoadReport]:
    """Code-switched prompts (language "mul", variant "codeswitch") and their English originals.

    pair_id is the MultiJail id, so CSRT pairs with MultiJail samples of the same prompt.
    """
    path = required_file(benchmark_dir(data_dir, "csrt", "CSRT") / "csrt.csv", "CSRT")
    report = LoadReport(benchmark=NAME, path=str(path.parent), files=[path.name])
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise BenchmarkError(
            f"{path}: missing column(s) {', '.join(missing)}; found "
            f"{', '.join(reader.fieldnames or [])}. Fix: use the original csrt.csv"
        )
    mixed, eng = lookup("mul"), lookup("en")
    samples: list[Sample] = []
    english_by_id: dict[str, str] = {}
    for row_no, row in enumerate(reader, start=2):
        report.rows_read += 1
        pair_id = row_id(row, path.name, row_no, report)
        if pair_id is None:
            continue
        try:
            tags = parse_tags(row["category"] or "")
        except (ValueError, SyntaxError):
            tags = []
            report.issues.append(
                LoadIssue(path.name, row_no, "category is not a Python list literal; left "
                          "empty", "write it like ['violent']", "category")
            )  # fmt: skip
        extras: dict[str, Any] = {"tags": tags}  # CSRT's own labels, all of them
        english_by_id[pair_id] = (row["en"] or "").strip()
        variants = [("csrt", mixed, "codeswitch")] + ([("en", eng, "original")] if english else [])
        for column, lang, variant in variants:
            sample = prompt_sample(
                row,
                column,
                lang,
                file=path.name,
                row_no=row_no,
                fix="fill it in",
                report=report,
                benchmark=NAME,
                pair_id=pair_id,
                category=tags[0] if tags else None,
                resource_level="high" if lang.code == "eng" else None,
                variant=variant,
                source=f"{FILE}:{row_no}",
                **extras,
            )
            if sample is not None:
                samples.append(sample)
    _check_multijail_ids(data_dir, english_by_id, report)
    return samples, report.finish(samples)


def _check_multijail_ids(
    data_dir: str | Path | None, english_by_id: dict[str, str], report: LoadReport
) -> None:
    """Note how CSRT ids line up with MultiJail's (same id, same English prompt)."""
    folder = find(entry("multijail"), data_dir)  # only when already here: never fetched for this
    path = (folder or Path(".nonexistent")) / "MultiJail.csv"
    if not path.is_file():
        report.notes.append("MultiJail not found next to CSRT; id alignment not checked")
        return
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    multijail = {(r.get("id") or "").strip(): " ".join((r.get("en") or "").split()) for r in reader}
    absent = sorted(set(english_by_id) - set(multijail), key=_id_key)
    differ = sorted(
        (
            i
            for i, t in english_by_id.items()
            if i in multijail and " ".join(t.split()) != multijail[i]
        ),
        key=_id_key,
    )
    report.notes.append(
        f"{len(english_by_id) - len(absent)} of {len(english_by_id)} CSRT ids are MultiJail ids"
        + (f"; not in MultiJail: {', '.join(absent)}" if absent else "")
        + (
            f"; English text differs slightly from MultiJail for id(s) {', '.join(differ)}"
            if differ
            else ""
        )
    )


def _id_key(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (1 << 30, value)
