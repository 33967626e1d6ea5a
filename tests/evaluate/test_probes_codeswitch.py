"""Code-switching probe: alignment, ratio, levels and fallbacks, measured mix, determinism."""

from __future__ import annotations

import pytest
from inspect_ai.dataset import Sample

from langgap.evaluate.benchmarks import LoadReport
from langgap.evaluate.probes import ProbeError, get_probe
from langgap.evaluate.probes.codeswitch import CodeSwitchProbe, clauses, identify, tokens
from langgap.evaluate.samples import SampleMeta
from langgap.languages import lookup

# Benign parallel sentences written for these tests.
PARALLEL = {
    "1": {
        "en": "The weather is very nice today, so we will walk to the old market together.",
        "it": "Oggi il tempo è molto bello, quindi andremo insieme a piedi al vecchio mercato.",
        "zh": "今天天气很好，所以我们一起走路去老市场。",
        "th": "วันนี้อากาศดีมาก เราจะเดินไปตลาดเก่าด้วยกัน",
    },
    "2": {
        "en": "My grandmother bakes bread every morning, and the whole house smells wonderful.",
        "it": "Mia nonna fa il pane ogni mattina, e tutta la casa profuma in modo meraviglioso.",
        "zh": "我奶奶每天早上烤面包，整个房子都很香。",
        "th": "ยายของฉันอบขนมปังทุกเช้า บ้านทั้งหลังหอมมาก",
    },
}


def _samples() -> list[Sample]:
    out = []
    for pair, texts in PARALLEL.items():
        for tag, text in texts.items():
            lang = lookup(tag)
            meta = SampleMeta(benchmark="toy", language=lang.code, language_tag=tag, pair_id=pair)
            out.append(Sample(input=text, id=f"toy:{pair}:{tag}", metadata=meta.as_metadata()))
    return out


def test_segmentation() -> None:
    assert len(clauses(PARALLEL["1"]["en"], lookup("en"))) == 2
    assert len(clauses(PARALLEL["1"]["zh"], lookup("zh"))) == 2
    assert len(tokens("我们一起走路", lookup("zh"))) >= 3  # jieba segments Chinese words
    assert identify("the weather is very nice today", ["en", "it"]) == "en"
    assert identify("oggi il tempo è molto bello", ["en", "it"]) == "it"


def test_word_level_ratio_and_metadata() -> None:
    probe = get_probe("codeswitch-word", languages=["en", "it"], ratio=0.4)
    out, report = probe.apply(_samples(), seed=5)
    assert report.made == 2 and not report.skipped
    for sample in out:
        meta = sample.metadata or {}
        assert meta["variant"] == "codeswitch-word" and meta["languages"] == ["en", "it"]
        assert meta["params"]["level_used"] == "word" and meta["params"]["anchored"]
        assert meta["params"]["ratio"] == 0.4 and meta["params"]["seed"] == 5
        mix = meta["mix"]
        assert mix["target_ratio"] == 0.4
        assert abs(mix["planned"]["it"] - 0.4) < 0.05
        assert set(mix["measured"]) == {"en", "it"}
    assert {(s.metadata or {})["pair_id"] for s in out} == {"1", "2"}
    assert "mix_mean_abs_deviation" in report.stats


def test_determinism_by_seed() -> None:
    probe = CodeSwitchProbe(["en", "it"], 0.5, "word")
    first, _ = probe.apply(_samples(), seed=1)
    again, _ = probe.apply(list(reversed(_samples())), seed=1)
    other, _ = probe.apply(_samples(), seed=2)
    key = sorted((s.id, s.input) for s in first)
    assert key == sorted((s.id, s.input) for s in again)
    assert key != sorted((s.id, s.input) for s in other)


def test_clause_level_and_chinese_joining() -> None:
    out, report = get_probe("codeswitch-clause", languages=["zh", "en"]).apply(_samples(), seed=0)
    assert report.made == 2
    text = str(out[0].input)
    assert any("\u4e00" <= c <= "\u9fff" for c in text) and any(c.isascii() and c.isalpha()
                                                                   for c in text)  # fmt: skip
    assert (out[0].metadata or {})["params"]["level_used"] == "clause"


def test_thai_falls_back_to_clause_level() -> None:
    out, report = get_probe("codeswitch-word", languages=["en", "th"]).apply(_samples(), seed=0)
    levels = {(s.metadata or {})["params"]["level_used"] for s in out}
    assert levels <= {"clause"}
    assert report.made + len(report.skipped) == 2  # every pair is made or skipped with a reason


def test_missing_language_is_reported() -> None:
    samples = [s for s in _samples() if s.id != "toy:2:it"]
    _, report = get_probe("codeswitch-word", languages=["en", "it"]).apply(samples, seed=0)
    assert report.made == 1 and report.skipped_by_reason() == {"pair lacks it": 1}


def test_bad_parameters() -> None:
    with pytest.raises(ProbeError, match="ratio"):
        CodeSwitchProbe(["en", "it"], ratio=1.5)
    with pytest.raises(ProbeError, match="level"):
        CodeSwitchProbe(["en", "it"], level="letter")  # type: ignore[arg-type]
    with pytest.raises(ProbeError, match="distinct"):
        CodeSwitchProbe(["en", "English"])


@pytest.mark.parametrize("level", ["word", "phrase", "clause"])
def test_multijail_ratio_respected(
    multijail_data: tuple[list[Sample], LoadReport], level: str
) -> None:
    samples, _ = multijail_data
    probe = get_probe(f"codeswitch-{level}", languages=["en", "bn"], ratio=0.5)
    out, report = probe.apply(samples, seed=0)
    assert report.made + len(report.skipped) == 315
    assert report.made >= (250 if level != "clause" else 40)
    planned = [(s.metadata or {})["mix"]["planned"]["bn"] for s in out]
    assert abs(sum(planned) / len(planned) - 0.5) < 0.1
    # Bengali and English are easy to tell apart: the measured mix follows the plan
    assert report.stats["mix_mean_abs_deviation"] < 0.2
    assert len({s.id for s in out}) == len(out)


def test_multijail_ten_languages(multijail_data: tuple[list[Sample], LoadReport]) -> None:
    samples, _ = multijail_data
    langs = ["en", "zh", "it", "vi", "ar", "ko", "bn", "sw", "jv"]  # Thai would force clauses
    out, report = get_probe("codeswitch-word", languages=langs, ratio=0.6).apply(samples, seed=0)
    assert report.made >= 300
    used = {t for s in out for t, share in (s.metadata or {})["mix"]["planned"].items() if share}
    assert used == set(langs)
