"""Statistics shared by every layer: the one interval type, the one seeded bootstrap, binomial
intervals and tests, agreement coefficients. It imports nothing from survey, evaluate, analyze
or datagen; they import it.

>>> from langgap.stats import bootstrap_rate, wilson_interval
>>> wilson_interval(3, 10).method, bootstrap_rate(3, 10, seed=0).method
('Wilson score', 'percentile bootstrap')
"""

from langgap.stats.agreement import (
    ALPHA_UNDEFINED,
    ALPHA_UNPAIRED,
    KAPPA_UNDEFINED,
    AlphaUnits,
    alpha_from_weights,
    cohen_kappa,
    encode,
    kappa_from_tables,
    krippendorff_alpha,
    pair_tables,
)
from langgap.stats.binomial import WILSON, mcnemar, wilson_interval
from langgap.stats.bootstrap import (
    Seed,
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
from langgap.stats.estimate import (
    LEVEL,
    PERCENTILE,
    Estimate,
    json_number,
    percentile_estimate,
    percentile_interval,
    tails,
)

__all__ = [
    "ALPHA_UNDEFINED",
    "ALPHA_UNPAIRED",
    "KAPPA_UNDEFINED",
    "LEVEL",
    "PERCENTILE",
    "WILSON",
    "AlphaUnits",
    "Estimate",
    "Seed",
    "alpha_from_weights",
    "bootstrap_rate",
    "cohen_kappa",
    "encode",
    "generator",
    "json_number",
    "kappa_from_tables",
    "keyed_seed",
    "krippendorff_alpha",
    "mcnemar",
    "pair_tables",
    "paired_difference",
    "percentile_estimate",
    "percentile_interval",
    "resample_counts",
    "resample_indices",
    "resample_weights",
    "tails",
    "weighted_mean",
    "weighted_ratio",
    "wilson_interval",
]
