"""The one interval type: a statistic, its confidence interval, and how both were obtained.

>>> from langgap.stats import Estimate, percentile_estimate
>>> import numpy as np
>>> e = percentile_estimate(0.5, np.linspace(0.0, 1.0, 101), n=20)
>>> round(e.low, 3), round(e.high, 3), e.n
(0.025, 0.975, 20)
>>> e.to_dict()["ci95"]
[0.025, 0.975]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]

LEVEL = 0.95
PERCENTILE = "percentile bootstrap"


@dataclass(frozen=True, slots=True)
class Estimate:
    """A statistic with its confidence interval (same units), its sample size and method.

    `value` is NaN when the statistic is undefined (`note` then says why); `n_boot` is 0 for an
    interval computed without resampling (a Wilson interval).

    >>> Estimate(0.8, 0.7, 0.9, n=50).defined
    True
    """

    value: float
    low: float
    high: float
    n: int = 0
    note: str = ""
    level: float = LEVEL
    n_boot: int = 0
    method: str = PERCENTILE

    @property
    def defined(self) -> bool:
        """Is the point estimate a number?"""
        return not math.isnan(self.value)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form of the estimate: NaN becomes None.

        >>> Estimate(math.nan, math.nan, math.nan, 0, "0/0").to_dict()
        {'value': None, 'ci95': [None, None], 'n': 0, 'note': '0/0'}
        """
        return {
            "value": json_number(self.value),
            "ci95": [json_number(self.low), json_number(self.high)],
            "n": self.n,
            "note": self.note,
        }

    def interval_dict(self) -> dict[str, Any]:
        """JSON-able form of the interval alone, with its level and method (NaN stays NaN).

        >>> Estimate(50.0, 20.0, 80.0, 10, method="Wilson score").interval_dict()["method"]
        'Wilson score'
        """
        return {
            "low": self.low,
            "high": self.high,
            "level": self.level,
            "n_boot": self.n_boot,
            "method": self.method,
        }


def json_number(value: float) -> float | None:
    """A float for JSON: NaN and infinities become None.

    >>> json_number(float("nan")) is None, json_number(2.0)
    (True, 2.0)
    """
    return None if math.isnan(value) or math.isinf(value) else float(value)


def tails(level: float = LEVEL) -> tuple[float, float]:
    """The lower and upper percentiles (0-100) of a central interval at `level`.

    >>> tails(0.95)
    (2.5, 97.5)
    """
    tail = (100.0 - 100.0 * level) / 2.0
    return tail, 100.0 - tail


def percentile_interval(samples: Floats, level: float = LEVEL) -> tuple[float, float]:
    """The central percentile interval of bootstrap samples (numpy's linear interpolation).

    >>> percentile_interval(np.arange(101.0))
    (2.5, 97.5)
    """
    low, high = np.percentile(samples, tails(level))
    return float(low), float(high)


def percentile_estimate(
    value: float, samples: Floats, n: int, note: str = "", *, level: float = LEVEL
) -> Estimate:
    """An estimate with the percentile interval of its bootstrap samples.

    Undefined resamples (NaN: a resample that repeats one label for every item) are left out
    and counted in the note; NaN `value` gives an all-NaN estimate.

    >>> e = percentile_estimate(1.0, np.array([np.nan, 1.0, 2.0]), n=3)
    >>> e.note
    '1 of 3 resamples undefined, left out'
    """
    n_boot = int(samples.size)
    if math.isnan(value):
        return Estimate(math.nan, math.nan, math.nan, n, note, level, n_boot)
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        extra = "no bootstrap resample was defined" if samples.size else "no bootstrap"
        return Estimate(value, math.nan, math.nan, n, _join(note, extra), level, n_boot)
    undefined = samples.size - finite.size
    if undefined:
        note = _join(note, f"{undefined} of {samples.size} resamples undefined, left out")
    low, high = percentile_interval(finite, level)
    return Estimate(value, low, high, n, note, level, n_boot)


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)
