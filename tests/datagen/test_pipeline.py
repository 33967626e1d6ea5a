"""The pipeline on a scripted mock model: items, pairs, trail, resume, failures, concurrency."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.datagen._helpers import ANSWER, SEEDS, Scripted, write_seeds
from tests.support.stub_server import StubServer

from langgap.datagen.config import DatagenConfig, Models, ModelSpec, Seeds
from langgap.datagen.items import DataItem
from langgap.datagen.pipeline import diff_summary, run_datagen


def config(tmp_path: Path, **extra: Any) -> DatagenConfig:
    """Three English seeds into German and French, one round, mock models."""
    seeds = write_seeds(tmp_path / "seeds.jsonl")
    values: dict[str, Any] = {
        "languages": ("de", "fr"),
        "seeds": Seeds(kind="file", path=str(seeds)),
        "models": Models(default=ModelSpec(name="mockllm/model")),
        "output_dir": str(tmp_path / "out"),
        **extra,
    }
    return DatagenConfig(**values)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_pipeline_makes_pairs_with_trail(tmp_path: Path) -> None:
    script = Scripted()
    result = run_datagen(config(tmp_path), models=script.stages())
    assert len(result.items) == 6 and result.failed == 0
    item = next(i for i in result.items if i.id == "weather@de")
    assert item.mode == "translated" and item.source_prompt == SEEDS["weather"]
    assert item.rejected == ANSWER["German"] and item.chosen.startswith(ANSWER["German"])
    stages = [s.stage for s in item.trail]
    assert stages == ["repair-critique:prompt", "critique", "revise"]
    assert item.changes["prompt"]["changed"] is False  # the critic accepted the translation
    assert "no-operational-harm" in item.principles
    # translate, repair-critique, respond, critique, revise per item
    assert script.calls == 6 * 5
    dpo = lines(result.files["dpo"])
    assert len(dpo) == 6 and {"prompt", "chosen", "rejected"} <= set(dpo[0])
    assert all(row["flags"] == [] or "duplicate" not in row["flags"] for row in dpo)
    assert result.usage.requests == 30


def test_rerun_requests_only_missing_and_records_failures(tmp_path: Path) -> None:
    def fails(prompt: str) -> bool:  # the response to the "brother" prompt fails
        return prompt.startswith(("Mein Bruder", "Mon frère"))

    first = run_datagen(config(tmp_path), models=Scripted(fails).stages())
    assert first.failed == 2
    failed = [i for i in first.items if i.status == "failed"]
    assert {i.id for i in failed} == {"brother@de", "brother@fr"}
    assert all(i.error and "scripted failure" in i.error for i in failed)
    stored = [DataItem.model_validate(r) for r in lines(first.output_dir / "items.jsonl")]
    assert sum(i.status == "failed" for i in stored) == 2  # recorded, not lost
    assert all(i["id"] not in {"brother@de", "brother@fr"} for i in lines(first.files["sft"]))

    again = Scripted()
    second = run_datagen(config(tmp_path), models=again.stages())
    assert second.failed == 0 and second.resumed == 4 and second.made == 2
    # translation and repair were cached; only respond, critique and revise are asked again
    assert again.calls == 2 * 3
    assert all(
        p.startswith(("Mein Bruder", "Mon frère", "Review", "Rewrite")) for p in again.prompts
    )
    third = Scripted()
    run_datagen(config(tmp_path), models=third.stages())
    assert third.calls == 0


def test_existing_pairs_are_translated_and_repaired(tmp_path: Path) -> None:
    seeds = write_seeds(
        tmp_path / "pairs.jsonl",
        chosen=SEEDS["garden"],
        rejected=SEEDS["weather"],
    )
    cfg = config(tmp_path, seeds=Seeds(kind="file", path=str(seeds)), languages=("de",))
    result = run_datagen(cfg, models=Scripted().stages())
    item = result.items[0]
    assert item.mode == "mt-repair" and item.source_chosen == SEEDS["garden"]
    assert item.chosen and item.rejected and "chosen" in item.changes
    assert {"similarity", "words_added", "words_removed"} <= set(item.changes["chosen"])


def test_generated_seeds_per_culture_and_category(tmp_path: Path) -> None:
    seeds = Seeds(kind="generate", per_culture=2, categories=("hate", "self_harm"))
    result = run_datagen(config(tmp_path, seeds=seeds), models=Scripted().stages())
    ok = [i for i in result.items if i.status == "ok"]
    assert len(ok) == 2 * 2 * 2 and {i.mode for i in ok} == {"generated"}
    assert {i.category for i in ok} == {"hate", "self_harm"}


def test_diff_summary_counts_words() -> None:
    summary = diff_summary("a b c", "a x c d")
    assert summary == {"changed": True, "similarity": 0.5714, "words_added": 2, "words_removed": 1}


def test_at_least_eight_requests_in_flight(tmp_path: Path) -> None:
    def reply(request: dict[str, Any]) -> str:
        prompt = str(request["messages"][-1]["content"])
        return "Fine.\nVERDICT: OK" if prompt.startswith("Review") else ANSWER["English"]

    rows = [{"id": f"s{i}", "prompt": f"Tell me about topic number {i}."} for i in range(16)]
    seeds = tmp_path / "many.jsonl"
    seeds.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with StubServer(reply, latency=0.2) as stub:
        spec = ModelSpec(
            name="openai-api/stub/model", args={"base_url": stub.base_url, "api_key": "none"}
        )
        cfg = config(
            tmp_path,
            languages=("en",),
            seeds=Seeds(kind="file", path=str(seeds)),
            models=Models(default=spec),
            concurrency=8,
        )
        result = run_datagen(cfg)
    assert result.failed == 0 and stub.max_in_flight >= 8


def test_flagged_items_go_to_rejects_unless_kept(tmp_path: Path) -> None:
    # the script answers es-MX prompts untranslated: every es-MX item fails language ID
    script = Scripted()
    result = run_datagen(config(tmp_path, languages=("de", "es-MX")), models=script.stages())
    assert any("into Spanish (Mexico)" in p for p in script.prompts)  # the region reaches prompts
    assert not any("into Spanish\n" in p or "into Spanish:" in p for p in script.prompts)
    exported = {row["id"] for row in lines(result.files["sft"])}
    assert exported == {f"{k}@de" for k in SEEDS}
    rejects = {row["id"]: row for row in lines(result.files["rejects"])}
    assert set(rejects) == {f"{k}@es-MX" for k in SEEDS}
    assert all(
        any(r.startswith("language:") and "expected spa" in r for r in row["reasons"])
        for row in rejects.values()
    )
    card = result.files["card"].read_text(encoding="utf-8")
    assert "Flagged items are excluded" in card and result.exported["n_rejected"] == 3
    validation = config(tmp_path).validation.model_copy(update={"keep_flagged": True})
    kept = run_datagen(
        config(tmp_path, languages=("de", "es-MX"), validation=validation),
        models=Scripted().stages(),
    )
    assert len(lines(kept.files["sft"])) == 6 and lines(kept.files["rejects"]) == []
    assert "Flagged items are included" in kept.files["card"].read_text(encoding="utf-8")
