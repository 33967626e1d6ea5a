"""How much of a planned run the logs hold: a run cut short says so, per language.

A log whose run stopped before its end (Inspect status `started`: killed; `cancelled`: Ctrl-C)
holds only the samples finished by then. Each langgap task records how many samples it plans per
language (task metadata `samples_per_language`, keyed like the report's rows), so the report can
say "incomplete: 6 of 20 samples" for each language instead of silently scoring the 6.

>>> Coverage(6, 20).text
'incomplete: 6 of 20 samples'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspect_ai.log import read_eval_log

from langgap.evaluate.metrics import row_key
from langgap.evaluate.results import UNFINISHED, SampleResult

PLANNED_KEY = "samples_per_language"  # task metadata: row key -> samples the task runs
ALL_LANGUAGES = ""  # the key when a log does not record its plan per language


@dataclass(frozen=True, slots=True)
class Coverage:
    """Samples that ran (scored or errored) against those planned, for one model and language."""

    ran: int
    planned: int

    @property
    def incomplete(self) -> bool:
        """True when fewer samples ran than were planned."""
        return self.ran < self.planned

    @property
    def text(self) -> str:
        """`incomplete: k of n samples`, or `complete: n samples`."""
        if self.incomplete:
            return f"incomplete: {self.ran} of {self.planned} samples"
        return f"complete: {self.planned} samples"


def planned_counts(metadata: Iterable[Mapping[str, Any] | None]) -> dict[str, int]:
    """Samples per row key ("ben", "ara/arabizi") from the samples' langgap metadata."""
    counts: Counter[str] = Counter()
    for meta in metadata:
        meta = meta or {}
        counts[row_key(str(meta.get("language", "und")), str(meta.get("variant", "original")))] += 1
    return dict(sorted(counts.items()))


def incomplete_runs(
    logs: Sequence[Path], results: Sequence[SampleResult]
) -> dict[str, dict[str, Coverage]]:
    """Model -> row key -> coverage, for every model with a log cut short (only its incomplete
    languages). Samples that ran are counted once each, whatever the number of scorers."""
    ran: Counter[tuple[str, str, str]] = Counter()  # (log, model, key) -> samples
    seen: set[tuple[str | None, str, int, str]] = set()
    for row in results:
        sample = (row.source, row.sample_id, row.epoch, row.model)
        if sample not in seen:
            seen.add(sample)
            ran[(str(row.source), row.model, row_key(row.language, row.variant))] += 1
    planned: dict[str, Counter[str]] = {}
    done: dict[str, Counter[str]] = {}
    for path in logs:
        header = read_eval_log(str(path), header_only=True)
        if header.status not in UNFINISHED:
            continue
        model, epochs = header.eval.model, header.eval.config.epochs or 1
        plan = (header.eval.metadata or {}).get(PLANNED_KEY)
        held = {k: n for (src, m, k), n in ran.items() if src == str(path) and m == model}
        if not isinstance(plan, Mapping):  # an older log: its plan is only the sample ids
            plan = {ALL_LANGUAGES: len(header.eval.dataset.sample_ids or [])}
            held = {ALL_LANGUAGES: sum(held.values())}
        for key, n in plan.items():
            planned.setdefault(model, Counter())[str(key)] += int(n) * epochs
            done.setdefault(model, Counter())[str(key)] += held.get(str(key), 0)
    out: dict[str, dict[str, Coverage]] = {}
    for model, keys in planned.items():
        found = {k: Coverage(done[model][k], n) for k, n in sorted(keys.items())}
        out[model] = {k: c for k, c in found.items() if c.incomplete}
    return {model: keys for model, keys in out.items() if keys}


def coverage_line(keys: Mapping[str, Coverage]) -> str:
    """One model's incomplete languages in one line: `ben incomplete: 6 of 20 samples; …`."""
    return "; ".join(f"{key or 'all languages'} {c.text}" for key, c in keys.items())


__all__ = ["PLANNED_KEY", "UNFINISHED", "Coverage", "coverage_line", "incomplete_runs",
           "planned_counts", "total"]  # fmt: skip


def total(keys: Mapping[str, Coverage]) -> Coverage:
    """The coverage of several languages together."""
    return Coverage(sum(c.ran for c in keys.values()), sum(c.planned for c in keys.values()))
