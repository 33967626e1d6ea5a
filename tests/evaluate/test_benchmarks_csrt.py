"""CSRT over the real data: 315 code-switched prompts paired with MultiJail ids."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai.dataset import Sample

from langgap.evaluate.benchmarks import LoadReport
from langgap.evaluate.benchmarks.csrt import load_csrt

pytestmark = pytest.mark.slow
Loaded = tuple[list[Sample], LoadReport]


def test_315_codeswitched_prompts_with_english_originals(csrt_data: Loaded) -> None:
    samples, report = csrt_data
    assert report.rows_read == 315 and not report.issues
    mixed = [s.metadata for s in samples if s.metadata and s.metadata["variant"] == "codeswitch"]
    english = [s.metadata for s in samples if s.metadata and s.metadata["variant"] == "original"]
    assert len(mixed) == len(english) == 315
    assert {(m["language"], m["language_tag"]) for m in mixed} == {("mul", "mul")}
    assert {(m["language"], m["language_tag"]) for m in english} == {("eng", "en")}
    assert {m["pair_id"] for m in mixed} == {m["pair_id"] for m in english}
    assert all(m["category"] == m["tags"][0] for m in mixed)


def test_pair_ids_are_multijail_ids(csrt_data: Loaded, multijail_data: Loaded) -> None:
    samples, report = csrt_data
    multijail_ids = {s.metadata["pair_id"] for s in multijail_data[0] if s.metadata}
    assert {s.metadata["pair_id"] for s in samples if s.metadata} == multijail_ids
    assert any("315 of 315 CSRT ids are MultiJail ids" in n for n in report.notes)


def test_english_originals_can_be_left_out(shared_data: Path) -> None:
    samples, _ = load_csrt(shared_data, english=False)
    assert len(samples) == 315
    assert {s.metadata["variant"] for s in samples if s.metadata} == {"codeswitch"}
