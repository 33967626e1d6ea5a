"""Agreement coefficients: batched bootstrap forms equal the libraries on each table."""

from __future__ import annotations

import math
import warnings

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from langgap.stats import (
    ALPHA_UNPAIRED,
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


def test_alpha_equals_krippendorff_per_resample() -> None:
    rng = np.random.default_rng(5)
    codes = rng.integers(-1, 3, size=(3, 12))
    units = AlphaUnits.from_codes(codes, 3)
    estimate = krippendorff_alpha(codes, 3, 300, generator(0))
    data = np.where(codes >= 0, codes, np.nan)
    expected = krippendorff.alpha(
        reliability_data=data, value_domain=np.arange(3), level_of_measurement="nominal"
    )
    assert estimate.value == pytest.approx(expected)
    assert float(alpha_from_weights(units, np.ones((1, units.pairable.size)))[0]) == (
        pytest.approx(expected)
    )
    assert estimate.n == units.pairable.size and estimate.low < estimate.high


def test_alpha_without_pairable_units() -> None:
    codes = np.array([[0, -1], [-1, 1]])
    assert krippendorff_alpha(codes, 2, 10, generator(0)).note == ALPHA_UNPAIRED
