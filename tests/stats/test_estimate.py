"""The one interval type and percentile intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from langgap.stats import Estimate, json_number, percentile_estimate, percentile_interval, tails


def test_tails_are_exact_for_common_levels() -> None:
    assert tails(0.95) == (2.5, 97.5)
    assert tails(0.9) == pytest.approx((5.0, 95.0))


def test_percentile_interval_is_numpys_linear_percentile() -> None:
    samples = np.random.default_rng(3).normal(size=999)
    assert percentile_interval(samples) == tuple(np.percentile(samples, [2.5, 97.5]))


def test_undefined_resamples_are_left_out_and_counted() -> None:
    samples = np.array([np.nan] * 3 + list(range(97)), dtype=float)
    estimate = percentile_estimate(50.0, samples, n=10, note="base")
    assert estimate.note == "base; 3 of 100 resamples undefined, left out"
    assert (estimate.low, estimate.high) == percentile_interval(np.arange(97.0))
    assert estimate.n_boot == 100


def test_undefined_value_and_no_resamples() -> None:
    assert not percentile_estimate(math.nan, np.arange(5.0), 5).defined
    none = percentile_estimate(1.0, np.array([]), 5)
    assert none.defined and math.isnan(none.low) and none.note == "no bootstrap"
    all_nan = percentile_estimate(1.0, np.array([np.nan, np.nan]), 5)
    assert all_nan.note == "no bootstrap resample was defined"


def test_json_forms() -> None:
    e = Estimate(0.5, 0.25, math.inf, 8, "x", n_boot=100)
    assert e.to_dict() == {"value": 0.5, "ci95": [0.25, None], "n": 8, "note": "x"}
    assert e.interval_dict() == {
        "low": 0.25,
        "high": math.inf,
        "level": 0.95,
        "n_boot": 100,
        "method": "percentile bootstrap",
    }
    assert json_number(math.nan) is None and json_number(-math.inf) is None
