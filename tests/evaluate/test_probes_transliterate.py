"""Romanisation probe: every supported script on benign text, mixed script, errors, contract."""

from __future__ import annotations

import pytest
from inspect_ai.dataset import MemoryDataset, Sample

from langgap.evaluate.benchmarks import LoadReport
from langgap.evaluate.probes import PROBES, ProbeError, as_dataset_transform, get_probe
from langgap.evaluate.probes.transliterate import (
    UnsupportedScriptError,
    romanize,
    supported_scripts,
)
from langgap.evaluate.samples import SampleMeta

# Benign greetings and sentences, written for these tests, with their expected romanisation.
EXAMPLES = [
    ("hi", "नमस्ते, आप कैसे हैं?", "namaste, aap kaise hain?"),
    ("bn", "আমি ভাত খাই।", "ami bhat khai."),
    ("ta", "வணக்கம் தமிழ்", "vanakkam tamizh"),
    ("te", "తెలుగు", "telugu"),
    ("kn", "ನಮಸ್ಕಾರ", "namaskara"),
    ("ml", "നമസ്കാരം", "namaskaran"),
    ("pa", "ਸਤ ਸ੍ਰੀ ਅਕਾਲ", "sat sri akaal"),
    ("gu", "નમસ્તે", "namaste"),
    ("zh", "你好，世界！", "ni hao, shi jie!"),
    ("ja", "東京に行きます。", "toukyou ni iki masu."),
    ("ko", "안녕하세요", "annyeonghaseyo"),
    ("ru", "Привет, мир!", "Privet, mir!"),
    ("uk", "Добрий день", "Dobriy den'"),
    ("el", "Καλημέρα", "Kalimera"),
    ("ka", "გამარჯობა", "gamarjoba"),
    ("am", "ሰላም", "selam"),
    ("hy", "Բարեւ", "Barew"),
]


@pytest.mark.parametrize(("lang", "text", "expected"), EXAMPLES)
def test_romanize_each_script(lang: str, text: str, expected: str) -> None:
    assert romanize(text, lang) == expected


def test_at_least_twelve_scripts_and_thai_hebrew_are_latin() -> None:
    assert len(supported_scripts()) >= 12
    for lang, text in (("th", "สวัสดี"), ("he", "שלום"), ("fa", "سلام")):
        out = romanize(text, lang)
        assert out and out.isascii()


def test_scholarly_schemes_and_tones() -> None:
    assert romanize("नमस्ते", "hi", scheme="iso") == "namastē"
    assert romanize("नमस्ते", "hi", scheme="iast") == "namaste"
    assert romanize("你好", "zh", tones="marks") == "nǐ hǎo"
    assert romanize("你好", "zh", tones="numbers") == "ni3 hao3"


def test_mixed_script_keeps_latin_and_digits() -> None:
    assert romanize("Hello नमस्ते 42 world", "hi") == "Hello namaste 42 world"
    assert romanize("WiFi 密码 123", "zh") == "WiFi mi ma 123"
    # another script inside the text is not the target: it is left alone
    assert romanize("Привет 你好", "ru") == "Privet 你好"


def test_empty_text() -> None:
    assert romanize("", "bn") == ""


def test_unsupported_language_names_supported_scripts() -> None:
    with pytest.raises(UnsupportedScriptError) as err:
        romanize("hello", "en")
    message = str(err.value)
    assert "Latn" in message and "Deva" in message and "Hani" in message
    with pytest.raises(UnsupportedScriptError, match="unknown language"):
        romanize("x", "Klingonish-not-a-language")
    with pytest.raises(ProbeError, match="scheme"):
        get_probe("translit-latn", scheme="fancy")


def _sample(lang: str, text: str, pair: str = "p1") -> Sample:
    meta = SampleMeta(benchmark="toy", language=lang, language_tag=lang, pair_id=pair)
    return Sample(input=text, id=f"toy:{pair}:{lang}", metadata=meta.as_metadata())


def test_probe_contract() -> None:
    samples = [
        _sample("hi", "नमस्ते"),
        _sample("en", "Hello"),
        _sample("bn", ""),
        _sample("zh", "你好", "p2"),
    ]
    probe = get_probe("translit-latn")
    out, report = probe.apply(samples, seed=3)
    assert [s.metadata["language_tag"] for s in out if s.metadata] == ["hi-Latn", "zh-Latn"]
    assert report.made == 2 and len(report.skipped) == 2 and report.seen == 4
    assert any("Latn" in r for r in report.skipped_by_reason())
    meta = out[0].metadata or {}
    assert meta["pair_id"] == "p1" and meta["variant"] == "translit-latn"
    assert meta["params"]["seed"] == 3 and "pypinyin" in meta["params"]["versions"]
    assert len({s.id for s in out} | {s.id for s in samples}) == len(out) + len(samples)
    again, _ = probe.apply(samples, seed=3)
    assert [(s.id, s.input) for s in again] == [(s.id, s.input) for s in out]


def test_registry_and_dataset_transform() -> None:
    assert {"translit-latn", "arabizi", "codeswitch-word", "codeswitch-clause"} <= set(PROBES)
    with pytest.raises(ProbeError, match=r"known probes:.*arabizi"):
        get_probe("no-such-probe")
    transform = as_dataset_transform(get_probe("translit-latn"))
    dataset = transform(MemoryDataset([_sample("ko", "안녕하세요")], name="toy"))
    assert len(dataset) == 1 and dataset[0].input == "annyeonghaseyo"


def test_multijail_all_non_latin(multijail_data: tuple[list[Sample], LoadReport]) -> None:
    samples, _ = multijail_data
    out, report = get_probe("translit-latn").apply(samples, seed=0)
    non_latin = {"zh", "ar", "ko", "th", "bn"}
    expected = sum(1 for s in samples if (s.metadata or {})["language_tag"] in non_latin)
    assert report.made == expected == 5 * 315
    assert report.made + len(report.skipped) == len(samples)
    # romanised text keeps at most a trace of its source script (quotes, rare symbols)
    leftover = [sum(not c.isascii() for c in str(s.input)) / max(1, len(str(s.input))) for s in out]
    assert sum(leftover) / len(leftover) < 0.01
