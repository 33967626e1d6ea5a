"""Multi-turn probe: conversations built from parallel texts, language switching between turns."""

from __future__ import annotations

import pytest
from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageAssistant, ChatMessageUser

from langgap.evaluate.probes.base import PROBES, ProbeError
from langgap.evaluate.probes.multiturn import ACKNOWLEDGEMENTS, MultiTurnProbe, split_text
from langgap.evaluate.samples import SampleMeta

TEXTS = {
    "eng": ("en", "Tell me about the old city. Which places should a visitor see first?"),
    "deu": ("de", "Erzähl mir von der Altstadt. Welche Orte sollte man zuerst sehen?"),
    "ben": ("bn", "পুরনো শহর সম্পর্কে বলুন। একজন দর্শনার্থীর প্রথমে কোন জায়গাগুলো দেখা উচিত?"),
}


def parallel(pair: str = "p1", variant_of: dict[str, str] | None = None) -> list[Sample]:
    variants = variant_of or {}
    return [
        Sample(
            input=text,
            id=f"t:{pair}:{tag}",
            metadata=SampleMeta(
                benchmark="t",
                language=code,
                language_tag=tag,
                pair_id=pair,
                variant=variants.get(code, "original"),
            ).as_metadata(),
        )
        for code, (tag, text) in TEXTS.items()
    ]


def test_sentence_split_switches_language_between_turns() -> None:
    out, report = MultiTurnProbe(["en", "bn"]).apply(parallel(), seed=3)
    assert report.made == 1 and not report.skipped
    sample = out[0]
    messages = sample.input
    assert isinstance(messages, list) and len(messages) == 3
    user1, ack, user2 = messages
    assert isinstance(user1, ChatMessageUser) and isinstance(user2, ChatMessageUser)
    assert isinstance(ack, ChatMessageAssistant)
    assert user1.text == TEXTS["eng"][1].split(". ")[0] + "."  # first English sentence
    assert user2.text == TEXTS["ben"][1].split("। ")[1]  # second Bengali sentence
    assert ack.text == ACKNOWLEDGEMENTS["eng"][0]  # acknowledges in the turn's language
    meta = sample.metadata or {}
    assert meta["variant"] == "multiturn" and meta["pair_id"] == "p1"
    assert meta["language"] == "ben" and meta["language_tag"] == "bn"
    assert meta["params"]["turn_languages"] == ["en", "bn"]
    assert meta["params"]["split"] == "sentence" and meta["params"]["seed"] == 3
    assert meta["multiturn"]["split_used"] == "sentence"


def test_setup_turn_and_three_languages() -> None:
    out, _ = MultiTurnProbe(["de", "en", "bn"], split="setup").apply(parallel())
    messages = out[0].input
    assert isinstance(messages, list) and len(messages) == 5
    assert messages[0].text == ACKNOWLEDGEMENTS["deu"][1]  # benign setup, in German
    assert messages[1].text == ACKNOWLEDGEMENTS["deu"][0]
    assert messages[3].text == ACKNOWLEDGEMENTS["eng"][0]
    assert (out[0].metadata or {})["multiturn"]["turn_languages"] == ["de", "en", "bn"]


def test_translated_text_is_used_and_missing_language_skipped() -> None:
    samples = parallel(variant_of={"ben": "translated"}) + [
        s for s in parallel("p2") if (s.metadata or {})["language"] == "eng"
    ]
    out, report = MultiTurnProbe(["en", "bn"]).apply(samples)
    assert [(s.metadata or {})["pair_id"] for s in out] == ["p1"]
    assert report.skipped_by_reason() == {"no text in bn": 1}


def test_fallbacks_are_recorded() -> None:
    assert split_text("one two three", 3, "sentence") == (["one", "two", "three"], "words")
    assert split_text("好的请继续", 2, "sentence")[1] == "characters"
    samples = [s for s in parallel() if (s.metadata or {})["language"] != "deu"]
    out, _ = MultiTurnProbe(["en", "bn"], split="clause").apply(samples)
    assert (out[0].metadata or {})["params"]["split"] == "clause"


def test_bad_settings_are_clear_errors() -> None:
    with pytest.raises(ProbeError, match="at least two"):
        MultiTurnProbe(["en"])
    with pytest.raises(ProbeError, match="did you mean"):
        MultiTurnProbe(["en", "Bengalli"])
    assert PROBES["multiturn"] is MultiTurnProbe
