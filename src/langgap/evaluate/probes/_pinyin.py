"""Chinese -> pinyin with `pypinyin`'s own dictionaries and segmenter rules, fast per run.

`lazy_pinyin` spends most of a short text's time outside the dictionary look-up: a generator
segmenter that calls a method per prefix test, a deep copy of each phrase entry and the
converter's hook chain per syllable. With its default options (no tone sandhi, `v` for ü, no
neutral-tone 5) its output is: the text split into Han and non-Han parts; each Han part cut by
forward maximum matching over the phrase dictionary (strict: only dictionary phrases are kept
whole); each phrase given the first reading of its entry (a character outside a phrase, its own
first reading; a character without one, itself); each reading put in the asked style by the
library's style function; each non-Han part kept whole. This does exactly that, with the style
of every toned syllable computed once by the library. The tests check it against `lazy_pinyin`
on real prompts and on random strings.

>>> run_items("我们是中国人", "none")
['wo', 'men', 'shi', 'zhong', 'guo', 'ren']
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cache, lru_cache
from typing import Any

_STYLES = {"none": "NORMAL", "marks": "TONE", "numbers": "TONE3"}


@cache
def _library() -> tuple[Mapping[str, Any], Mapping[int, str], re.Pattern[str]]:
    """Phrase and character dictionaries and the Han splitter."""
    from pypinyin.constants import PHRASES_DICT, PINYIN_DICT, RE_HANS

    han_class = RE_HANS.pattern.removeprefix("^(?:").removesuffix(")+$")
    return PHRASES_DICT, PINYIN_DICT, re.compile(f"({han_class}+)")


@cache
def _prefixes() -> dict[str, bool]:
    """The segmenter's prefix set, each prefix mapped to whether it is a dictionary phrase."""
    from pypinyin.seg.mmseg import seg

    phrases, _, _ = _library()
    prefix_set = seg._prefix_set  # the library's own segmenter data
    return {p: p in phrases for p in getattr(prefix_set, "_set", ())} or _rebuilt(phrases)


def _rebuilt(phrases: Mapping[str, Any]) -> dict[str, bool]:
    # PrefixSet.train, should a later pypinyin store its prefixes elsewhere
    return {w[: i + 1]: w[: i + 1] in phrases for w in phrases for i in range(len(w))}


def cut(text: str) -> list[str]:
    """`list(pypinyin.seg.mmseg.seg.cut(text))`: forward maximum matching, phrases only."""
    prefixes = _prefixes()
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        longest = 0  # end of the longest dictionary phrase starting at i
        j = i + 1
        while j <= n:
            is_phrase = prefixes.get(text[i:j])
            if is_phrase is None:  # not a prefix of any phrase: stop extending
                break
            if is_phrase:
                longest = j
            j += 1
        if longest:
            out.append(text[i:longest])
            i = longest
        elif j <= n:  # no phrase here: one character, then match again from the next
            out.append(text[i])
            i += 1
        else:  # the rest is a prefix of phrases but holds none: the library splits it all
            out.extend(text[i:])
            break
    return out


def parts(run: str) -> Iterator[tuple[str, bool]]:
    """(segment, is Han) in `lazy_pinyin`'s order: Han parts cut into phrases, others whole."""
    _, _, han = _library()
    for part in han.split(run):
        if not part:
            continue
        if han.fullmatch(part):
            for segment in cut(part):
                yield segment, True
        else:
            yield part, False


def run_items(run: str, tones: str) -> list[str]:
    """`lazy_pinyin(run, style)`: one item per Han character, one per non-Han part."""
    return [
        item
        for segment, is_han in parts(run)
        for item in (segment_pinyin(segment, tones) if is_han else (segment,))
    ]


@lru_cache(maxsize=65536)  # each Han segment converted once per process
def segment_pinyin(segment: str, tones: str) -> tuple[str, ...]:
    """`lazy_pinyin(segment, style)` for one Han segment of the segmenter."""
    phrases, singles, _ = _library()
    entry = phrases.get(segment)
    if entry is not None:
        readings = [item[0] for item in entry]
    else:  # a character without a reading stays as it is (errors='default')
        readings = [singles[ord(c)].split(",", 1)[0] if ord(c) in singles else c for c in segment]
    styled = _styled(tones)
    out = []
    for reading in readings:
        text = styled.get(reading)
        if text is None:  # a character without a reading
            text = _convert(reading, _style(tones))
        out.append(text)  # an empty rendering stays '' (the library's _remove_dup_and_empty)
    return tuple(out)


@cache
def _styled(tones: str) -> dict[str, str]:
    """Toned syllable -> the library's rendering in style `tones`, for every dictionary reading."""
    phrases, singles, _ = _library()
    readings = {r for value in singles.values() for r in value.split(",")}
    readings.update(r for entry in phrases.values() for item in entry for r in item)
    style = _style(tones)
    return {reading: _convert(reading, style) for reading in readings}


@cache
def _style(tones: str) -> Any:
    from pypinyin import Style

    return getattr(Style, _STYLES[tones])


def _convert(reading: str, style: Any) -> str:
    from pypinyin.style import convert

    # DefaultConverter.convert_style's call (the style functions ignore `han`)
    return str(convert(reading, style, True, default=reading, han=""))
