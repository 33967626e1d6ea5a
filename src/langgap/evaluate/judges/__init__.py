"""langgap judges: refusal phrase lists, any model as a harm judge, guard models (Inspect scorers).

>>> scorer = get_judge("refusal")
"""

from __future__ import annotations

from typing import Any

from inspect_ai.scorer import Scorer

from langgap.evaluate.judge_registry import UnknownJudgeError, build_scorer
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


def get_judge(name: str, **options: Any) -> Scorer:
    """The scorer for a judge name, built with its options (e.g. `get_judge("llm", model=…)`);
    names and options come from `langgap.evaluate.judge_registry`."""
    scorer: Scorer | None = build_scorer(name, **options)
    if scorer is None:
        raise UnknownJudgeError(f"judge {name!r} scores nothing; it has no scorer")
    return scorer


__all__ = [
    "HARM_CATEGORIES",
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
