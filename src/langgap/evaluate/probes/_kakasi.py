"""Japanese -> Hepburn with `pykakasi`'s own dictionaries and rules, fast per run.

`kakasi().convert` spends most of its time in two places: a kanji look-up tests every
dictionary word that starts with the character (over a thousand `startswith` calls for a common
kanji), and every segment is written in kana, Hepburn, Kunrei and Passport when only Hepburn is
used. This walks the text exactly as the library does (the same character classes tested in the
same order, the same buffer and its quirks: a flush that keeps the buffer, an unknown kanji that
also skips the next character), looks a kanji word up by the lengths its dictionary holds,
longest first, and writes each segment's reading in Hepburn once per process with the library's
own functions. Text holding a character the variant table deletes (variation selectors, whose
count the library's look-up corrects for) goes to the library itself. The tests check it against
`kakasi().convert` on real prompts and on random strings.

>>> hepburn_items("日本語です")
['nihongo', 'desu']
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import Any

# Character classes, in the order the library tests them.
_END, _LONG, _KANA, _HIRA, _ALPHA, _SYMBOL, _KANJI, _PRIVATE, _OTHER = range(9)
_hepburn_memo: dict[str, str] = {}
_class_memo: dict[str, int] = {}


@cache
def _library() -> tuple[Any, Any, dict[int, Any], dict[int, str | None]]:
    """The library's converter, its segment converter and its kanji and variant tables."""
    kanji, scripts = import_module("pykakasi.kanji"), import_module("pykakasi.scripts")
    converter = import_module("pykakasi").kakasi()
    return converter, scripts.IConv(), kanji.Kanwa()._jisyo_table, kanji.Itaiji()._itaijidict


@cache
def _deleted() -> frozenset[str]:
    """Characters the variant table removes (the library's look-up then recounts lengths)."""
    return frozenset(chr(c) for c, to in _library()[3].items() if to is None)


@cache
def _key_lengths(first: int) -> tuple[int, ...]:
    """Lengths of the dictionary words starting with character `first`, longest first."""
    return tuple(sorted({len(word) for word in _library()[2][first]}, reverse=True))


def clear_caches() -> None:
    """Forget every segment converted (benchmarks time unseen text)."""
    _hepburn_memo.clear()


def _char_class(char: str) -> int:
    marks, scripts = import_module("pykakasi.properties").Ch, import_module("pykakasi.scripts")
    code = ord(char)
    if char in marks.endmark:
        return _END
    if char in marks.long_symbols:
        return _LONG
    for kind, name in ((_KANA, "K2"), (_HIRA, "H2"), (_ALPHA, "A2"), (_SYMBOL, "Sym2")):
        if getattr(scripts, name).isRegion(char):
            return kind
    if 0x3400 <= code < 0xE000 or code in _library()[3]:
        return _KANJI
    if 0xF000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFD:
        return _PRIVATE
    return _OTHER


def _hepburn(kana: str) -> str:
    """The library's Hepburn for a segment read as `kana` (`IConv.convert(...)["hepburn"]`)."""
    out = _hepburn_memo.get(kana)
    if out is None:
        iconv = _library()[1]
        out = _hepburn_memo[kana] = iconv._s2a(iconv._h2ah(iconv._k2h(kana)))
    return out


def _kanji(text: str, at: int, before: str) -> tuple[str, int]:
    """`JConv.convert(text[at:], before)` for text the variant table maps char for char."""
    table = _library()[2].get(ord(text[at]))
    if table is None:
        return "", 0
    left = len(text) - at
    for length in _key_lengths(ord(text[at])):
        if length <= left:
            for reading, condition in table.get(text[at : at + length], ()):
                if condition is None or before in condition:
                    return reading, length
    return "", 0


def hepburn_items(text: str) -> list[str]:
    """`[item["hepburn"] for item in kakasi().convert(text)]`."""
    found = _segments(text)
    if found is None:
        return [item["hepburn"] for item in _library()[0].convert(text)]
    return [_hepburn(kana) for _, kana in found]


def original_items(text: str) -> list[str]:
    """`[item["orig"] for item in kakasi().convert(text)]`: the text cut into words."""
    found = _segments(text)
    if found is None:
        return [item["orig"] for item in _library()[0].convert(text)]
    return [original for original, _ in found]


def _segments(text: str) -> list[tuple[str, str]] | None:
    """(original, reading) of every item the library makes; None: ask the library."""
    if not text or not _deleted().isdisjoint(text):
        return None
    looked_up = text.translate(_library()[3])  # char for char: nothing in it is deleted
    out: list[tuple[str, str]] = []
    buffer = kana = ""
    i, n, previous = 0, len(text), _KANJI
    while i < n:
        char = text[i]
        kind = _class_memo.get(char)
        if kind is None:
            kind = _class_memo[char] = _char_class(char)
        if kind == _LONG:  # follows the previous character's class
            buffer, kana, i = buffer + char, kana + char, i + 1
        elif kind in (_KANA, _HIRA, _ALPHA, _END) or (kind == _SYMBOL and previous != _SYMBOL):
            if kind == previous and kind != _END:  # the run goes on
                buffer, kana = buffer + char, kana + char
            else:  # a new run starts: out with the old one
                if buffer:
                    out.append((buffer, kana))
                buffer = kana = char
            previous = _SYMBOL if kind == _END else kind
            i += 1
        elif kind == _SYMBOL:  # a symbol after a symbol: both out on their own
            if buffer:
                out.append((buffer, kana))
            out.append((char, char))
            buffer = kana = ""
            i += 1
        elif kind == _KANJI:
            if buffer:  # written out, yet kept as the look-up's preceding text
                out.append((buffer, kana))
            reading, length = _kanji(looked_up, i, buffer)
            previous = _KANJI
            if length > 0:
                buffer, kana, i = text[i : i + length], reading, i + length
            else:  # an unknown kanji has no reading, and the next character is skipped
                out.append((char, ""))
                buffer = kana = ""
                i += 2
        else:  # private use: dropped; anything else: an item without reading; the buffer stays
            if buffer:
                out.append((buffer, kana))
            if kind == _PRIVATE:
                previous = _SYMBOL
            else:
                out.append((char, ""))
            i += 1
    if buffer:
        out.append((buffer, kana))
    return out
