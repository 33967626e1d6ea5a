"""Estimates with bootstrap intervals: batched Cohen's kappa, Krippendorff's alpha and means.

Point estimates come from scikit-learn and `krippendorff`; the bootstrap recomputes the same
statistics from count tables for all resamples at once, because 1,000 resamples × pairs × fields
of library calls would take minutes. Resampling draws papers with replacement; a resample is a
row of weights (how often each paper was drawn), so every statistic is a matrix product.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import krippendorff
import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import cohen_kappa_score  # type: ignore[import-untyped]

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]

KAPPA_UNDEFINED = "undefined: both sides gave every paper the same single label"
ALPHA_UNDEFINED = "undefined: every paper got the same single label"
ALPHA_UNPAIRED = "undefined: no paper was labelled by two annotators"


@dataclass(frozen=True, slots=True)
class Estimate:
    """A statistic with its 95% bootstrap interval and the number of papers behind it."""

    value: float  # NaN when undefined; `note` then says why
    low: float
    high: float
    n: int
    note: str = ""

    @property
    def defined(self) -> bool:
        """Is the point estimate a number?"""
        return not math.isnan(self.value)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: NaN becomes None."""
        return {
            "value": json_number(self.value),
            "ci95": [json_number(self.low), json_number(self.high)],
            "n": self.n,
            "note": self.note,
        }


def json_number(value: float) -> float | None:
    """A float for JSON: NaN and infinities become None."""
    return None if math.isnan(value) or math.isinf(value) else float(value)


def resample_weights(rng: np.random.Generator, n: int, n_boot: int) -> Floats:
    """(n_boot, n) matrix: how many times each of n papers is drawn in each resample."""
    draws = rng.integers(0, n, size=(n_boot, n))
    offsets = np.arange(n_boot)[:, None] * n
    counts = np.bincount((draws + offsets).ravel(), minlength=n_boot * n)
    return counts.reshape(n_boot, n).astype(np.float64)


def from_samples(value: float, samples: Floats, n: int, note: str = "") -> Estimate:
    """An estimate with the 2.5–97.5 percentile interval of its bootstrap samples."""
    if math.isnan(value):
        return Estimate(math.nan, math.nan, math.nan, n, note)
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        extra = "no bootstrap resample was defined" if samples.size else "no bootstrap"
        return Estimate(value, math.nan, math.nan, n, _join(note, extra))
    undefined = samples.size - finite.size
    if undefined:
        # A resample can repeat one label for every paper; it is left out, and the report says so.
        note = _join(note, f"{undefined} of {samples.size} resamples undefined, left out")
    low, high = np.percentile(finite, [2.5, 97.5])
    return Estimate(value, float(low), float(high), n, note)


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def encode(values: Sequence[str], domain: Sequence[str]) -> Ints:
    """Values as indices into domain (every value must be in it)."""
    index = {v: i for i, v in enumerate(domain)}
    return np.array([index[v] for v in values], dtype=np.int64)


# --- Cohen's kappa -------------------------------------------------------------------------


def kappa_from_tables(tables: Floats) -> Floats:
    """Cohen's kappa of each (k, k) confusion table in a (..., k, k) stack; NaN where undefined."""
    n = tables.sum(axis=(-2, -1))
    agree = np.trace(tables, axis1=-2, axis2=-1)
    chance = (tables.sum(axis=-1) * tables.sum(axis=-2)).sum(axis=-1)
    # kappa = 1 - (n - agree) / (n - chance/n); counts are whole numbers, so == 0 is exact.
    denominator = n * n - chance
    out = np.full(np.shape(n), np.nan)
    ok = denominator != 0
    np.divide(n * (n - agree), denominator, out=out, where=ok)
    return np.where(ok, 1.0 - out, np.nan)


def pair_tables(a: Ints, b: Ints, k: int, weights: Floats) -> Floats:
    """(n_boot, k, k) confusion tables of codes a against b under each row of weights."""
    cells = np.zeros((a.size, k * k))
    cells[np.arange(a.size), a * k + b] = 1.0
    return (weights @ cells).reshape(-1, k, k)


def kappa(a: Sequence[str], b: Sequence[str], domain: Sequence[str], weights: Floats) -> Estimate:
    """Cohen's kappa of two label lists (sklearn) with a bootstrap interval over `weights`."""
    with warnings.catch_warnings():
        # sklearn warns and returns NaN when kappa is undefined; the note says it instead.
        warnings.simplefilter("ignore")
        value = float(cohen_kappa_score(list(a), list(b), labels=list(domain)))
    note = KAPPA_UNDEFINED if math.isnan(value) else ""
    tables = pair_tables(encode(a, domain), encode(b, domain), len(domain), weights)
    samples = kappa_from_tables(tables)
    return from_samples(value, samples, len(a), note)


# --- Krippendorff's alpha ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlphaUnits:
    """Per-paper parts of nominal alpha for papers with ≥ 2 labels; sums of them give alpha."""

    pairable: Floats  # m_u: labels on paper u
    matches: Floats  # (sum_v c_uv² - m_u) / (m_u - 1): paper u's diagonal coincidences
    counts: Floats  # (units, k): c_uv, labels of value v on paper u

    @classmethod
    def from_codes(cls, codes: Ints, k: int) -> AlphaUnits:
        """From an (annotators, papers) code matrix with -1 where a paper was not labelled."""
        counts = np.stack([(codes == v).sum(axis=0) for v in range(k)], axis=1).astype(np.float64)
        m = counts.sum(axis=1)
        keep = m >= 2  # a paper with one label has no pair to compare and adds nothing
        counts, m = counts[keep], m[keep]
        return cls(m, ((counts**2).sum(axis=1) - m) / (m - 1), counts)


def alpha_from_weights(units: AlphaUnits, weights: Floats) -> Floats:
    """Nominal alpha for each row of weights over `units`; NaN where undefined."""
    n = weights @ units.pairable
    matches = weights @ units.matches
    per_value = weights @ units.counts
    expected = n * n - (per_value**2).sum(axis=1)
    out = np.full(n.shape, np.nan)
    ok = expected > 0
    np.divide((n - matches) * (n - 1), expected, out=out, where=ok)
    return np.where(ok, 1.0 - out, np.nan)


def alpha(codes: Ints, k: int, n_boot: int, rng: np.random.Generator) -> Estimate:
    """Krippendorff's nominal alpha (`krippendorff`) of a code matrix, with a bootstrap interval."""
    units = AlphaUnits.from_codes(codes, k)
    n = units.pairable.size
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, ALPHA_UNPAIRED)
    data = np.where(codes >= 0, codes, np.nan)
    with warnings.catch_warnings():
        # One value across all labels gives 0/0 inside the library: NaN, and the note says why.
        warnings.simplefilter("ignore", RuntimeWarning)
        value = float(
            krippendorff.alpha(
                reliability_data=data, value_domain=np.arange(k), level_of_measurement="nominal"
            )
        )
    note = ALPHA_UNDEFINED if math.isnan(value) else ""
    samples = alpha_from_weights(units, resample_weights(rng, n, n_boot))
    return from_samples(value, samples, n, note)


# --- means and ratios ----------------------------------------------------------------------


def mean(value: float, per_paper: Floats, weights: Floats, note: str = "") -> Estimate:
    """A mean over papers (its point value given by the caller) with a bootstrap interval."""
    n = per_paper.size
    samples = weights @ per_paper / n if n else np.array([])
    return from_samples(value, samples, n, note)


def ratio(value: float, num: Floats, den: Floats, weights: Floats, n: int) -> Estimate:
    """A ratio of per-paper sums (e.g. micro precision) with a bootstrap interval."""
    tops, bottoms = weights @ num, weights @ den
    samples = np.full(tops.shape, np.nan)
    np.divide(tops, bottoms, out=samples, where=bottoms > 0)
    return from_samples(value, samples, n, "" if not math.isnan(value) else "undefined: 0/0")
