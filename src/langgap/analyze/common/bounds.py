"""Warnings for settings that make a statistic say nothing by construction.

A refusal change measured from a base rate near 0 cannot fall (ablation on a model that never
refuses reads 0 everywhere), and one from a base rate near 1 cannot rise; the top-k share of
influence with k ≥ the training examples is just each language's share of the training set.

>>> base_rate_warnings({"eng": 0.0, "deu": 0.5})[0].startswith("base refusal rate ≤ 5% in eng")
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

NEAR = 0.05  # a base rate within this of 0 or 1 bounds the measurable change


Expected = Literal["either", "decrease", "increase"]


def base_rate_warnings(
    rates: Mapping[str, float], near: float = NEAR, expected: Expected = "either"
) -> list[str]:
    """One line per end: languages whose base refusal rate (a fraction) is ≤ near or ≥ 1 - near;
    only the end that bounds the `expected` change (ablation lowers refusal, addition raises it;
    a fine-tuning may do either)."""
    low = sorted(lang for lang, rate in rates.items() if rate <= near and expected != "increase")
    high = sorted(
        lang for lang, rate in rates.items() if rate >= 1 - near and expected != "decrease"
    )
    out = []
    if low:
        out.append(
            f"base refusal rate ≤ {near:.0%} in {', '.join(low)}: a decrease there is bounded "
            "by construction (it cannot exceed the base rate), so a change near 0 says nothing "
            "about the intervention; use a model that refuses these prompts"
        )
    if high:
        out.append(
            f"base refusal rate ≥ {1 - near:.0%} in {', '.join(high)}: an increase there is "
            "bounded by construction (at most 100% minus the base rate), so a change near 0 says "
            "nothing about the intervention"
        )
    return out


def top_k_warnings(n_train: int, k: int) -> list[str]:
    """A warning when k ≥ the training examples: every query's top k then holds all of them."""
    if n_train < 1 or k < n_train:
        return []
    return [
        f"--top {k} ≥ {n_train} training examples: every query's top-k holds all of them, so "
        "each language's top-k share equals its share of the training set whatever the scores; "
        f"use --top below {n_train} or more training examples"
    ]
