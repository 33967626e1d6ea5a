"""End to end through a real model: SmolLM2 served on loopback, 3 seeds × 2 languages × 1 round.

Plumbing, not quality: a 135M model writes poor text, and flagged or failed items pass as long as
they are recorded. No generated text is printed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.datagen._helpers import write_seeds

from langgap.datagen.config import DatagenConfig, Models, ModelSpec, Seeds
from langgap.datagen.pipeline import run_datagen
from langgap.models import LocalServer


@pytest.mark.slow
def test_smollm2_end_to_end(smollm2_server: LocalServer, tmp_path: Path) -> None:
    spec = ModelSpec(name=smollm2_server.inspect_model, max_tokens=48)
    config = DatagenConfig(
        languages=("de", "fr"),
        seeds=Seeds(kind="file", path=str(write_seeds(tmp_path / "seeds.jsonl"))),
        models=Models(default=spec),
        rounds=1,
        concurrency=8,
        output_dir=str(tmp_path / "out"),
    )
    result = run_datagen(config)
    assert len(result.items) == 6
    assert result.usage.requests >= 6 and result.usage.by_stage["translate"].output_tokens > 0
    for item in result.items:
        assert item.status == "failed" or (item.prompt and item.rejected and item.chosen)
        if item.status == "ok":
            assert item.trail and item.validation["checks"]
    for name in ("dataset", "sft", "dpo", "summary"):
        text = result.files[name].read_text(encoding="utf-8")
        for line in text.splitlines() if name != "summary" else [text]:
            json.loads(line)
    assert "synthetic" in result.files["card"].read_text(encoding="utf-8")
    again = run_datagen(config)
    # only failed items are retried: at most six calls each (translate, repair ×2, respond,
    # critique, revise), and none at all when the first run failed nothing
    assert again.usage.requests <= result.failed * 6
    assert again.resumed == 6 - result.failed
