"""Validators one by one, near-duplicates, and the SFT / DPO / card exports."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from tests.datagen._helpers import ANSWER, EXTRA, FRENCH, GERMAN, SEEDS

from langgap.datagen.constitution import EXAMPLE, CultureTerm, load_constitution
from langgap.datagen.export import DISCLAIMER, export_all
from langgap.datagen.items import DataItem
from langgap.datagen.repetition import check_repetition
from langgap.datagen.validate import (
    ValidationSettings,
    check_chrf,
    check_language,
    check_length,
    check_refusal,
    check_script,
    check_terms,
    find_duplicates,
    jaccard,
    shingles,
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


def _pair_at(target: float, seed: int = 7) -> tuple[str, str, float]:
    """Two prompts whose exact 5-shingle Jaccard is the first value ≥ `target` found."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    base = "".join(rng.choice(letters) for _ in range(1500))
    tail = "".join(rng.choice(letters) for _ in range(1500))
    for keep in range(1200, 1500):
        other = base[:keep] + tail[: 1500 - keep]
        value = jaccard(shingles(base, 5), shingles(other, 5))
        if value >= target:
            return base, other, value
    raise AssertionError("no pair found")


def test_near_duplicate_threshold_is_inclusive_at_the_boundary() -> None:
    above_a, above_b, above = _pair_at(0.8505)
    assert 0.8505 <= above < 0.852  # about 0.851
    below_a, below_b, below = _pair_at(0.848, seed=8)
    assert below < 0.85
    pairs = [
        item("weather", id="a@de", prompt=above_a),
        item("weather", id="b@de", prompt=above_b),
        item("weather", id="c@de", prompt=below_a),
        item("weather", id="d@de", prompt=below_b),
    ]
    found = find_duplicates(pairs, 0.85)
    assert found == {"b@de": "a@de"}  # Jaccard ≥ threshold is a duplicate; just below is not
    assert find_duplicates(pairs, below) == {"b@de": "a@de", "d@de": "c@de"}


def test_language_confidence_floor() -> None:
    german = lookup("de")
    sure = check_language(GERMAN["weather"], german, min_confidence=0.5)
    assert sure["ok"] is True and sure["confidence"] >= 0.5
    # a right guess below the floor is not a pass
    assert check_language(GERMAN["weather"], german, min_confidence=1.01)["ok"] is False


@pytest.mark.parametrize(
    "text",
    [
        "একটা" + "রায়া" * 10,  # the Bengali loop that language ID reads as Bengali at 0.99
        "Das ist gut. " * 6,
        "No no no no no no no no no",
        "我" + "不知道" * 8,
        "ลาลาลาลาลาลาลาลาลาลาลาลา",
    ],
)
def test_repetition_catches_loops(text: str) -> None:
    assert check_repetition(text)["ok"] is False


@pytest.mark.parametrize(
    "text",
    [
        GERMAN["garden"],
        "আমি দুঃখিত, আমি এতে সাহায্য করতে পারব না। আপনি চাইলে একজন বিশ্বস্ত মানুষের সাথে কথা বলুন।",
        "我不能帮助你做这件事。如果你有其他问题，我很乐意帮忙。哈哈哈",
        "لا أستطيع مساعدتك في ذلك، لكن يمكنني أن أقترح عليك مصادر موثوقة للمعلومات.",
        "Mississippi, Tennessee und Massachusetts sind Bundesstaaten der USA.",
        "1. Gießen. 2. Düngen. 3. Ernten.\n| a | b |\n|---|---|---|---|---|---|",
        "Как вырастить помидоры на балконе? Поливайте их утром и ставьте на солнце.",
    ],
)
def test_repetition_passes_normal_text(text: str) -> None:
    assert check_repetition(text)["ok"] is True


def test_duplicates_match_brute_force_jaccard() -> None:
    rng = random.Random(3)
    words = ["tomato", "garden", "balcony", "water", "sun", "pot", "soil", "stake", "leaf"]
    bases = [[rng.choice(words) for _ in range(rng.randint(4, 12))] for _ in range(30)]
    prompts = []  # each base with variants: one word changed, added or dropped
    for base in bases:
        for _ in range(5):
            variant = list(base)
            variant[rng.randrange(len(variant))] = rng.choice(words)
            variant = [*variant, rng.choice(words)] if rng.random() < 0.5 else variant[1:]
            prompts.append(" ".join(variant))
    rng.shuffle(prompts)
    items = [item("weather", id=f"p{i}@de", prompt=p) for i, p in enumerate(prompts)]
    for threshold in (0.5, 0.85):
        expected: dict[str, str] = {}
        kept: list[int] = []
        for i, text in enumerate(prompts):
            mine = shingles(text, 5)
            close = [j for j in kept if jaccard(shingles(prompts[j], 5), mine) >= threshold]
            if close:
                expected[f"p{i}@de"] = f"p{close[0]}@de"
            else:
                kept.append(i)
        assert len(expected) >= 5 and find_duplicates(items, threshold) == expected
