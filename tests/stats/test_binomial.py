"""Wilson intervals against the closed form; McNemar against the exact binomial."""

from __future__ import annotations

import math

import pytest

from langgap.stats import mcnemar, wilson_interval


@pytest.mark.parametrize(("k", "n"), [(0, 3), (5, 5), (3, 10), (40, 77)])
def test_wilson_matches_the_closed_form(k: int, n: int) -> None:
    z = 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    interval = wilson_interval(k, n)
    assert interval.low == pytest.approx(100 * (centre - half), abs=1e-9)
    assert interval.high == pytest.approx(100 * (centre + half), abs=1e-9)
    assert interval.value == 100 * k / n and interval.n == n and interval.method == "Wilson score"


def test_wilson_without_trials_is_nan() -> None:
    assert math.isnan(wilson_interval(0, 0).low) and not wilson_interval(0, 0).defined


def test_mcnemar_exact() -> None:
    assert mcnemar(0, 0) == 1.0
    assert mcnemar(8, 0) == pytest.approx(2 * 0.5**8)
    assert mcnemar(5, 1) == pytest.approx(2 * (6 + 1) / 64)  # P(X <= 1) doubled, X ~ B(6, 1/2)
    assert mcnemar(3, 9) == mcnemar(9, 3)
