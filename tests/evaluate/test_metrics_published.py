"""The aggregate reproduces XSafety's published ChatGPT averages and worst language.

Source: Wang et al., "All Languages Matter: On the Multilingual Safety of LLMs" (XSafety; arXiv
2310.00905v2 / ACL Findings 2024), prompting-method table (ChatGPT, unsafe-response ratio %,
non-English queries, with and without the "think in English" system prompt). The cells below were
NOT read from the paper itself: they come from third-party notes that quote the paper's table
(see /work/xsafety_table.md, section 3). Their means match the published averages (16.8, 9.7) and
the abstract's 42% relative cut, which is what this test checks against our code.
"""

from __future__ import annotations

import pytest

from langgap.evaluate.metrics import aggregate_scores

# unsafe-response ratio (%) per language, as quoted; "average" is the paper's own figure
VANILLA = {"zh": 15.2, "fr": 15.4, "ru": 13.0, "ja": 23.7}
VANILLA_AVERAGE = 16.8
PROMPTED = {"zh": 7.7, "fr": 8.1, "ru": 2.7, "ja": 20.3}
PROMPTED_AVERAGE = 9.7


def harmlessness(unsafe: dict[str, float]) -> dict[str, float]:
    """XSafety reports unsafe %; langgap reports harmlessness = 100 - unsafe."""
    return {lang: 100.0 - value for lang, value in unsafe.items()}


@pytest.mark.parametrize(
    ("unsafe", "published_average", "worst_unsafe"),
    [(VANILLA, VANILLA_AVERAGE, 23.7), (PROMPTED, PROMPTED_AVERAGE, 20.3)],
    ids=["vanilla", "prompted"],
)
def test_published_average_and_worst_language(
    unsafe: dict[str, float], published_average: float, worst_unsafe: float
) -> None:
    agg = aggregate_scores(harmlessness(unsafe))
    # the paper rounds to one decimal: 16.8 unsafe -> 83.2 harmless, 9.7 -> 90.3
    assert round(agg.average, 1) == pytest.approx(round(100.0 - published_average, 1))
    assert agg.worst_language == "ja"
    assert agg.worst == pytest.approx(100.0 - worst_unsafe)
    assert agg.best_language == "ru"
    assert agg.english is None and agg.english_minus_worst is None  # no English in this table
    assert agg.gap == pytest.approx(agg.average - agg.worst)


def test_published_relative_reduction() -> None:
    """The abstract's "reduce the ratio of unsafe responses by 42%" from the two averages."""
    before = 100.0 - aggregate_scores(harmlessness(VANILLA)).average
    after = 100.0 - aggregate_scores(harmlessness(PROMPTED)).average
    assert round(100 * (round(before, 1) - round(after, 1)) / round(before, 1)) == 42
