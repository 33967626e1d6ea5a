"""End to end through a real model: SmolLM2 served on loopback translates two benign sentences.

This checks the plumbing (HTTP, cache, metadata, quality checks), not the quality: a 135M model
translates poorly, and a flagged translation is a pass as long as the flags are recorded.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.evaluate._probe_helpers import english_samples

from langgap.evaluate.probes.translate import InspectTranslator, TranslateProbe
from langgap.models import LocalServer


@pytest.mark.slow
def test_smollm2_translates_with_quality_recorded(
    smollm2_server: LocalServer, tmp_path: Path
) -> None:
    def probe() -> TranslateProbe:
        translator = InspectTranslator(smollm2_server.inspect_model, concurrency=2, max_tokens=48)
        return TranslateProbe("French", translator, cache_root=tmp_path)

    first = probe()
    samples, report = first.apply(english_samples(), seed=0)
    assert len(samples) == 2 and report.made == 2
    assert report.usage.requests >= 2 and report.usage.output_tokens > 0
    for sample in samples:
        meta = sample.metadata or {}
        assert meta["variant"] == "translated" and meta["language"] == "fra"
        quality = meta["quality"]
        assert isinstance(quality["flags"], list)
        if "failed" not in quality["flags"]:
            assert quality["language"]["expected"] == "fra" and "length_ratio" in quality
    second = probe()
    second.apply(english_samples(), seed=0)
    assert second.translator.usage.requests == report.usage.failures  # only failures asked again
