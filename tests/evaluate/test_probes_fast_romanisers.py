"""The fast Chinese and Korean romanisers give exactly their library's output.

`_pinyin` re-implements `lazy_pinyin`'s default path over pypinyin's own dictionaries, and
`_hangul` tabulates korean-romanizer's sound-change rules; both exist for speed only, so any
difference from the library is a defect. Checked on random strings and on real prompts.
"""

from __future__ import annotations

import random

import pytest
from inspect_ai.dataset import Sample

from langgap.evaluate.probes._hangul import romanize_word
from langgap.evaluate.probes._pinyin import cut, run_items
from langgap.evaluate.probes.transliterate import romanize

pypinyin = pytest.importorskip("pypinyin")
korean_romanizer = pytest.importorskip("korean_romanizer.romanizer")
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
