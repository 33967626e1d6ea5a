"""langgap judges: refusal phrase lists, any model as a harm judge, guard models (Inspect scorers).

>>> scorer = get_judge("refusal")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inspect_ai.scorer import Scorer

from langgap.evaluate.judges.guard import guard_judge, judge_guard_output
from langgap.evaluate.judges.llm import llm_judge, parse_harm_output
from langgap.evaluate.judges.refusal import covered_languages, judge_refusal, refusal_judge
from langgap.evaluate.judges.verdicts import (
    HARM_CATEGORIES,
    Harm,
    Outcome,
    Verdict,
    refusal_rate,
    safe_rate,
    score_value,
    unclear_rate,
)

JUDGES: dict[str, Callable[..., Scorer]] = {
    "refusal": refusal_judge,
    "response": refusal_judge,  # the response classifier's other name
    "llm": llm_judge,
    "guard": guard_judge,
}


class UnknownJudgeError(ValueError):
    """No judge is registered under this name."""


def get_judge(name: str, **options: Any) -> Scorer:
    """The scorer for a judge name, built with its options (e.g. `get_judge("llm", model=…)`)."""
    if name not in JUDGES:
        raise UnknownJudgeError(f"unknown judge {name!r}; available judges: {', '.join(JUDGES)}")
    return JUDGES[name](**options)


__all__ = [
    "HARM_CATEGORIES",
    "JUDGES",
    "Harm",
    "Outcome",
    "UnknownJudgeError",
    "Verdict",
    "covered_languages",
    "get_judge",
    "guard_judge",
    "judge_guard_output",
    "judge_refusal",
    "llm_judge",
    "parse_harm_output",
    "refusal_judge",
    "refusal_rate",
    "safe_rate",
    "score_value",
    "unclear_rate",
]
