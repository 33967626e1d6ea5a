"""Warnings for statistics that are degenerate by construction."""

from __future__ import annotations

import numpy as np

from langgap.analyze.common.bounds import base_rate_warnings, top_k_warnings
from langgap.analyze.interventions.run import TransferResult


def test_base_rates_near_zero_or_one_are_flagged() -> None:
    low, high = base_rate_warnings({"eng": 0.0, "deu": 0.05, "fra": 0.5, "zho": 0.96})
    assert low.startswith("base refusal rate ≤ 5% in deu, eng:") and "bounded" in low
    assert high.startswith("base refusal rate ≥ 95% in zho:") and "bounded" in high
    assert base_rate_warnings({"eng": 0.06, "deu": 0.94}) == []
    (only,) = base_rate_warnings({"eng": 0.0, "zho": 1.0}, expected="decrease")
    assert "in eng:" in only
    (only,) = base_rate_warnings({"eng": 0.0, "zho": 1.0}, expected="increase")
    assert "in zho:" in only


def test_top_k_warning_from_n_train_at_or_below_k() -> None:
    assert top_k_warnings(10, 9) == [] and top_k_warnings(0, 5) == []
    assert len(top_k_warnings(10, 10)) == 1 and len(top_k_warnings(3, 10)) == 1


def test_intervention_results_carry_the_warning() -> None:
    result = TransferResult(
        mode="ablate",
        layer=1,
        alpha=0.0,
        sources=["eng"],
        targets=["deu", "eng"],
        baseline=np.array([0.0, 1.0]),
        refused=np.zeros((1, 2)),
        unclear=np.zeros((1, 2), dtype=np.int64),
        baseline_unclear=np.zeros(2, dtype=np.int64),
        n={"deu": 8, "eng": 8},
        max_new_tokens=4,
        off_language=np.zeros((1, 2), dtype=np.int64),
        baseline_off_language=np.zeros(2, dtype=np.int64),
    )
    # ablation can only lower refusal: English at 100 % is no bound, German at 0 % is
    (warning,) = result.to_dict()["warnings"]
    assert warning.startswith("base refusal rate ≤ 5% in deu:")
    result.mode = "add"  # addition can only raise it: the other way round
    (warning,) = result.to_dict()["warnings"]
    assert warning.startswith("base refusal rate ≥ 95% in eng:")
