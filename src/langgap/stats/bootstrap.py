"""The one seeded bootstrap: items drawn with replacement, in the form each statistic needs.

Every resample comes from `generator(seed)`. A resample is one draw of n items with
replacement; it is handed out as indices (`resample_indices`: paired or per-item statistics),
as weights (`resample_weights`: how often each item was drawn, so a statistic over all resamples
is one matrix product) or, when only the counts of a few categories matter, as resampled counts
(`resample_counts`: the same draw is a multinomial of the observed shares, one call for all
resamples). Intervals are percentile intervals (`langgap.stats.estimate`).

>>> import numpy as np
>>> from langgap.stats import bootstrap_rate, paired_difference
>>> e = bootstrap_rate(30, 50, n_boot=2000, seed=1)
>>> e.value, e.low < 60.0 < e.high
(60.0, True)
>>> d = paired_difference(np.array([1.0, 1.0, 0.0, 1.0]), np.array([0.0, 1.0, 0.0, 0.0]), seed=0)
>>> d.value
50.0
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from langgap.stats.estimate import (
    LEVEL,
    Estimate,
    Floats,
    percentile_estimate,
    percentile_interval,
)

Seed = int | Sequence[int]
Ints = NDArray[np.int64]


def generator(seed: Seed) -> np.random.Generator:
    """The random generator every resample is drawn from (numpy's default, PCG64).

    >>> generator(0).integers(0, 10, size=3).tolist() == generator(0).integers(0, 10, 3).tolist()
    True
    """
    return np.random.default_rng(seed)


def keyed_seed(seed: int, *parts: str) -> list[int]:
    """A seed for one row of a table: its intervals do not depend on which other rows exist.

    >>> keyed_seed(0, "ben") == keyed_seed(0, "ben"), keyed_seed(0, "ben") == keyed_seed(0, "swa")
    (True, False)
    """
    return [seed, zlib.crc32("\x1f".join(parts).encode())]


def resample_indices(rng: np.random.Generator, n: int, n_boot: int) -> Ints:
    """(n_boot, n) indices of the items drawn, with replacement, in each resample.

    >>> resample_indices(generator(0), 4, 2).shape
    (2, 4)
    """
    return rng.integers(0, n, size=(n_boot, n))


def resample_weights(rng: np.random.Generator, n: int, n_boot: int) -> Floats:
    """(n_boot, n) matrix: how many times each of n items is drawn in each resample.

    >>> w = resample_weights(generator(0), 5, 3)
    >>> w.sum(axis=1).tolist()
    [5.0, 5.0, 5.0]
    """
    draws = resample_indices(rng, n, n_boot)
    offsets = np.arange(n_boot)[:, None] * n
    counts = np.bincount((draws + offsets).ravel(), minlength=n_boot * n)
    return counts.reshape(n_boot, n).astype(np.float64)


def resample_counts(rng: np.random.Generator, counts: Floats, n_boot: int) -> Floats:
    """(n_boot, k) category counts of resampled items, given the observed counts of k categories.

    Drawing n items with replacement and counting categories is a multinomial draw with the
    observed shares, so this is the same bootstrap without an n_boot x n index matrix. With no
    items, the observed (empty) counts are returned as the one resample.

    >>> resample_counts(generator(0), np.array([3.0, 7.0]), 4).sum(axis=1).tolist()
    [10.0, 10.0, 10.0, 10.0]
    """
    n = int(counts.sum())
    if not n:
        return np.asarray(counts, dtype=np.float64)[None]
    return rng.multinomial(n, counts / n, size=n_boot).astype(np.float64)


def bootstrap_rate(
    successes: int, trials: int, *, n_boot: int = 1000, seed: Seed = 0, level: float = LEVEL
) -> Estimate:
    """100 x successes / trials with a percentile bootstrap interval (trials resampled).

    NaN when there are no trials; a NaN interval without resamples.

    >>> bootstrap_rate(0, 0).defined
    False
    """
    if trials == 0 or n_boot <= 0:
        value = 100.0 * successes / trials if trials else math.nan
        return Estimate(value, math.nan, math.nan, trials, "", level, n_boot)
    observed = np.array([successes, trials - successes], dtype=np.float64)
    boot = resample_counts(generator(seed), observed, n_boot)
    low, high = percentile_interval(100.0 * boot[:, 0] / trials, level)
    return Estimate(100.0 * successes / trials, low, high, trials, "", level, n_boot)


def paired_difference(
    first: Floats, second: Floats, *, n_boot: int = 1000, seed: Seed = 0, level: float = LEVEL
) -> Estimate:
    """Mean of first - second in points (x 100), with a paired percentile bootstrap interval.

    Each pair is drawn whole, so the interval keeps the correlation between the two sides.
    NaN when there are no pairs; a NaN interval without resamples.

    >>> paired_difference(np.array([]), np.array([])).defined
    False
    """
    diff = np.asarray(first, dtype=np.float64) - np.asarray(second, dtype=np.float64)
    n = int(diff.size)
    if not n:
        return Estimate(math.nan, math.nan, math.nan, 0, "", level, n_boot)
    value = 100.0 * float(diff.mean())
    if n_boot <= 0:
        return Estimate(value, math.nan, math.nan, n, "", level, n_boot)
    means = 100.0 * diff[resample_indices(generator(seed), n, n_boot)].mean(axis=1)
    low, high = percentile_interval(means, level)
    return Estimate(value, low, high, n, "", level, n_boot)


def weighted_mean(value: float, per_item: Floats, weights: Floats, note: str = "") -> Estimate:
    """A mean over items (its point value given by the caller) with a bootstrap interval over
    the rows of `weights` (`resample_weights`).

    >>> w = resample_weights(generator(0), 3, 200)
    >>> weighted_mean(0.5, np.array([0.0, 0.5, 1.0]), w).n_boot
    200
    """
    n = per_item.size
    samples = weights @ per_item / n if n else np.array([])
    return percentile_estimate(value, samples, n, note)


def weighted_ratio(value: float, num: Floats, den: Floats, weights: Floats, n: int) -> Estimate:
    """A ratio of per-item sums (micro precision, say) with a bootstrap interval over `weights`.

    >>> w = resample_weights(generator(0), 2, 100)
    >>> weighted_ratio(0.5, np.array([1.0, 0.0]), np.array([1.0, 1.0]), w, 2).value
    0.5
    """
    tops, bottoms = weights @ num, weights @ den
    samples = np.full(tops.shape, np.nan)
    np.divide(tops, bottoms, out=samples, where=bottoms > 0)
    return percentile_estimate(value, samples, n, "" if not math.isnan(value) else "undefined: 0/0")
