"""Agreement of a judge with human labels per language, with bootstrap 95% intervals.

Each language reduces to six counts: human positive/negative × judge positive/negative/unclear.
"decided" figures use only the responses the judge decided; "all" figures count unclear as a
disagreement (never as correct), so a judge cannot look good by abstaining. Kappa over "all"
treats unclear as a third judge category that humans never use.

Resampling responses with replacement is the same as drawing the six counts from a multinomial
with the observed shares (`langgap.stats.resample_counts`), so 1,000 resamples cost one call per
language.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from langgap.evaluate.judge_eval.data import LABELS, View
from langgap.stats import (
    Estimate,
    generator,
    json_number,
    kappa_from_tables,
    percentile_estimate,
    resample_counts,
)

Floats = NDArray[np.float64]
Decision = Literal["positive", "negative", "unclear"]
# cell order of the six counts
TP, FN, UP, FP, TN, UN = range(6)
METRICS = ("accuracy", "precision", "recall", "f1", "kappa")
N_BOOT = 1000


@dataclass(frozen=True, slots=True)
class Judged:
    """One labelled response with the judge's decision in the item's view."""

    id: str
    language: str
    human_positive: bool
    decision: Decision
    unsupported: bool = False  # the judge said it does not cover this response's language
    reason: str = ""  # the judge's rationale (never the response text)


def _div(num: Floats, den: Floats) -> Floats:
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def metric_arrays(counts: Floats, scope: Literal["decided", "all"]) -> dict[str, Floats]:
    """Accuracy, precision, recall, F1 and kappa from (..., 6) count arrays."""
    c = [counts[..., i] for i in range(6)]
    missed = c[UP] if scope == "all" else 0.0  # unclear on a positive: a missed positive
    wrong = c[UP] + c[UN] if scope == "all" else 0.0
    decided = c[TP] + c[FN] + c[FP] + c[TN]
    if scope == "all":
        table = np.stack(
            [np.stack([c[TP], c[FN], c[UP]], -1), np.stack([c[FP], c[TN], c[UN]], -1)], -2
        )
    else:
        table = np.stack([np.stack([c[TP], c[FN]], -1), np.stack([c[FP], c[TN]], -1)], -2)
    return {
        "accuracy": _div(c[TP] + c[TN], decided + wrong),
        "precision": _div(c[TP], c[TP] + c[FP]),
        "recall": _div(c[TP], c[TP] + c[FN] + missed),
        "f1": _div(2 * c[TP], 2 * c[TP] + c[FP] + c[FN] + missed),
        "kappa": kappa_from_tables(table),
    }


def count_cells(judged: Sequence[Judged]) -> Floats:
    """The six counts of a list of judged responses."""
    cells = np.zeros(6)
    column = {"positive": 0, "negative": 1, "unclear": 2}
    for j in judged:
        cells[(0 if j.human_positive else 3) + column[j.decision]] += 1
    return cells


@dataclass(frozen=True, slots=True)
class LanguageRow:
    """A judge's agreement with humans in one language."""

    language: str
    status: Literal["ok", "unsupported"]
    n: int
    counts: tuple[int, ...]  # TP, FN, unclear-on-positive, FP, TN, unclear-on-negative
    decided: dict[str, Estimate]
    all: dict[str, Estimate]
    unclear_rate: Estimate
    n_unsupported_items: int = 0
    note: str = ""

    @property
    def n_decided(self) -> int:
        """Responses the judge decided."""
        return self.n - self.counts[UP] - self.counts[UN]

    def to_dict(self, view: View) -> dict[str, Any]:
        """JSON-able form with a labelled confusion matrix."""
        pos, neg = LABELS[view]
        c = self.counts
        return {
            "language": self.language,
            "status": self.status,
            "n": self.n,
            "n_decided": self.n_decided,
            "n_unsupported_items": self.n_unsupported_items,
            "unclear_rate": self.unclear_rate.to_dict(),
            "decided": {k: v.to_dict() for k, v in self.decided.items()},
            "all": {k: v.to_dict() for k, v in self.all.items()},
            "confusion": {
                f"human_{pos}": {pos: c[TP], neg: c[FN], "unclear": c[UP]},
                f"human_{neg}": {pos: c[FP], neg: c[TN], "unclear": c[UN]},
            },
            "note": self.note,
        }


def _estimates(point: Floats, samples: dict[str, Floats], key: str, n: int) -> Estimate:
    return percentile_estimate(
        float(point), samples[key], n, "" if not math.isnan(point) else "0/0"
    )


def language_row(
    language: str,
    judged: Sequence[Judged],
    rng: np.random.Generator,
    n_boot: int = N_BOOT,
    supported: bool = True,
) -> LanguageRow:
    """Per-language figures with bootstrap intervals (`supported=False` marks the row)."""
    counts = count_cells(judged)
    n = int(counts.sum())
    boot = resample_counts(rng, counts, n_boot)
    rows: dict[str, dict[str, Estimate]] = {}
    for scope in ("decided", "all"):
        point = metric_arrays(counts, scope)
        samples = metric_arrays(boot, scope)
        size = n if scope == "all" else int(n - counts[UP] - counts[UN])
        rows[scope] = {m: _estimates(point[m], samples, m, size) for m in METRICS}
    unclear = percentile_estimate(
        (counts[UP] + counts[UN]) / n if n else math.nan,
        (boot[:, UP] + boot[:, UN]) / max(n, 1),
        n,
    )
    unsupported = sum(j.unsupported for j in judged)
    note = "" if supported else "the judge does not cover this language; figures are indicative"
    return LanguageRow(
        language,
        "ok" if supported else "unsupported",
        n,
        tuple(int(x) for x in counts),
        rows["decided"],
        rows["all"],
        unclear,
        unsupported,
        note,
    )


@dataclass(frozen=True, slots=True)
class MetaEvaluation:
    """A judge measured against human labels in every language of a data set."""

    judge: str
    view: View
    rows: list[LanguageRow]
    overall: LanguageRow
    worst: str | None  # supported language with the lowest kappa (all), when any is defined
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "judge": self.judge,
            "view": self.view,
            "positive_class": LABELS[self.view][0],
            "worst_language": self.worst,
            "overall": self.overall.to_dict(self.view),
            "languages": [r.to_dict(self.view) for r in self.rows],
            **self.extra,
        }


def meta_evaluate(
    judge: str,
    view: View,
    judged: Sequence[Judged],
    supports: Callable[[str], bool] = lambda _: True,
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> MetaEvaluation:
    """Per-language and overall agreement; unsupported languages get explicit rows."""
    rng = generator(seed)
    by_language: dict[str, list[Judged]] = {}
    for j in judged:
        by_language.setdefault(j.language, []).append(j)
    rows = [
        language_row(lang, group, rng, n_boot, supports(lang))
        for lang, group in sorted(by_language.items())
    ]
    overall = language_row("all", judged, rng, n_boot)
    return MetaEvaluation(judge, view, rows, overall, worst_language(rows))


def worst_language(rows: Sequence[LanguageRow]) -> str | None:
    """The supported language with the lowest kappa counting unclear (ties: fewer items first)."""
    scored = [
        (r.all["kappa"].value, r.n, r.language)
        for r in rows
        if r.status == "ok" and not math.isnan(r.all["kappa"].value)
    ]
    return min(scored)[2] if scored else None


def figure(estimate: Estimate) -> str:
    """ "0.71 [0.65, 0.77]" or "n/a"."""
    value = json_number(estimate.value)
    if value is None:
        return "n/a"
    low, high = json_number(estimate.low), json_number(estimate.high)
    interval = f" [{low:.2f}, {high:.2f}]" if low is not None and high is not None else ""
    return f"{value:.2f}{interval}"
