"""Romanised language ID: the character models, the shipped tables, and the mix measure."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai.dataset import Sample

from langgap.evaluate.probes import codeswitch, get_probe, romanized_lid
from langgap.evaluate.samples import SampleMeta

TABLES = Path(romanized_lid.__file__).parent / "lid_tables"


def test_trained_model_tells_two_toy_languages_apart() -> None:
    toy_a = [("banana", 3), ("ananas", 2), ("nana", 1)]
    toy_b = [("kiwi", 3), ("wiki", 2), ("ikiwik", 1)]
    a, b = romanized_lid.train(toy_a), romanized_lid.train(toy_b)
    assert a.logprob("anan") > b.logprob("anan")
    assert b.logprob("kiwik") > a.logprob("kiwik")
    blob = romanized_lid.dump({"a": a, "b": b}, {"source": "toy"})
    assert blob == romanized_lid.dump({"a": a, "b": b}, {"source": "toy"})  # deterministic
    again = romanized_lid.load(blob)
    assert again["a"].logprob("banana") == pytest.approx(a.logprob("banana"))


def test_shipped_tables_are_small_and_documented() -> None:
    path = TABLES / romanized_lid.TABLES
    assert path.stat().st_size < 1_000_000  # the repository's per-file limit
    assert romanized_lid.languages() == {"eng", "hin", "ben", "urd", "ara", "fra"}
    card = (TABLES / "MODEL_CARD.md").read_text("utf-8")
    for source in ("dakshina", "aparnadutta/code-mixed-lid", "SamiaTouileb/NArabizi", "wordfreq"):
        assert source in card
    assert "CC BY-SA 4.0" in card and "test" in card


# Benign sentences written for these tests, as people type them.
ROMANISED = [
    ("hin", "mujhe aaj bahut kaam karna hai"),
    ("hin", "tum kahan ja rahe ho"),
    ("ben", "ami tomake bhalobashi"),
    ("ben", "tumi kemon acho aajke"),
    ("urd", "aap kaise hain janab"),
    ("ara", "wach rak khouya labas 3lik"),
    ("ara", "rabi ykhalik sahbi"),
]
ENGLISH = ["the weather is very nice today", "my brother reads books in the evening"]


@pytest.mark.parametrize(("code", "text"), ROMANISED)
def test_romanised_text_is_told_from_english(code: str, text: str) -> None:
    assert romanized_lid.best_language(text, ["eng", code]) == code
    for english in ENGLISH:
        assert romanized_lid.best_language(english, ["eng", code]) == "eng"


def test_identify_routes_romanised_candidates_to_the_char_models() -> None:
    assert codeswitch.identify("mujhe aaj bahut kaam karna hai", ["en", "hi-Latn"]) == "hi-Latn"
    assert codeswitch.identify("ami tomake bhalobashi", ["en", "bn"]) == "bn"
    assert codeswitch.identify("wach rak khouya", ["en", "ar-Latn"]) == "ar-Latn"
    assert codeswitch.identify("the weather is nice", ["en", "hi-Latn"]) == "en"
    assert codeswitch.identify("আমি ভাত খাই", ["en", "bn"]) == "bn"  # native script: py3langid
    assert codeswitch.identify("!!", ["en", "hi-Latn"]) is None
    with pytest.raises(ValueError, match="no romanised LID model"):
        romanized_lid.best_language("hola", ["eng", "spa"])


@pytest.mark.parametrize(
    ("candidates", "text"),
    [
        (["en", "es"], "el perro es muy grande y bonito"),
        (["en", "es"], "the dog is big"),
        (["en", "de"], "der Hund ist sehr groß"),
        (["de", "en"], "we went to the park"),
    ],
)
def test_latin_pairs_still_use_py3langid(candidates: list[str], text: str) -> None:
    ranked = [code for code, _ in codeswitch._identifier().rank(text)]
    expected = next(tag for code in ranked for tag in candidates if tag == code)
    assert codeswitch.identify(text, candidates) == expected


def _sample(tag: str, text: str, pair: str) -> Sample:
    meta = SampleMeta(benchmark="toy", language=tag.split("-")[0], language_tag=tag, pair_id=pair)
    return Sample(input=text, id=f"toy:{pair}:{tag}", metadata=meta.as_metadata())


def test_romanised_codeswitch_mix_is_measured() -> None:
    pairs = {
        "p1": ("I will finish all the work today and then we can go home",
               "main aaj saara kaam khatam karunga aur phir hum ghar ja sakte hain"),
        "p2": ("my brother likes to read books about history in the evening",
               "mere bhai ko shaam ko itihaas ki kitaabein padhna pasand hai"),
        "p3": ("the weather is very nice today and we will go to the park",
               "aaj mausam bahut achha hai aur hum park jayenge"),
    }  # fmt: skip
    samples = [
        s
        for p, (en, hi) in pairs.items()
        for s in (_sample("en", en, p), _sample("hi-Latn", hi, p))
    ]
    probe = get_probe("codeswitch-word", languages=["en", "hi-Latn"], ratio=0.5)
    out, report = probe.apply(samples, seed=0)
    assert len(out) == 3
    # py3langid called almost every romanised Hindi run English (mix error ~0.6 on human data)
    assert report.stats["mix_mean_abs_deviation"] < 0.2
