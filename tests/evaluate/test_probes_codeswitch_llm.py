"""Model-written code-switching on a scripted mock model: prompt, measured mix, cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.evaluate._probe_helpers import Scripted, english_samples

from langgap.evaluate.probes.base import PROBES, ProbeError
from langgap.evaluate.probes.codeswitch_llm import (
    PROMPT_VERSION,
    LLMCodeSwitchProbe,
    measure_mix,
)

MIXED = {
    "weather": "The weather আজ খুব সুন্দর and we will go to the পার্কে।",
    "brother": "My brother ইতিহাসের বই পড়তে ভালোবাসে in the evening.",
}


def mixer(prompt: str) -> str:
    return next(text for word, text in MIXED.items() if word in prompt)


def test_rewrites_are_measured_and_recorded(tmp_path: Path) -> None:
    script = Scripted(mixer)
    probe = LLMCodeSwitchProbe(["en", "bn"], script.model(), cache_root=tmp_path)
    out, report = probe.apply(english_samples(), seed=5)
    assert report.made == 2 and script.calls == 2
    assert "English, Bengali" in script.prompts[0]  # the languages are named in the prompt
    meta = out[0].metadata or {}
    assert meta["variant"] == "codeswitch-llm" and meta["pair_id"] == "p1"
    assert meta["language"] == "ben"  # the one non-English language mixed in
    assert meta["params"]["prompt_version"] == PROMPT_VERSION and meta["params"]["seed"] == 5
    mix = meta["mix"]
    assert mix["requested"] == ["eng", "ben"] and mix["flags"] == []
    assert 0.2 < mix["measured"]["ben"] < 0.8 and mix["switches"] >= 2
    again = Scripted(mixer)
    LLMCodeSwitchProbe(["en", "bn"], again.model(), cache_root=tmp_path).apply(english_samples())
    assert again.calls == 0


def test_monolingual_rewrite_is_flagged() -> None:
    mix = measure_mix("The weather is nice today.", ["eng", "ben"])
    assert mix.shares == {"eng": 1.0, "ben": 0.0}
    assert mix.flags == ["missing:ben", "monolingual"] and mix.switches == 0


def test_several_languages_give_mul_and_errors_are_clear(tmp_path: Path) -> None:
    probe = LLMCodeSwitchProbe(["en", "bn", "hi"], Scripted(mixer).model(), cache_root=tmp_path)
    out, _ = probe.apply(english_samples())
    assert (out[0].metadata or {})["language"] == "mul"
    with pytest.raises(ProbeError, match="at least two"):
        LLMCodeSwitchProbe(["en"], Scripted(mixer).model())
    assert PROBES["codeswitch-llm"] is LLMCodeSwitchProbe
