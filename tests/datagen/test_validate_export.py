"""Validators one by one, near-duplicates, and the SFT / DPO / card exports."""

from __future__ import annotations

import json
from pathlib import Path

from tests.datagen._helpers import ANSWER, EXTRA, FRENCH, GERMAN, SEEDS

from langgap.datagen.constitution import EXAMPLE, CultureTerm, load_constitution
from langgap.datagen.export import DISCLAIMER, export_all
from langgap.datagen.items import DataItem
from langgap.datagen.validate import (
    ValidationSettings,
    check_chrf,
    check_language,
    check_length,
    check_refusal,
    check_script,
    check_terms,
    find_duplicates,
    validate_items,
)
from langgap.languages import lookup


def item(key: str = "weather", **extra: object) -> DataItem:
    values: dict[str, object] = {
        "id": f"{key}@de",
        "seed_id": key,
        "language": "deu",
        "language_tag": "de",
        "category": "other",
        "harmful": False,
        "mode": "translated",
        "source_prompt": SEEDS[key],
        "prompt": GERMAN[key],
        "rejected": ANSWER["German"],
        "chosen": ANSWER["German"] + " " + EXTRA["German"],
        **extra,
    }
    return DataItem.model_validate(values)


def test_language_and_script() -> None:
    german, bengali = lookup("de"), lookup("bn")
    assert check_language(GERMAN["weather"], german)["ok"] is True
    assert check_language(FRENCH["weather"], german)["ok"] is False
    assert check_script(GERMAN["weather"], german)["ok"] is True
    assert check_script(GERMAN["weather"], bengali)["ok"] is False
    assert check_script("আমি ভালো আছি", bengali)["share"] == 1.0
    assert check_script("1234", german)["ok"] is None  # nothing to check is not a pass


def test_length_and_chrf() -> None:
    assert check_length("abcd", "ab", (0.25, 4.0))["ok"] is True
    assert check_length("abcdefghij", "a", (0.25, 4.0))["ok"] is False
    assert check_chrf(SEEDS["weather"], SEEDS["weather"], 30.0)["ok"] is True
    assert check_chrf(SEEDS["weather"], "zzz qqq", 30.0)["ok"] is False


def test_refusal_sanity_on_benign_prompts() -> None:
    refusal = "I'm sorry, but I can't help with that request."
    benign = item(chosen=refusal, language="eng", language_tag="en")
    assert check_refusal(benign)["ok"] is False
    harmful = item(chosen=refusal, harmful=True, language="eng", language_tag="en")
    assert check_refusal(harmful)["ok"] is True


def test_a_chosen_that_complies_with_a_harmful_prompt_fails() -> None:
    steps = (
        "Sure! Here is how to do it. First, buy the following items from a hardware store. "
        "Then mix them carefully in a bucket and wait for two hours before you use it."
    )
    harmful = item(chosen=steps, harmful=True, language="eng", language_tag="en")
    found = check_refusal(harmful)
    assert found["ok"] is False and found["action"] in ("complied", "partial")
    assert check_refusal(item(chosen="", harmful=True))["ok"] is None  # undecided: not a pass


def test_culture_terms_must_survive() -> None:
    terms = [CultureTerm(term="mzungu", meaning="foreigner", why="tone", source_forms=("mzungu",))]
    assert check_terms("Who is the mzungu here?", "Nani ni mzungu hapa?", terms)["ok"] is True
    lost = check_terms("Who is the mzungu here?", "Nani ni mgeni hapa?", terms)
    assert lost["ok"] is False and lost["lost"] == ["mzungu"]
    assert check_terms("No term here.", "Hakuna.", terms)["ok"] is None


def test_near_duplicates_name_the_original() -> None:
    a = item("weather")
    b = item("weather", id="weather-copy@de", prompt=GERMAN["weather"] + "!")
    c = item("brother")
    found = find_duplicates([a, b, c], 0.8)
    assert found == {"weather-copy@de": "weather@de"}


def test_validate_items_and_export(tmp_path: Path) -> None:
    items = [
        item("weather"),
        item("weather", id="dup@de"),
        item("brother", chosen=ANSWER["German"]),  # not revised: SFT only
        item("garden", status="failed", error="boom", chosen="", rejected=""),
    ]
    constitution = load_constitution(EXAMPLE)
    ok = [i for i in items if i.status == "ok"]
    summary = validate_items(ok, constitution, ValidationSettings())
    assert summary["n_validated"] == 3 and summary["flags"]["duplicate"] == 1
    assert items[1].validation["duplicate_of"] == "weather@de"
    assert summary["checks"]["language:prompt"]["pass"] == 3
    files = export_all(items, tmp_path, constitution, {"generator": "mockllm/model"}, summary)
    sft = [json.loads(line) for line in files["sft"].read_text().splitlines()]
    dpo = [json.loads(line) for line in files["dpo"].read_text().splitlines()]
    assert [r["id"] for r in sft] == ["weather@de", "brother@de"]
    assert [r["id"] for r in dpo] == ["weather@de"]
    assert sft[0]["messages"][0] == {"role": "user", "content": GERMAN["weather"]}
    assert set(dpo[0]) >= {"prompt", "chosen", "rejected"}
    card = files["card"].read_text()
    assert DISCLAIMER in card and "EXAMPLE constitution" in card and "mockllm/model" in card
    assert "| de | 3 |" in card and "language:prompt" in card
    assert GERMAN["weather"] not in card  # the card holds counts, never the texts
    try:
        import datasets  # type: ignore[import-untyped]
    except ImportError:
        return
    loaded = datasets.load_dataset("json", data_files=str(files["dpo"]), split="train")
    assert loaded.num_rows == 1
