"""Brahmic script -> ISO 15919 / IAST with `indic-transliteration`'s own tables, fast per word.

`sanscript.transliterate` spends most of a short word's time outside the conversion (two
`regex` module calls and scheme lookups per call). This is its Brahmic-to-Roman loop over the
same SchemeMap, with the per-call preprocessing compiled once; the tests check it gives the
library's output character for character.

>>> to_roman("नमस्ते", "DEVANAGARI", "iso")
'namastē'
"""

from __future__ import annotations

import re
from functools import cache
from importlib import import_module
from typing import Any

# The library's per-script preprocessing (schemes/brahmic: replace_khanda, replace_n).
_REPLACE: dict[str, tuple[tuple[str, str], ...]] = {
    "BENGALI": (("ৎ", "ত্"),),
    "TELUGU": (("ౝ", "న్"),),
    "KANNADA": (("ೝ", "ನ್"), ("೜", "श्री")),
}


@cache
def _scheme_map(script: str, target: str) -> Any:
    sanscript = import_module("indic_transliteration.sanscript")
    to = sanscript.IAST if target == "iast" else sanscript.ISO
    return sanscript.SchemeMap(sanscript.SCHEMES[getattr(sanscript, script)], sanscript.SCHEMES[to])


@cache
def _accent_pattern(script: str, target: str) -> re.Pattern[str] | None:
    scheme_map = _scheme_map(script, target)
    if not scheme_map.accents:
        return None
    marks = "".join(scheme_map.from_scheme["yogavaahas"])
    accents = "".join(scheme_map.accents.keys())
    return re.compile(f"([{re.escape(marks)}])([{re.escape(accents)}])")


def to_roman(data: str, script: str, target: str) -> str:
    """`data` in `script` (sanscript's name, e.g. "BENGALI") as ISO 15919 ("iso") or IAST."""
    scheme_map = _scheme_map(script, target)
    for old, new in _REPLACE.get(script, ()):
        if old in data:
            data = data.replace(old, new)
    if script == "GURMUKHI" and "ੱ" in data:  # addak (gemination): rare, the library's rules
        brahmic = import_module("indic_transliteration.sanscript.schemes.brahmic")
        data = brahmic.GurmukhiScheme.replace_addak(text=data)
    data = scheme_map.from_scheme.unapply_shortcuts(data_in=data)
    accents = _accent_pattern(script, target)
    if accents is not None:
        data = accents.sub(r"\2\1", data)
    return str(scheme_map.to_scheme.apply_shortcuts(data_in=_loop(data, script, target)))


@cache
def _tokens(script: str, target: str) -> re.Pattern[str]:
    # the longest multi-character key at a position, else one character (the library's order)
    keys = sorted((k for k in _scheme_map(script, target).non_marks_viraama if len(k) > 1),
                  key=len, reverse=True)  # fmt: skip
    return re.compile("|".join([*map(re.escape, keys), "."]), re.DOTALL)


def _loop(data: str, script: str, target: str) -> str:
    # The library's _brahmic loop to a Roman scheme: the inherent 'a' is written after a
    # consonant unless a vowel sign or virama follows.
    scheme_map = _scheme_map(script, target)
    vowel_marks: dict[str, str] = scheme_map.vowel_marks
    virama: dict[str, str] = scheme_map.virama
    consonants = scheme_map.consonants
    other: dict[str, str] = scheme_map.non_marks_viraama
    out: list[str] = []
    had_consonant = False
    for token in _tokens(script, target).findall(data):
        if token in vowel_marks:
            out.append(vowel_marks[token])
        elif token in virama:
            out.append(virama[token])
        else:
            if had_consonant:
                out.append("a")
            out.append(other.get(token, token))
        had_consonant = token in consonants
    if had_consonant:
        out.append("a")
    return "".join(out)
