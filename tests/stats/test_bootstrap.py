"""The one seeded bootstrap: its forms agree with explicit resampling of items."""

from __future__ import annotations

import math

import numpy as np
import pytest

from langgap.stats import (
    bootstrap_rate,
    generator,
    keyed_seed,
    paired_difference,
    resample_counts,
    resample_indices,
    resample_weights,
    weighted_mean,
    weighted_ratio,
)


def test_weights_count_the_drawn_indices() -> None:
    indices = resample_indices(generator(4), 7, 50)
    weights = resample_weights(generator(4), 7, 50)
    expected = np.stack([np.bincount(row, minlength=7) for row in indices])
    assert np.array_equal(weights, expected)


def test_counts_are_the_multinomial_of_observed_shares() -> None:
    # two categories: the same stream as numpy's binomial draw, so earlier seeds still hold
    boot = resample_counts(generator([1, 2]), np.array([3.0, 7.0]), 300)
    direct = np.random.default_rng([1, 2]).binomial(10, 0.3, size=300)
    assert np.array_equal(boot[:, 0], direct)
    assert resample_counts(generator(0), np.zeros(3), 10).shape == (1, 3)


def test_rate_bootstrap_matches_explicit_resampling() -> None:
    values = np.array([1] * 30 + [0] * 20)
    means = 100 * values[resample_indices(generator(0), 50, 4000)].mean(axis=1)
    estimate = bootstrap_rate(30, 50, n_boot=4000, seed=1)
    assert estimate.value == 60.0 and estimate.n == 50 and estimate.n_boot == 4000
    assert estimate.low == pytest.approx(np.percentile(means, 2.5), abs=3)
    assert estimate.high == pytest.approx(np.percentile(means, 97.5), abs=3)
    assert estimate == bootstrap_rate(30, 50, n_boot=4000, seed=1)
    assert math.isnan(bootstrap_rate(0, 0).value) and math.isnan(bootstrap_rate(3, 5, n_boot=0).low)


def test_rate_bootstrap_is_the_binomial_draw_at_exact_percentiles() -> None:
    # the seeds and streams of the evaluate/analyze rate intervals before the stats room; the
    # percentiles are exactly 2.5 and 97.5 (not 100 * (1 - 0.95) / 2, which is 2.5000000000000022)
    draws = 100.0 * np.random.default_rng([0, 0]).binomial(7, 3 / 7, size=100) / 7
    estimate = bootstrap_rate(3, 7, n_boot=100, seed=[0, 0])
    assert (estimate.low, estimate.high) == tuple(np.percentile(draws, [2.5, 97.5]))


def test_paired_difference_draws_pairs_whole() -> None:
    first = np.array([1.0] * 8 + [0.0] * 12)
    second = np.zeros(20)  # 8 discordant pairs, all one way
    estimate = paired_difference(first, second, n_boot=500, seed=0)
    picks = resample_indices(generator(0), 20, 500)
    expected = np.percentile(100 * (first - second)[picks].mean(axis=1), [2.5, 97.5])
    assert estimate.value == 40.0
    assert (estimate.low, estimate.high) == tuple(expected)
    # identical sides: every resample is 0, which an unpaired bootstrap would not give
    same = paired_difference(first, first, n_boot=200, seed=0)
    assert (same.low, same.high) == (0.0, 0.0)
    assert not paired_difference(np.array([]), np.array([])).defined


def test_keyed_seed_depends_on_row_only() -> None:
    assert keyed_seed(0, "ben", "x") == keyed_seed(0, "ben", "x")
    assert keyed_seed(0, "ben") != keyed_seed(1, "ben")
    assert keyed_seed(0, "be", "n") != keyed_seed(0, "ben")


def test_weighted_mean_and_ratio() -> None:
    weights = resample_weights(generator(0), 4, 300)
    per_item = np.array([0.0, 1.0, 1.0, 0.0])
    mean = weighted_mean(0.5, per_item, weights)
    assert mean.low < 0.5 < mean.high and mean.n == 4
    assert np.allclose(weights @ per_item / 4, [(w * per_item).sum() / 4 for w in weights])
    undefined = weighted_ratio(math.nan, np.zeros(4), np.zeros(4), weights, 4)
    assert undefined.note == "undefined: 0/0"
    ratio = weighted_ratio(0.5, per_item, np.ones(4), weights, 4)
    assert (ratio.low, ratio.high) == (mean.low, mean.high)
