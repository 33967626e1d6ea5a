"""Translation probe on a scripted mock model: quality flags, back-translation, cache and resume."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.evaluate._probe_helpers import ENGLISH, FRENCH, GERMAN, Scripted, english_samples, german

from langgap.evaluate.probes.translate import (
    PROMPT_VERSION,
    HFTranslator,
    InspectTranslator,
    QualitySettings,
    TranslateProbe,
    TranslationError,
    m2m_code,
    nllb_code,
)
from langgap.languages import lookup


def probe(script: Scripted, tmp_path: Path, **options: object) -> TranslateProbe:
    return TranslateProbe(
        "German", InspectTranslator(script.model()), cache_root=tmp_path, **options
    )


def test_right_language_is_kept_with_metadata(tmp_path: Path) -> None:
    script = Scripted(german)
    samples, report = probe(script, tmp_path).apply(english_samples(), seed=7)
    assert [s.input for s in samples] == list(GERMAN.values())
    meta = samples[0].metadata or {}
    assert meta["variant"] == "translated" and meta["language"] == "deu"
    assert meta["language_tag"] == "de" and meta["pair_id"] == "p1"
    assert meta["params"]["prompt_version"] == PROMPT_VERSION and meta["params"]["seed"] == 7
    assert meta["params"]["backend"] == "inspect" and meta["params"]["model"]
    assert meta["quality"]["language"]["detected"] == "deu"
    assert meta["quality"]["flags"] == []
    assert str(samples[0].id).startswith("test:p1:en:translated:")
    assert report.made == 2 and report.flags == {} and script.calls == 2


def test_wrong_language_and_too_short_are_flagged_not_dropped(tmp_path: Path) -> None:
    script = Scripted(lambda p: FRENCH if "weather" in p else "Ja.")
    samples, report = probe(script, tmp_path).apply(english_samples())
    assert len(samples) == 2
    wrong, short = (s.metadata or {} for s in samples)
    assert "wrong_language" in wrong["quality"]["flags"]
    assert wrong["quality"]["language"]["detected"] == "fra"
    assert "too_short" in short["quality"]["flags"]
    assert short["quality"]["length_ratio"] < 0.25
    assert report.flags["too_short"] == 1 and report.flags["wrong_language"] >= 1


def test_length_band_is_configurable(tmp_path: Path) -> None:
    script = Scripted(german)
    band = QualitySettings(length_band=(1.5, 3.0))
    samples, _ = probe(script, tmp_path, quality=band).apply(english_samples())
    assert all("too_short" in (s.metadata or {})["quality"]["flags"] for s in samples)
    with pytest.raises(TranslationError, match="length_band"):
        QualitySettings(length_band=(2.0, 1.0))


def test_back_translation_chrf(tmp_path: Path) -> None:
    script = Scripted(german)
    samples, _ = probe(script, tmp_path, back_translate=True).apply(english_samples())
    assert script.calls == 4  # two forward, two back
    for s in samples:
        quality = (s.metadata or {})["quality"]
        assert quality["chrf"] == pytest.approx(100.0)  # the script back-translates exactly
        assert "low_chrf" not in quality["flags"]
    bad = Scripted(lambda p: "Something else entirely." if "into English" in p else german(p))
    samples, report = probe(bad, tmp_path / "bad", back_translate=True).apply(english_samples())
    assert all((s.metadata or {})["quality"]["chrf"] < 30 for s in samples)
    assert report.flags["low_chrf"] == 2


def test_model_error_is_flagged_and_not_cached(tmp_path: Path) -> None:
    script = Scripted(lambda p: "" if "weather" in p else german(p))
    samples, report = probe(script, tmp_path).apply(english_samples())
    failed = samples[0].metadata or {}
    assert failed["quality"]["flags"] == ["failed"] and "empty" in failed["quality"]["error"]
    assert samples[0].input == ENGLISH["p1"]  # kept with its source text, flagged
    assert report.n_failed == 1 and len(report.errors) == 1
    again = Scripted(german)
    probe(again, tmp_path).apply(english_samples())
    assert again.calls == 1  # only the failed item is asked again


def test_second_run_makes_no_model_calls(tmp_path: Path) -> None:
    probe(Scripted(german), tmp_path, back_translate=True).apply(english_samples())
    second = Scripted(german)
    samples, report = probe(second, tmp_path, back_translate=True).apply(english_samples())
    assert second.calls == 0 and report.usage.cache_hits == 4
    assert [s.input for s in samples] == list(GERMAN.values())


def test_killed_run_resumes_with_only_the_missing_items(tmp_path: Path) -> None:
    def dies_on_second(prompt: str) -> str:
        if "brother" in prompt:
            raise KeyboardInterrupt  # the process is stopped mid-run
        return german(prompt)

    first = Scripted(dies_on_second)
    with pytest.raises(KeyboardInterrupt):
        TranslateProbe(
            "de", InspectTranslator(first.model(), concurrency=1), cache_root=tmp_path
        ).apply(english_samples())
    resumed = Scripted(german)
    samples, report = probe(resumed, tmp_path).apply(english_samples())
    assert resumed.calls == 1 and report.usage.cache_hits == 1
    assert [s.input for s in samples] == list(GERMAN.values())


def test_unknown_language_suggests_close_matches() -> None:
    with pytest.raises(TranslationError, match="did you mean Bengali"):
        TranslateProbe("Bengalli", InspectTranslator(Scripted(german).model()))


def test_source_language_must_be_present(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="source language 'ben'"):
        probe(Scripted(german), tmp_path, source="bn").apply(english_samples())


def test_local_mt_model_codes_and_missing_path(tmp_path: Path) -> None:
    assert nllb_code(lookup("bn")) == "ben_Beng"
    assert nllb_code(lookup("Arabic")) == "arb_Arab"
    assert nllb_code(lookup("zh")) == "zho_Hans"
    assert nllb_code(lookup("sw")) == "swh_Latn"
    assert m2m_code(lookup("Bengali")) == "bn"
    with pytest.raises(TranslationError, match="never downloads"):
        HFTranslator(tmp_path / "no-such-model")


def test_concurrency_reaches_eight(tmp_path: Path) -> None:
    translator = InspectTranslator(Scripted(german).model())
    assert translator.concurrency >= 8 and translator._llm.config.max_connections == 8
