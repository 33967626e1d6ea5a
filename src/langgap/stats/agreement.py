"""Agreement statistics with bootstrap intervals: Cohen's kappa and Krippendorff's nominal alpha.

Point estimates come from scikit-learn and `krippendorff`; the bootstrap recomputes the same
statistics from count tables for all resamples at once (`resample_weights` rows or resampled
counts), because 1,000 resamples of library calls per pair and field would take minutes.

>>> from langgap.stats import cohen_kappa, generator, resample_weights
>>> a, b = ["x", "x", "y", "y", "y"], ["x", "y", "y", "y", "y"]
>>> e = cohen_kappa(a, b, ["x", "y"], resample_weights(generator(0), 5, 200))
>>> round(e.value, 3), e.n
(0.545, 5)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from langgap.stats.bootstrap import Ints, resample_weights
from langgap.stats.estimate import Estimate, Floats, percentile_estimate

KAPPA_UNDEFINED = "undefined: both sides gave every paper the same single label"
ALPHA_UNDEFINED = "undefined: every paper got the same single label"
ALPHA_UNPAIRED = "undefined: no paper was labelled by two annotators"


def encode(values: Sequence[str], domain: Sequence[str]) -> Ints:
    """Values as indices into domain (every value must be in it).

    >>> encode(["b", "a"], ["a", "b"]).tolist()
    [1, 0]
    """
    index = {v: i for i, v in enumerate(domain)}
    return np.array([index[v] for v in values], dtype=np.int64)


# --- Cohen's kappa -------------------------------------------------------------------------


def kappa_from_tables(tables: Floats) -> Floats:
    """Cohen's kappa of each (r, c) confusion table in a (..., r, c) stack; NaN where undefined.

    Rows are one rater's categories, columns the other's; a table may have extra columns
    (categories only the second rater uses, e.g. a judge's "unclear"), which count as
    disagreement. kappa = (n * agree - chance) / (n^2 - chance), from whole-number counts.

    >>> float(kappa_from_tables(np.array([[2.0, 0.0], [1.0, 2.0]])).round(3))
    0.615
    """
    n = tables.sum(axis=(-2, -1))
    k = min(tables.shape[-2:])
    agree = sum(tables[..., i, i] for i in range(k))
    rows, cols = tables.sum(axis=-1), tables.sum(axis=-2)
    chance = (rows[..., :k] * cols[..., :k]).sum(axis=-1)
    denominator = n * n - chance
    out = np.full(np.shape(n), np.nan)
    np.divide(n * agree - chance, denominator, out=out, where=denominator > 0)
    return out


def pair_tables(a: Ints, b: Ints, k: int, weights: Floats) -> Floats:
    """(n_boot, k, k) confusion tables of codes a against b under each row of weights.

    >>> pair_tables(np.array([0, 1]), np.array([0, 0]), 2, np.ones((1, 2))).tolist()
    [[[1.0, 0.0], [1.0, 0.0]]]
    """
    cells = np.zeros((a.size, k * k))
    cells[np.arange(a.size), a * k + b] = 1.0
    return (weights @ cells).reshape(-1, k, k)


def cohen_kappa(
    a: Sequence[str], b: Sequence[str], domain: Sequence[str], weights: Floats
) -> Estimate:
    """Cohen's kappa of two label lists (sklearn) with a bootstrap interval over `weights`
    (rows of `resample_weights`); NaN with a note when kappa is undefined."""
    # scikit-learn takes about a second to import: load it when an agreement is computed
    from sklearn.metrics import cohen_kappa_score  # type: ignore[import-untyped]

    with warnings.catch_warnings():
        # sklearn warns and returns NaN when kappa is undefined; the note says it instead.
        warnings.simplefilter("ignore")
        value = float(cohen_kappa_score(list(a), list(b), labels=list(domain)))
    note = KAPPA_UNDEFINED if math.isnan(value) else ""
    tables = pair_tables(encode(a, domain), encode(b, domain), len(domain), weights)
    return percentile_estimate(value, kappa_from_tables(tables), len(a), note)


# --- Krippendorff's alpha ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlphaUnits:
    """Per-unit parts of nominal alpha for units with ≥ 2 labels; sums of them give alpha."""

    pairable: Floats  # m_u: labels on unit u
    matches: Floats  # (sum_v c_uv² - m_u) / (m_u - 1): unit u's diagonal coincidences
    counts: Floats  # (units, k): c_uv, labels of value v on unit u

    @classmethod
    def from_codes(cls, codes: Ints, k: int) -> AlphaUnits:
        """From an (annotators, units) code matrix with -1 where a unit was not labelled."""
        counts = np.stack([(codes == v).sum(axis=0) for v in range(k)], axis=1).astype(np.float64)
        m = counts.sum(axis=1)
        keep = m >= 2  # a unit with one label has no pair to compare and adds nothing
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


def krippendorff_alpha(codes: Ints, k: int, n_boot: int, rng: np.random.Generator) -> Estimate:
    """Krippendorff's nominal alpha (`krippendorff`) of an (annotators, units) code matrix
    (-1: not labelled), with a bootstrap interval over the units labelled at least twice.

    >>> from langgap.stats import generator
    >>> codes = np.array([[0, 1, 1, 0], [0, 1, 0, 0]])
    >>> round(krippendorff_alpha(codes, 2, 100, generator(0)).value, 3)
    0.533
    """
    units = AlphaUnits.from_codes(codes, k)
    n = units.pairable.size
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, ALPHA_UNPAIRED)
    import krippendorff  # (loaded on use, like scikit-learn above)

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
    return percentile_estimate(value, samples, n, note)
