"""MultiJail over the real data: 315 prompts x 10 languages, complete pairs, metadata contract."""

from __future__ import annotations

from collections import Counter

import pytest
from inspect_ai.dataset import Sample

from langgap.evaluate.benchmarks import LoadReport
from langgap.evaluate.samples import SampleMeta

pytestmark = pytest.mark.slow
Loaded = tuple[list[Sample], LoadReport]
LANGUAGES = {"en", "zh", "it", "vi", "ar", "ko", "th", "bn", "sw", "jv"}


def test_every_pair_is_complete_in_ten_languages(multijail_data: Loaded) -> None:
    samples, report = multijail_data
    assert report.rows_read == 315 and not report.issues
    langs_per_pair = Counter(s.metadata["pair_id"] for s in samples if s.metadata)
    assert len(langs_per_pair) == 315
    assert set(langs_per_pair.values()) == {10}
    assert set(report.counts) == LANGUAGES
    assert report.samples_made == len(samples) == 3150
    assert len({s.id for s in samples}) == len(samples)


def test_metadata_follows_the_contract(multijail_data: Loaded) -> None:
    samples, _ = multijail_data
    # booleans only: a failing assert must not print prompt text
    assert all(isinstance(s.input, str) and bool(s.input.strip()) for s in samples)
    levels = {}
    for s in samples:
        assert s.metadata is not None
        meta = SampleMeta(**s.metadata)  # round-trips through the contract
        assert meta.benchmark == "multijail" and meta.variant == "original" and meta.harmful
        assert meta.category == s.metadata["tags"][0]
        assert meta.source is not None and meta.source.startswith("multijail/MultiJail.csv:")
        levels[meta.language_tag] = meta.resource_level
    assert levels == {
        "en": "high", "zh": "high", "it": "high", "vi": "high", "ar": "medium",
        "ko": "medium", "th": "medium", "bn": "low", "sw": "low", "jv": "low",
    }  # fmt: skip
    codes = {s.metadata["language"] for s in samples if s.metadata}
    assert {"eng", "zho", "ben", "swa", "jav"} <= codes


def test_multi_tag_prompts_keep_all_tags(multijail_data: Loaded) -> None:
    samples, _ = multijail_data
    assert any(len(s.metadata["tags"]) > 1 for s in samples if s.metadata)
