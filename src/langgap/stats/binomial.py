"""Exact and score-based binomial statistics: the Wilson interval of a rate, McNemar's test.

scipy.stats takes about a second to import, so each function loads it when first called.

>>> from langgap.stats import mcnemar, wilson_interval
>>> round(wilson_interval(0, 3).high, 1)
56.1
>>> mcnemar(0, 0)
1.0
"""

from __future__ import annotations

import math

from langgap.stats.estimate import LEVEL, Estimate

WILSON = "Wilson score"


def wilson_interval(successes: int, trials: int, level: float = LEVEL) -> Estimate:
    """100 x successes / trials with its Wilson score interval (scipy's binomtest).

    Unlike a bootstrap of the rate it is not a single point at 0/n or n/n (0/3 gives 0-56.1)
    and it keeps its coverage at small n; NaN when there were no trials.

    >>> i = wilson_interval(5, 5)
    >>> round(i.low, 1), i.high, i.method
    (56.6, 100.0, 'Wilson score')
    """
    if trials <= 0:
        return Estimate(math.nan, math.nan, math.nan, 0, "", level, 0, WILSON)
    from scipy.stats import binomtest  # type: ignore[import-untyped]  # no stubs installed

    ci = binomtest(successes, trials).proportion_ci(confidence_level=level, method="wilson")
    value = 100.0 * successes / trials
    return Estimate(
        value, 100.0 * float(ci.low), 100.0 * float(ci.high), trials, "", level, 0, WILSON
    )


def mcnemar(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts (1.0 when there are none).

    `b` and `c` count the pairs that changed one way and the other; the test is a binomial
    test of b out of b + c at one half.

    >>> round(mcnemar(8, 0), 4)
    0.0078
    """
    if not b + c:
        return 1.0
    from scipy.stats import binomtest  # (untyped: see wilson_interval)

    return float(binomtest(b, b + c, 0.5).pvalue)
