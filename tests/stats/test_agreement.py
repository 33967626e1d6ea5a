"""Agreement coefficients: batched bootstrap forms equal the libraries on each table."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from langgap.stats import (
    ALPHA_UNDEFINED,
    KAPPA_UNDEFINED,
    AlphaUnits,
    alpha_from_weights,
    cohen_kappa,
    encode,
    generator,
    kappa_from_tables,
    krippendorff_alpha,
    pair_tables,
    resample_weights,
)


@contextmanager
def quiet() -> Iterator[None]:
    """Silence sklearn's undefined-kappa warnings (NaN is the expected answer there)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _expand(table: np.ndarray) -> tuple[list[int], list[int]]:
    a, b = [], []
    for (i, j), count in np.ndenumerate(table):
        a += [i] * int(count)
        b += [j] * int(count)
    return a, b


@pytest.mark.parametrize("shape", [(3, 3), (2, 3)])
def test_kappa_from_tables_equals_sklearn(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(1)
    tables = rng.integers(0, 9, size=(20, *shape)).astype(float)
    got = kappa_from_tables(tables)
    for table, kappa in zip(tables, got, strict=True):
        a, b = _expand(table)
        expected = cohen_kappa_score(a, b, labels=list(range(max(shape))))
        assert kappa == pytest.approx(expected, abs=1e-12)


def test_kappa_undefined_when_one_label_everywhere() -> None:
    assert math.isnan(float(kappa_from_tables(np.array([[4.0, 0.0], [0.0, 0.0]]))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimate = cohen_kappa(["x"] * 4, ["x"] * 4, ["x", "y"], np.ones((3, 4)))
    assert not estimate.defined and estimate.note == KAPPA_UNDEFINED


def test_cohen_kappa_resamples_are_sklearn_on_the_resampled_papers() -> None:
    a = ["x", "y", "y", "z", "x", "y", "z", "z"]
    b = ["x", "y", "z", "z", "y", "y", "z", "x"]
    domain = ["x", "y", "z"]
    weights = resample_weights(generator(2), len(a), 5)
    tables = pair_tables(encode(a, domain), encode(b, domain), 3, weights)
    for row, table in zip(weights, tables, strict=True):
        drawn = np.repeat(np.arange(len(a)), row.astype(int))
        expected = cohen_kappa_score([a[i] for i in drawn], [b[i] for i in drawn], labels=domain)
        assert float(kappa_from_tables(table)) == pytest.approx(expected, abs=1e-12)
    estimate = cohen_kappa(a, b, domain, resample_weights(generator(2), len(a), 400))
    assert estimate.value == pytest.approx(cohen_kappa_score(a, b, labels=domain))
    assert estimate.low <= estimate.value <= estimate.high and estimate.n == 8


# --- the batched statistics equal the libraries (moved from tests/survey) ---------------


@pytest.mark.parametrize("k", [2, 3, 7])
@pytest.mark.parametrize("n", [2, 5, 40])
def test_batched_kappa_equals_sklearn_on_random_data(k: int, n: int) -> None:
    rng = np.random.default_rng(k * 100 + n)
    for _ in range(6):
        a, b = rng.integers(0, k, n), rng.integers(0, k, n)
        if rng.random() < 0.3:  # often identical: the kappa = 1 and degenerate corners
            b = a.copy()
        weights = resample_weights(rng, n, 25)
        batched = kappa_from_tables(pair_tables(a, b, k, weights))
        draws = [np.repeat(np.arange(n), w.astype(int)) for w in weights]
        with quiet():
            expected = [cohen_kappa_score(a[d], b[d]) for d in draws]
        np.testing.assert_allclose(batched, expected, rtol=1e-9, atol=1e-12, equal_nan=True)


def test_kappa_degenerate_cases_match_sklearn_and_never_crash() -> None:
    ones = np.ones((1, 4))
    same = np.zeros(4, dtype=np.int64)
    # Both sides one identical label: undefined (sklearn gives NaN too).
    assert math.isnan(kappa_from_tables(pair_tables(same, same, 2, ones))[0])
    e = cohen_kappa(["a"] * 4, ["a"] * 4, ["a", "b"], resample_weights(
        np.random.default_rng(0), 4, 10))  # fmt: skip
    assert math.isnan(e.value) and math.isnan(e.low) and "undefined" in e.note
    # One side constant, the other not: defined and 0, as in sklearn.
    other = np.array([0, 0, 1, 0])
    got = kappa_from_tables(pair_tables(same, other, 2, ones))[0]
    with quiet():
        assert got == pytest.approx(cohen_kappa_score(same, other)) == 0.0


def test_alpha_equals_krippendorff_with_missing_values() -> None:
    rng = np.random.default_rng(3)
    for k in (2, 3, 7):
        codes = rng.integers(0, k, size=(4, 60))
        codes[rng.random(codes.shape) < 0.3] = -1  # annotators skip papers
        got = krippendorff_alpha(codes, k, 100, np.random.default_rng(0))
        data = np.where(codes >= 0, codes, np.nan)
        want = krippendorff.alpha(
            reliability_data=data, value_domain=np.arange(k), level_of_measurement="nominal"
        )
        assert got.value == pytest.approx(want)
        # The batched formula on unit weights equals the library too.
        units = AlphaUnits.from_codes(codes, k)
        batched = alpha_from_weights(units, np.ones((1, units.pairable.size)))
        assert batched[0] == pytest.approx(want)


def test_batched_alpha_equals_krippendorff_on_resamples() -> None:
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 3, size=(3, 25))
    codes[0, :5] = -1
    units = AlphaUnits.from_codes(codes, 3)
    pairable = codes[:, (codes >= 0).sum(axis=0) >= 2]
    weights = resample_weights(rng, units.pairable.size, 20)
    batched = alpha_from_weights(units, weights)
    for w, got in zip(weights, batched, strict=True):
        cols = np.repeat(np.arange(pairable.shape[1]), w.astype(int))
        data = np.where(pairable[:, cols] >= 0, pairable[:, cols], np.nan)
        want = krippendorff.alpha(
            reliability_data=data, value_domain=np.arange(3), level_of_measurement="nominal"
        )
        assert got == pytest.approx(want)


def test_alpha_degenerate_cases_are_nan_with_a_note() -> None:
    rng = np.random.default_rng(0)
    same = krippendorff_alpha(np.zeros((3, 10), dtype=np.int64), 2, 50, rng)
    assert math.isnan(same.value) and same.note == ALPHA_UNDEFINED
    single = np.full((3, 10), -1)
    single[0] = 1  # one annotator per paper: nothing to compare
    unpaired = krippendorff_alpha(single, 2, 50, rng)
    assert math.isnan(unpaired.value) and unpaired.n == 0 and "two annotators" in unpaired.note
