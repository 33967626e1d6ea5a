"""The fast Chinese, Korean and Japanese romanisers give exactly their library's output.

`_pinyin` re-implements `lazy_pinyin`'s default path over pypinyin's own dictionaries,
`_hangul` tabulates korean-romanizer's sound-change rules and `_kakasi` walks text as
`pykakasi.kakasi().convert` does; all exist for speed only, so any difference from the library
is a defect. Checked on random strings and on real prompts.
"""

from __future__ import annotations

import random

import pytest
from inspect_ai.dataset import Sample

from langgap.evaluate.probes._hangul import romanize_word
from langgap.evaluate.probes._kakasi import hepburn_items, original_items
from langgap.evaluate.probes._pinyin import cut, run_items
from langgap.evaluate.probes.transliterate import romanize

pypinyin = pytest.importorskip("pypinyin")
korean_romanizer = pytest.importorskip("korean_romanizer.romanizer")
pykakasi = pytest.importorskip("pykakasi")
STYLES = {"none": "NORMAL", "marks": "TONE", "numbers": "TONE3"}
Loaded = tuple[list[Sample], object]


def _lazy_pinyin(text: str, tones: str) -> list[str]:
    style = getattr(pypinyin.Style, STYLES[tones])
    return list(pypinyin.lazy_pinyin(text, style=style))


def _texts(loaded: Loaded, tag: str) -> list[str]:
    return [str(s.input) for s in loaded[0] if (s.metadata or {}).get("language_tag") == tag]


def test_pinyin_matches_the_library_on_random_strings() -> None:
    from pypinyin.constants import PHRASES_DICT
    from pypinyin.seg.mmseg import seg

    rng = random.Random(11)
    phrases = rng.sample(sorted(PHRASES_DICT), 2000)
    # single characters, one without a reading (U+9FFF), non-Han text between Han runs
    pieces = phrases + list("".join(phrases[:300])) + ["\u9fff", "〇", " ", "a1", "，", "！"]
    for i in range(600):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 9)))
        assert cut(text) == list(seg.cut(text)), text
        for tones in STYLES if i < 200 else ("none",):
            assert run_items(text, tones) == _lazy_pinyin(text, tones), (text, tones)


def test_pinyin_matches_the_library_on_real_prompts(
    multijail_data: Loaded, polyrefuse_data: Loaded
) -> None:
    texts = _texts(multijail_data, "zh") + _texts(polyrefuse_data, "zh")[:300]
    assert len(texts) == 615
    for i, text in enumerate(texts):
        for tones in STYLES if i < 100 else ("none",):
            assert run_items(text, tones) == _lazy_pinyin(text, tones)


def _library_word(word: str) -> str | None:
    try:
        return str(korean_romanizer.Romanizer(word).romanize())
    except KeyError:
        return None


def test_hangul_matches_the_library_on_random_words() -> None:
    rng = random.Random(5)
    syllables = [chr(c) for c in range(0xAC00, 0xD7A4)]
    others = ["ㄱ", "ㅏ", "!", "a", "ᄀ", "。", "1"]  # compatibility jamo, punctuation, Latin
    settled = 0
    for _ in range(6000):
        word = "".join(
            rng.choice(syllables) if rng.random() < 0.85 else rng.choice(others)
            for _ in range(rng.randint(1, 6))
        )
        fast = romanize_word(word)
        if fast is not None:  # None sends the word to the library itself
            settled += 1
            assert fast == _library_word(word), word
    assert settled > 5000  # the table settles nearly every word without the library


def test_korean_romanisation_unchanged_on_real_prompts(
    multijail_data: Loaded, polyrefuse_data: Loaded
) -> None:
    from anyascii import anyascii

    texts = _texts(multijail_data, "ko") + _texts(polyrefuse_data, "ko")[:1000]
    words = {word for text in texts for word in text.split() if word}
    assert len(words) > 3000
    for word in words:
        assert romanize_word(word) == _library_word(word), word
    # the whole romaniser: each Hangul word as the library (plus anyascii) writes it
    expected = f"{anyascii(_library_word('안녕하세요'))} yeoreobun"
    assert romanize("안녕하세요 여러분", "ko") == expected


def _assert_kakasi_agrees(texts: list[str]) -> None:
    library = pykakasi.kakasi()
    for text in texts:
        items = library.convert(text)
        assert hepburn_items(text) == [item["hepburn"] for item in items], text
        assert original_items(text) == [item["orig"] for item in items], text


def test_kakasi_matches_the_library_on_random_strings() -> None:
    rng = random.Random(3)
    # kana of both kinds, half-width kana, long marks, kanji words and unknown kanji (U+3400,
    # U+9FFF), end marks, symbols, full-width and ASCII letters, tabs, private use, Greek,
    # Cyrillic, Latin-1, a variation selector (the library's own path)
    pool = [
        *"あかがきゃっーんアカガキャッーンｱｶﾞﾊﾟｰ日本語中国人学校生漢字々〆ヶ、。！？（）「」",
        *"―−ｰ .,!?)]abAZ09０９ａＡ\t\ue000\uf000\u3400\u9fff鬱龘ΑαЁё¡ÿ~@ヽヾゝ",
        *("葛\U000e0100飾", "日本\ufe00語"),
    ]
    _assert_kakasi_agrees(
        ["".join(rng.choice(pool) for _ in range(rng.randint(1, 20))) for _ in range(3000)]
    )


def test_kakasi_matches_the_library_on_real_prompts(
    xsafety_data: Loaded, polyrefuse_data: Loaded
) -> None:
    texts = _texts(xsafety_data, "ja")[:1500] + _texts(polyrefuse_data, "ja")[:500]
    assert len(texts) == 2000
    _assert_kakasi_agrees(texts)
