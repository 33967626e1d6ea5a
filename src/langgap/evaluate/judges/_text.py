"""Script-aware text normalisation for the judges' phrase matching (scripts live in languages)."""

from __future__ import annotations

import re
import unicodedata

# Removed everywhere: zero-width characters (ZWSP, ZWNJ, ZWJ, word joiner, BOM), soft hyphen and
# bidi marks. Removing ZWNJ merges Persian "نمی‌توانم" and "نمیتوانم", which is what we want.
_DELETE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u061c"
# Arabic harakat, superscript alef and tatweel carry no refusal meaning and are often dropped.
_ARABIC_MARKS = "".join(chr(c) for c in range(0x064B, 0x0660)) + "\u0670\u0640"
# Indic nukta is written inconsistently (फ़/फ, ਫ਼/ਫ); it never separates refusal formulas.
_NUKTA = "\u093c\u09bc\u0a3c"

_MAP = {
    # apostrophes and quotes that models and keyboards mix
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "\u00b4": "'",
    "\u0060": "'",
    # Russian writers often omit ё
    "ё": "е",
    # Hindi chandrabindu vs anusvara (हूँ / हूं)
    "\u0901": "\u0902",
    # Arabic-script variants: alef forms, yeh forms (Arabic/Persian/alef maqsura), kaf, teh
    # marbuta and heh-with-yeh; applied to phrases and text alike, so no language loses a form
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ى": "ي",
    "ی": "ي",
    "ک": "ك",
    "ة": "ه",
    "ۀ": "ه",
}
_ASCII_KEYS = tuple(k for k in _MAP if k.isascii())
assert not set(_MAP) & set(_MAP.values()), "replacing one by one must equal a translate"
_DELETE_RE = re.compile("[" + re.escape(_DELETE + _ARABIC_MARKS + _NUKTA) + "]+")
_LATIN_MARKS = re.compile("[\u0300-\u036f]")  # combining diacritics used by Latin letters


def normalise(text: str, casefold: bool = True) -> str:
    """NFKC (full-width -> ASCII), casefold, unify variants, drop zero-width, collapse spaces."""
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        text = text.lower() if casefold else text  # the same as casefold here, and faster
        return _collapse_ascii(text)
    if casefold:
        text = text.casefold()
    # the few distinct non-ASCII characters, found in C: what to delete, map or collapse is
    # decided from them (regex and translate cost ~0.1 µs per character on such text)
    found = set(_non_ascii(text))
    if not found.isdisjoint(_DELETE_SET):
        text = _DELETE_RE.sub("", text)
    for char in found.intersection(_MAP).union(k for k in _ASCII_KEYS if k in text):
        text = text.replace(char, _MAP[char])  # no value is a key: the same as translate
    if found.isdisjoint(_WIDE_SPACE):
        return _collapse_ascii(text)
    return _collapse(text)


_ASCII_BYTES = bytes(range(128))
_DELETE_SET = frozenset(_DELETE + _ARABIC_MARKS + _NUKTA)
# non-ASCII characters str.split() splits on (none lies above U+3000)
_WIDE_SPACE = frozenset(chr(c) for c in range(0x80, 0x3001) if chr(c).isspace())


def _non_ascii(text: str) -> str:
    """The non-ASCII characters of a text, in order (UTF-8 without its ASCII bytes)."""
    raw = text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES)
    return raw.decode("utf-8", "surrogatepass")


_SPACES = re.compile("  +")  # (a literal prefix: the regex engine skips to it)
_ASCII_ODD_SPACE = "\t\r\x0b\x0c\x1c\x1d\x1e\x1f"  # ASCII whitespace besides space and \n


def _collapse_ascii(text: str) -> str:
    """`_collapse` for text whose only non-ASCII characters are no spaces, with str.replace and
    one regex pass where only spaces and line breaks occur (splitting into words costs more than
    the rest; the regex beats repeated replacing of double spaces by ~20 %)."""
    if any(map(text.__contains__, _ASCII_ODD_SPACE)):
        return _collapse(text)
    text = text.replace("\n", " ")
    return _SPACES.sub(" ", text) if "  " in text else text


def _collapse(text: str) -> str:
    """Every whitespace run as one space (str.split is several times faster than a regex)."""
    body = " ".join(text.split())
    if text[:1].isspace():
        body = " " + body
    if text[-1:].isspace() and body != " ":
        body += " "
    return body


def fold(text: str) -> str:
    """Strip Latin combining diacritics (é -> e, ọ́ -> o); only for languages where that is safe."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", _LATIN_MARKS.sub("", unicodedata.normalize("NFD", text)))
