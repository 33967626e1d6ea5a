"""Per-language calibration on a development split, reported on a held-out split.

Two kinds: a decision threshold for judges that expose a score (`Verdict.extra["score"]`, higher
= more positive), and, for judges without one (langgap's refusal judge), an abstention rule: for
each language and each reason the judge gives for `unclear`, whether to resolve it as positive,
negative, or keep abstaining. Both are chosen to maximise Cohen's kappa counting unclear as a
disagreement, and a language with fewer than `min_dev` development items uses the pooled choice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from langgap.evaluate.judge_eval.data import LabelledItem
from langgap.evaluate.judge_eval.metrics import Decision, Judged, count_cells, metric_arrays
from langgap.stats import generator

POOLED = "*"


def split_items(
    items: Sequence[LabelledItem],
    dev_fraction: float = 0.5,
    seed: int = 0,
    group: Callable[[LabelledItem], str] | None = None,
) -> tuple[list[LabelledItem], list[LabelledItem]]:
    """(development, held-out): per language, a seeded share of groups (default: the item id;
    Do-Not-Answer and RTP-LX group answers to the same prompt) goes to development."""
    if not 0 < dev_fraction < 1:
        raise ValueError(f"dev_fraction must be between 0 and 1, got {dev_fraction}")
    key = group or (lambda item: str(item.extra.get("group", item.id)))
    rng = generator(seed)  # the project's one seeded generator: the same split as before
    chosen: set[tuple[str, str]] = set()
    languages = sorted({item.language for item in items})
    for language in languages:
        groups = sorted({key(i) for i in items if i.language == language})
        order = rng.permutation(len(groups))
        take = round(dev_fraction * len(groups))
        chosen |= {(language, groups[k]) for k in order[:take]}
    dev = [i for i in items if (i.language, key(i)) in chosen]
    test = [i for i in items if (i.language, key(i)) not in chosen]
    return dev, test


def _kappa_all(judged: Sequence[Judged]) -> float:
    return float(metric_arrays(count_cells(judged), "all")["kappa"])


# --- abstention rule ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AbstentionRule:
    """How to resolve `unclear` by (language or "*", reason); unlisted reasons stay unclear."""

    resolve: dict[tuple[str, str], Decision]

    def apply(self, judged: Sequence[Judged]) -> list[Judged]:
        """The judged items with unclear decisions resolved by the rule."""
        out = []
        for j in judged:
            choice = self.resolve.get((j.language, j.reason)) or self.resolve.get(
                (POOLED, j.reason)
            )
            out.append(replace(j, decision=choice) if j.decision == "unclear" and choice else j)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "kind": "abstention",
            "rules": [
                {"language": lang, "reason": reason, "resolve_as": choice}
                for (lang, reason), choice in sorted(self.resolve.items())
            ],
        }


def _best_resolutions(judged: Sequence[Judged], min_support: int) -> dict[str, Decision]:
    current = list(judged)
    chosen: dict[str, Decision] = {}
    reasons = sorted({j.reason for j in judged if j.decision == "unclear"})
    for reason in reasons:
        support = sum(j.decision == "unclear" and j.reason == reason for j in current)
        if support < min_support:
            continue
        best: tuple[float, Decision] = (_kappa_all(current), "unclear")
        for option in ("positive", "negative"):
            trial = AbstentionRule({(POOLED, reason): option}).apply(current)
            score = _kappa_all(trial)
            if score > best[0] + 1e-9:
                best = (score, option)
        if best[1] != "unclear":
            chosen[reason] = best[1]
            current = AbstentionRule({(POOLED, reason): best[1]}).apply(current)
    return chosen


def calibrate_abstention(
    dev: Sequence[Judged], min_dev: int = 50, min_support: int = 5
) -> AbstentionRule:
    """Per-language resolutions of each unclear reason (pooled where a language has < min_dev)."""
    rule: dict[tuple[str, str], Decision] = {
        (POOLED, reason): choice for reason, choice in _best_resolutions(dev, min_support).items()
    }
    for language in sorted({j.language for j in dev}):
        group = [j for j in dev if j.language == language]
        if len(group) >= min_dev:
            own = _best_resolutions(group, min_support)
            reasons = {j.reason for j in group if j.decision == "unclear"}
            for reason in reasons:
                rule[(language, reason)] = own.get(reason, "unclear")
    return AbstentionRule(rule)


# --- thresholds -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scored:
    """A labelled item's judge score (None: the judge gave no score, counted unclear)."""

    id: str
    language: str
    human_positive: bool
    score: float | None


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Per-language decision thresholds (score ≥ threshold → positive), with a pooled fallback."""

    by_language: dict[str, float]
    pooled: float

    def apply(self, scored: Sequence[Scored]) -> list[Judged]:
        """Decisions under the thresholds."""
        return [
            Judged(
                s.id,
                s.language,
                s.human_positive,
                "unclear"
                if s.score is None
                else "positive"
                if s.score >= self.by_language.get(s.language, self.pooled)
                else "negative",
                reason="no score" if s.score is None else "",
            )
            for s in scored
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"kind": "threshold", "by_language": self.by_language, "pooled": self.pooled}


def best_threshold(scored: Sequence[Scored]) -> float:
    """The threshold with the highest kappa (unclear counted); ties take the middle one."""
    values = np.array([s.score for s in scored if s.score is not None], dtype=np.float64)
    if values.size == 0:
        return float("nan")
    candidates = np.unique(values)
    positive = np.array([s.human_positive for s in scored if s.score is not None])
    unclear = [s.human_positive for s in scored if s.score is None]
    # (candidates, n) decisions at once: count the six cells for every threshold
    above = values[None, :] >= candidates[:, None]
    cells = np.stack(
        [
            (above & positive).sum(1),
            (~above & positive).sum(1),
            np.full(candidates.size, sum(unclear)),
            (above & ~positive).sum(1),
            (~above & ~positive).sum(1),
            np.full(candidates.size, len(unclear) - sum(unclear)),
        ],
        axis=1,
    ).astype(np.float64)
    kappas = np.nan_to_num(metric_arrays(cells, "all")["kappa"], nan=-np.inf)
    best = np.flatnonzero(kappas == kappas.max())
    return float(candidates[best[len(best) // 2]])


def calibrate_thresholds(dev: Sequence[Scored], min_dev: int = 50) -> Thresholds:
    """Per-language thresholds on a development split (pooled where a language has < min_dev)."""
    pooled = best_threshold(dev)
    by_language = {}
    for language in sorted({s.language for s in dev}):
        group = [s for s in dev if s.language == language]
        if len(group) >= min_dev:
            by_language[language] = best_threshold(group)
    return Thresholds(by_language, pooled)
