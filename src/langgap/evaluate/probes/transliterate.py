"""Romanisation of non-Latin scripts with the field's libraries (variant translit-latn).

Engines, chosen per script: `indic-transliteration` (Brahmic scripts; ISO 15919, IAST, or an
informal chat style), `pypinyin` (Chinese; toneless by default), `pykakasi` (Japanese, Hepburn;
it ships its dictionary), `korean-romanizer` (Korean, Revised Romanisation), and `anyascii` for
Cyrillic, Greek, Thai, Hebrew, Arabic, Georgian, Armenian, Ethiopic and the rest. Thai uses
anyascii (letter-by-letter, no vowel reordering) because `pythainlp` is too heavy for this.
Only the target script's characters are converted; Latin letters, digits and other scripts stay.

Scheme `learned` (the probe's default) writes as people do: per-language tables learned from
human romanisations (`learned_roman.py`): Dakshina lexicons for Hindi, Bengali, Marathi,
Gujarati, Punjabi, Tamil, Telugu, Kannada, Malayalam, Urdu, Sindhi and Sinhala, the Aksharantar
sample for Odia, Assamese, Maithili, Konkani, Bodo, Sanskrit and Kashmiri,
NepaliTransliteralDataset for Nepali; languages without a table get `chat`.

>>> romanize("नमस्ते", "hi")
'namaste'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import cache, lru_cache
from importlib import import_module
from typing import Any, Literal, NamedTuple

from inspect_ai.dataset import Sample

from langgap.evaluate.probes import learned_roman
from langgap.evaluate.probes._brahmic import to_roman
from langgap.evaluate.probes._hangul import romanize_word
from langgap.evaluate.probes._kakasi import clear_caches as _clear_kakasi
from langgap.evaluate.probes._kakasi import hepburn_items
from langgap.evaluate.probes._pinyin import run_items, segment_pinyin
from langgap.evaluate.probes.base import (
    ProbeError,
    ProbeReport,
    Rewritten,
    SkipSample,
    apply_each,
    library_versions,
    register_probe,
)
from langgap.languages import Language, lookup, try_lookup

Scheme = Literal["learned", "chat", "iso", "iast"]
SCHEMES = ("learned", "chat", "iso", "iast")
Tones = Literal["none", "marks", "numbers"]
VARIANT = "translit-latn"
PACKAGES = ("anyascii", "indic-transliteration", "pypinyin", "pykakasi", "korean-romanizer")

_CJK_PUNCT = "\u3000-\u303f\uff00-\uffef"
_DANDA = "\u0964\u0965"
# ISO 15924 code -> the character ranges converted for it (marks and script punctuation included).
RANGES: dict[str, str] = {
    "Deva": "\u0900-\u097f\ua8e0-\ua8ff",
    "Beng": "\u0980-\u09ff" + _DANDA,
    "Guru": "\u0a00-\u0a7f" + _DANDA,
    "Gujr": "\u0a80-\u0aff" + _DANDA,
    "Orya": "\u0b00-\u0b7f" + _DANDA,
    "Taml": "\u0b80-\u0bff" + _DANDA,
    "Telu": "\u0c00-\u0c7f" + _DANDA,
    "Knda": "\u0c80-\u0cff" + _DANDA,
    "Mlym": "\u0d00-\u0d7f" + _DANDA,
    "Hani": "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff" + _CJK_PUNCT,
    "Jpan": "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff" + _CJK_PUNCT,
    "Hang": "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af" + _CJK_PUNCT,
    "Cyrl": "\u0400-\u052f\u1c80-\u1c8f",
    "Grek": "\u0370-\u03ff\u1f00-\u1fff",
    "Thai": "\u0e00-\u0e7f",
    "Hebr": "\u0590-\u05ff",
    "Arab": "\u0600-\u06ff\u0750-\u077f",
    "Geor": "\u10a0-\u10ff\u1c90-\u1cbf",
    "Armn": "\u0530-\u058f",
    "Ethi": "\u1200-\u139f",
    "Sinh": "\u0d80-\u0dff",
    "Khmr": "\u1780-\u17ff",
    "Laoo": "\u0e80-\u0eff",
    "Mymr": "\u1000-\u109f",
    "Tibt": "\u0f00-\u0fff",
}
# Scripts a language's CLDR script code stands for.
_ALIASES = {"Hans": "Hani", "Hant": "Hani", "Kore": "Hang"}
INDIC = {
    "Deva": "DEVANAGARI",
    "Beng": "BENGALI",
    "Guru": "GURMUKHI",
    "Gujr": "GUJARATI",
    "Orya": "ORIYA",
    "Taml": "DEVANAGARI",  # via the ISCII-parallel code points; the library's Tamil scheme is lossy
    "Telu": "TELUGU",
    "Knda": "KANNADA",
    "Mlym": "MALAYALAM",
}
# Indo-Aryan languages drop the inherent vowel at word end in speech and chat (kamal, not kamala).
SCHWA_DELETING = frozenset({"hin", "ben", "mar", "pan", "guj", "awa", "bho", "mai", "asm"})
# Chat style keeps ā, ī, ū doubled inside words in these languages (aap, theek, hoon).
DOUBLE_LONG = frozenset({"hin", "pan", "urd", "guj", "mar"})
# ISO 15919 -> informal chat spelling: diacritics dropped, sibilants and palatals as typed.
_CHAT = {
    "ch": "chh", "c": "ch", "ś": "sh", "ṣ": "sh", "ṭ": "t", "ḍ": "d", "ṇ": "n", "ṅ": "n",
    "ñ": "n", "ṁ": "n", "ṃ": "n", "m̐": "n", "ḥ": "h", "r̥": "ri", "r̥̄": "ri", "l̥": "li",
    "ē": "e", "ō": "o", "ḻ": "zh", "ḷ": "l", "ṟ": "r", "ṉ": "n", "ṛ": "r", "ṛh": "rh", "ẏ": "y",
    "ḵ": "kh", "ġ": "gh", "'": "", "।": ".", "॥": ".", "~": "n",
}  # fmt: skip
_CHAT_RE = re.compile("|".join(sorted(map(re.escape, _CHAT), key=len, reverse=True)))
_FINAL_LONG = re.compile(r"([āīū])(?![\w\u0300-\u036f])")
_LONG = {"ā": "a", "ī": "i", "ū": "u"}
_LONG_DOUBLE = {"ā": "aa", "ī": "ee", "ū": "oo"}
_LONG_TABLE = str.maketrans(_LONG)
_LONG_DOUBLE_TABLE = str.maketrans(_LONG_DOUBLE)
JOINERS = "\u200c\u200d"  # zero-width non-joiner and joiner
_NO_JOINERS = str.maketrans("", "", JOINERS)
_BLANKS = re.compile(r"([ \t]+)")
_ALNUM = re.compile(r"[^\W_]")  # exactly the characters str.isalnum() accepts
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.!?;:)\]}])")
_SPACES = re.compile(r" {2,}")
# Malayalam chillu letters (atomic, Unicode 5.1+) are a consonant with its vowel killed: written
# as consonant + virama they romanise like any final consonant (അവൻ -> avan). The older encoding,
# consonant + virama + ZWJ, becomes the same once the joiner is dropped.
_VIRAMA_ML = "\u0d4d"
_CHILLU_BASE = {
    "\u0d54": "\u0d2e", "\u0d55": "\u0d2f", "\u0d56": "\u0d34", "\u0d7a": "\u0d23",
    "\u0d7b": "\u0d28", "\u0d7c": "\u0d30", "\u0d7d": "\u0d32", "\u0d7e": "\u0d33",
    "\u0d7f": "\u0d15",
}  # fmt: skip
_CHILLU = {chillu: base + _VIRAMA_ML for chillu, base in _CHILLU_BASE.items()}
_CHILLU_RE = re.compile(f"[{''.join(_CHILLU)}]")


class UnsupportedScriptError(ProbeError):
    """A language or script the romaniser has no engine for."""


def supported_scripts() -> tuple[str, ...]:
    """ISO 15924 codes this module romanises."""
    return tuple(RANGES)


def _unsupported(what: str) -> UnsupportedScriptError:
    return UnsupportedScriptError(
        f"cannot romanise {what}; supported scripts: {', '.join(supported_scripts())} "
        "(Arabic as chat Arabizi: probe 'arabizi')"
    )


def target_script(language: str | Language) -> str:
    """The non-Latin script romanised for `language` (its first non-Latin CLDR script)."""
    lang = language if isinstance(language, Language) else try_lookup(language)
    if lang is None:
        raise _unsupported(f"unknown language {language!r}")
    if lang.code == "jpn":
        return "Jpan"
    for script in lang.scripts:
        script = _ALIASES.get(script, script)
        if script in RANGES:
            return script
    written = "/".join(lang.scripts) or "no known script"
    raise _unsupported(f"{lang.name} ({lang.tag}), written in {written}")


@cache
def _run_pattern(script: str) -> re.Pattern[str]:
    # Joiners belong to the run: they shape glyphs inside a word (র‍্য, ශ්‍රී, old chillus ന്‍)
    # and are dropped with it, never left in a romanisation.
    chars = f"[{RANGES[script]}{JOINERS}]"
    return re.compile(f"{chars}+(?:[ \\t]+{chars}+)*")


@cache
def _letters_pattern(script: str) -> re.Pattern[str]:
    return re.compile(f"[{RANGES[script]}]")


class _Options(NamedTuple):  # a cache key per word: a tuple hashes and compares in C
    language: str  # ISO 639-3
    scheme: str
    tones: str


def romanize(
    text: str, language: str | Language, *, scheme: Scheme = "chat", tones: Tones = "none"
) -> str:
    """`text` with its language's script romanised; other characters kept as they are."""
    if scheme not in SCHEMES:
        raise ProbeError(f"unknown scheme {scheme!r}; choose {', '.join(SCHEMES)}")
    if tones not in ("none", "marks", "numbers"):
        raise ProbeError(f"unknown tones {tones!r}; choose none, marks or numbers")
    script = target_script(language)
    lang = language if isinstance(language, Language) else lookup(language)
    if not text:
        return text
    if scheme == "learned" and lang.code not in learned_languages():
        scheme = "chat"  # no human romanisations learned for this language
    options = _Options(lang.code, scheme, tones)
    return _run_pattern(script).sub(lambda m: _convert_run(m.group(0), script, options), text)


def clear_caches() -> None:
    """Forget every converted word (benchmarks time unseen text)."""
    _convert.cache_clear()
    segment_pinyin.cache_clear()
    _clear_kakasi()
    for table in learned_roman.shipped().values():
        table.clear_memo()


def learned_languages() -> tuple[str, ...]:
    """ISO 639-3 codes that scheme `learned` covers (a shipped table each)."""
    return learned_roman.languages()


def prepare(run: str, script: str) -> str:
    """`run` as every engine sees it: joiners dropped, Malayalam chillus as consonant + virama."""
    if "\u200c" in run or "\u200d" in run:  # rare; str.translate is slow on non-ASCII text
        run = run.translate(_NO_JOINERS)
    if script == "Mlym":
        run = _CHILLU_RE.sub(lambda m: _CHILLU[m.group(0)], run)
    return run


def _convert_run(run: str, script: str, options: _Options) -> str:
    run = prepare(run, script)
    if script in _WHOLE_RUN:  # no spaces between words: the engine segments (and caches) itself
        out = _WHOLE_RUN[script](run, script, options)
    else:  # word by word, each word converted once per process
        out = "".join(
            part if part.isspace() or not part else _convert(part, script, options)
            for part in _BLANKS.split(run)
        )
    return _SPACES.sub(" ", out)


@lru_cache(maxsize=65536)
def _convert(word: str, script: str, options: _Options) -> str:
    if options.scheme == "learned":
        return _learned(word, script, options)
    return _ENGINES.get(script, _anyascii)(word, script, options)


def _learned(word: str, script: str, options: _Options) -> str:
    table = learned_roman.shipped()[options.language]
    chat = options._replace(scheme="chat")
    # a unit no human romanisation had (digits, danda, rare letters) is written as chat writes it
    return table.romanize(
        unicodedata.normalize("NFC", word), lambda unit: _convert(unit, script, chat)
    )


def _anyascii(run: str, script: str, options: _Options) -> str:
    from anyascii import anyascii

    return str(anyascii(run))


def _indic(run: str, script: str, options: _Options) -> str:
    if script == "Taml":  # Tamil code points sit 0x280 above their Devanagari counterparts
        run = "".join(chr(ord(c) - 0x280) if "\u0b80" <= c <= "\u0bff" else c for c in run)
        script = "Deva"
    if options.scheme == "chat" and options.language in SCHWA_DELETING:
        run = _drop_final_schwa(run, script)
    out = to_roman(run, INDIC[script], "iast" if options.scheme == "iast" else "iso")
    out = out.replace("\u093c", "").replace("\u09bc", "").replace("\u0a3c", "")  # stray nuktas
    if options.scheme != "chat":
        return out.replace("।", ".").replace("॥", ".")
    return _chat(out, double=options.language in DOUBLE_LONG)


def _drop_final_schwa(run: str, script: str) -> str:
    """Add a virama after word-final bare consonants so the inherent 'a' is not written."""
    pattern, virama = _schwa_pattern(script)
    return pattern.sub(lambda m: m.group(1) + virama, run)


@cache
def _schwa_pattern(script: str) -> tuple[re.Pattern[str], str]:
    base = ord(RANGES[script][0])  # block start; Brahmic blocks share the ISCII layout
    consonant = f"[{chr(base + 0x15)}-{chr(base + 0x39)}{chr(base + 0x58)}-{chr(base + 0x5F)}]"
    nukta, virama = chr(base + 0x3C), chr(base + 0x4D)
    block = f"[{chr(base)}-{chr(base + 0x7F)}]"
    # only words of two or more letters: a lone consonant is a whole syllable (न = na)
    return re.compile(f"(?<={block})({consonant}{nukta}?)(?!{block})"), virama


def _chat(iso: str, *, double: bool) -> str:
    """ISO 15919 text in the informal spelling of chat (namaste, aap kaise hain)."""
    text = unicodedata.normalize("NFC", iso)
    text = _FINAL_LONG.sub(lambda m: _LONG[m.group(1)], text)
    text = text.translate(_LONG_DOUBLE_TABLE if double else _LONG_TABLE)
    text = _CHAT_RE.sub(lambda m: _CHAT[m.group(0)], unicodedata.normalize("NFC", text))
    if text.isascii():
        return text
    # whatever diacritic is left (rare letters) is dropped rather than kept half-converted
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _join(items: list[str]) -> str:
    """Syllables or words joined by spaces, without a space before punctuation."""
    from anyascii import anyascii

    # only punctuation is folded (，-> ,); tone marks and long vowels of the romanisation stay
    text = " ".join(
        item if item.isalnum() or _ALNUM.search(item) else str(anyascii(item)) for item in items
    )
    return _SPACE_BEFORE_PUNCT.sub(r"\1", text)


def _pinyin(run: str, script: str, options: _Options) -> str:
    # pypinyin's segmentation and readings (`run_items` equals lazy_pinyin; tests hold it to that)
    return _join([s.strip() for s in run_items(run, options.tones) if s.strip()])


def _japanese(run: str, script: str, options: _Options) -> str:
    return _join([item for item in hepburn_items(run) if item.strip()])  # pykakasi's, faster


@cache
def _korean_romanizer() -> Any:
    return import_module("korean_romanizer.romanizer").Romanizer


def _korean(word: str, script: str, options: _Options) -> str:
    from anyascii import anyascii

    latin = romanize_word(word)  # the library's rules, tabulated (None: ask the library)
    if latin is not None:
        return str(anyascii(latin))
    try:
        latin = _korean_romanizer()(word).romanize()
    except KeyError:  # the library has no entry for some double finals at word end (않, 곬)
        latin = word
    return str(anyascii(latin))  # anyascii: CJK punctuation, and what the library left


_Engine = Callable[[str, str, _Options], str]
# Engines given one word at a time (anyascii for every script not listed).
_ENGINES: dict[str, _Engine] = {**dict.fromkeys(INDIC, _indic), "Hang": _korean}
# Engines given the whole run: their scripts write no spaces between words.
_WHOLE_RUN: dict[str, _Engine] = {"Hani": _pinyin, "Jpan": _japanese}


@register_probe(VARIANT)
class TransliterateProbe:
    """Romanise each sample in its language's script; Latin-script samples are skipped."""

    name = VARIANT

    def __init__(self, scheme: Scheme = "learned", tones: Tones = "none") -> None:
        romanize("", "hi", scheme=scheme, tones=tones)  # validate the options now
        self.scheme = scheme
        self.tones = tones

    @property
    def params(self) -> dict[str, Any]:
        """Scheme, tones and the versions of every romanisation library."""
        out: dict[str, Any] = {"scheme": self.scheme, "tones": self.tones}
        if self.scheme == "learned":
            out["learned_languages"] = list(learned_languages())
        return {**out, "versions": library_versions(*PACKAGES)}

    def apply(self, samples: Sequence[Sample], *, seed: int) -> tuple[list[Sample], ProbeReport]:
        """Romanised variants (language_tag <lang>-Latn); skips say which script was missing."""
        params = {**self.params, "seed": seed}

        def one(sample: Sample, text: str) -> Rewritten:
            tag = str((sample.metadata or {}).get("language_tag", ""))
            lang = try_lookup(tag)
            if lang is None:
                raise SkipSample(f"unknown language_tag {tag!r}")
            try:
                script = target_script(lang)
            except UnsupportedScriptError:
                written = "/".join(lang.scripts)
                raise SkipSample(f"written in {written}: no script to romanise ({tag})") from None
            if not _letters_pattern(script).search(text):
                raise SkipSample(f"no {script} characters in the prompt")
            out = romanize(text, lang, scheme=self.scheme, tones=self.tones)
            return Rewritten(out, language_tag=f"{lang.tag.split('-')[0]}-Latn")

        return apply_each(self.name, params, samples, one)
