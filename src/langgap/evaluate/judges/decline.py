"""Learned "declined or not" models for the response classifier's replies in one language each
(the languages with human refusal labels beyond English: MSTS's ten).

The cue model was fitted on Do-Not-Answer, whose annotators read "it is dangerous and illegal
to…" or "you should not…" as cautioning; MSTS's annotators count such replies as declines
(1.1, rejection or rebuttal). A `DeclineModel` is a binary logistic regression over the cue
features, the cue model's own log-odds of the declined family (refused, refuted,
cannot_answer), and the presence of terms of the reply's opening (`_terms`: words and word
pairs, or character n-grams). Where the cue model is uncertain (its P(declined) within
[gate, 1 - gate]) it picks the side, declined or answered; the cue model still picks the action
within that side.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langgap.evaluate.judges._terms import ANALYSERS, Analyser, TermFinder

LOG_ODDS_FEATURE = "cue_model_declined_log_odds"
LOG_ODDS_CAP = 30.0  # log-odds beyond this say nothing more (and stay finite)


@dataclass(frozen=True, slots=True)
class DeclineModel:
    """Declined or not, for replies whose language is `language` (see the module's doc)."""

    language: str  # ISO 639-3 code of the replies it reads
    analyser: Analyser
    max_chars: int  # terms are taken from the normalised reply's first max_chars characters
    sizes: tuple[int, int]  # shortest and longest character n-gram (analyser "chars")
    intercept: float
    weights: tuple[float, ...]  # over the cue features, then LOG_ODDS_FEATURE
    terms: dict[str, float]  # term -> its weight towards "declined"
    gate: float  # consulted where the cue model's P(declined) lies in [gate, 1 - gate]
    _finder: TermFinder = field(init=False, repr=False, compare=False)
    _term_weights: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _bound: float = field(init=False, repr=False, compare=False)  # |log-odds| it is consulted to

    def __post_init__(self) -> None:
        if self.analyser not in ANALYSERS:
            raise ValueError(f"unknown analyser {self.analyser!r}; use one of {ANALYSERS}")
        if not 0 <= self.gate < 0.5:  # at 0.5 or more [gate, 1 - gate] is empty
            raise ValueError(f"gate {self.gate} is not within [0, 0.5)")
        finder = TermFinder(list(self.terms), self.analyser, self.max_chars)
        object.__setattr__(self, "_finder", finder)
        object.__setattr__(self, "_term_weights", tuple(self.terms.values()))
        bound = math.inf if self.gate <= 0 else math.log((1 - self.gate) / self.gate)
        object.__setattr__(self, "_bound", bound)

    def consulted(self, cue_log_odds: float) -> bool:
        """Whether the cue model is uncertain enough for this model to decide."""
        return abs(cue_log_odds) <= self._bound

    def log_odds(self, row: Sequence[float], cue_log_odds: float, text: str) -> float:
        """This model's log-odds of "declined" for a feature row, the cue model's own
        (`ResponseModel.declined_log_odds`, bounded) and the normalised reply."""
        weights = self.weights
        score = self.intercept + weights[-1] * cue_log_odds
        score += sum(weights[i] * x for i, x in enumerate(row) if x)
        term_weights = self._term_weights
        return score + sum(term_weights[i] for i in self._finder.found(text))

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "language": self.language,
            "analyser": self.analyser,
            "max_chars": self.max_chars,
            "sizes": list(self.sizes),
            "gate": self.gate,
            "intercept": self.intercept,
            "weights": list(self.weights),
            "terms": dict(self.terms),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], n_features: int, where: str) -> DeclineModel:
        """Read `to_dict`'s form, checking its fields and its width against the cue features."""
        name = f"{where}: the decline model for {data.get('language')!r}"
        try:
            weights = tuple(float(x) for x in data["weights"])
            if len(weights) != n_features + 1:
                raise ValueError(
                    f"{len(weights)} weights, not {n_features + 1} (the cue features and "
                    f"{LOG_ODDS_FEATURE})"
                )
            low, high = (int(x) for x in data["sizes"])
            return cls(
                str(data["language"]),
                data["analyser"],
                int(data["max_chars"]),
                (low, high),
                float(data["intercept"]),
                weights,
                {str(term): float(w) for term, w in data["terms"].items()},
                float(data["gate"]),
            )
        except KeyError as missing:
            problem = f"no field {missing}"
        except (TypeError, ValueError) as error:
            problem = str(error)
        raise ValueError(f"{name}: {problem}; rebuild it with `langgap judge learn-response`")


def clip_log_odds(value: float) -> float:
    """Log-odds within ±LOG_ODDS_CAP."""
    return max(-LOG_ODDS_CAP, min(LOG_ODDS_CAP, value))


def log_sum_exp(values: Sequence[float]) -> float:
    """log(sum(exp(v))) without overflow."""
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))
