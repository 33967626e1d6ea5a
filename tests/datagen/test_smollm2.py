"""End to end through a real model: SmolLM2 served on loopback, 2 seeds × 1 language × 1 round.

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
    spec = ModelSpec(name=smollm2_server.inspect_model, max_tokens=24)
    seeds = write_seeds(tmp_path / "seeds.jsonl")
    seeds.write_text("".join(seeds.read_text(encoding="utf-8").splitlines(True)[:2]))
    config = DatagenConfig(
        languages=("de",),
        seeds=Seeds(kind="file", path=str(seeds)),
        models=Models(default=spec),
        rounds=1,
        # the server answers one request at a time: more in flight only queue (and time out)
        concurrency=2,
        output_dir=str(tmp_path / "out"),
    )
    result = run_datagen(config)
    assert len(result.items) == 2
    assert result.usage.requests >= 2 and result.usage.by_stage["translate"].output_tokens > 0
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
    assert again.resumed == 2 - result.failed
