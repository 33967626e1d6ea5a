"""Arabizi: Arabic script rewritten in the Latin-and-digits chat alphabet (ar-Latn).

No maintained library does this, so the letter table is data (`arabizi.yaml`, with its sources)
and only the vowel heuristic is code. Arabic script omits short vowels; where the text carries
harakat they are used, otherwise an 'a' is inserted by a CV(C) syllable heuristic:

- a consonant followed by a long-vowel letter (ا و ي ى ة) takes that vowel and nothing else;
- a consonant that opens a syllable (word start, or after a consonant that closed one) gets 'a';
- a consonant after a vowel closes the syllable (no vowel), except before the word's last
  consonant, where 'a' is inserted so no word ends in two consonants (كتب -> katab);
- و and ي are consonants (w, y) at word start, after a vowel or before a vowel letter, and
  long vowels (ou/o/u, i) between consonants.

>>> to_arabizi("مرحبا")
'mar7aba'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any, Literal

import yaml
from inspect_ai.dataset import Sample

from langgap.evaluate.probes.base import (
    ProbeError,
    ProbeReport,
    Rewritten,
    SkipSample,
    apply_each,
    library_versions,
    register_probe,
)
from langgap.languages import lookup, try_lookup

Variety = Literal["standard", "egyptian", "levantine", "levantine-9", "gulf"]
VARIANT = "arabizi"

FATHA, DAMMA, KASRA, SUKUN, SHADDA = "\u064e", "\u064f", "\u0650", "\u0652", "\u0651"
TANWIN = {"\u064b": "an", "\u064c": "un", "\u064d": "in"}
SHORT = {FATHA: "a", DAMMA: "u", KASRA: "i", SUKUN: "", "\u0670": "a"}
LONG_LETTERS = frozenset("اوي\u06ccى")
VOWEL_LETTERS = frozenset("اىة")  # letters after which و/ي are consonants
TATWEEL = "\u0640"
ARABIC_WORD = re.compile(
    r"[\u0621-\u063a\u0640-\u0652\u0670\u0671\u067e\u0686\u06a4\u06a9\u06af\u06cc]+"
)
ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
# Fixed expressions whose conventional spelling the heuristic cannot reach.
WORDS = {"الله": "allah"}


@dataclass(frozen=True, slots=True)
class _Table:
    letters: dict[str, str]
    long: dict[str, str]
    article: str
    ta_marbuta: str
    hamza_below: str
    punctuation: dict[str, str]


@cache
def _raw() -> dict[str, Any]:
    text = files("langgap.evaluate.probes").joinpath("arabizi.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def varieties() -> tuple[str, ...]:
    """The Arabizi varieties arabizi.yaml defines."""
    return tuple(_raw()["variants"])


@cache
def _table(variety: str) -> _Table:
    raw = _raw()
    if variety not in raw["variants"]:
        raise ProbeError(
            f"unknown Arabizi variety {variety!r}; choose one of {', '.join(varieties())}"
        )
    spec = raw["variants"][variety]
    letters = {**raw["letters"], **spec.get("letters", {})}
    long = dict(spec["long"])
    long["\u06cc"] = long["ي"]  # Persian yeh is written for ي in much web text
    return _Table(
        letters={k: str(v) for k, v in letters.items()},
        long={k: str(v) for k, v in long.items()},
        article=str(spec["article"]),
        ta_marbuta=str(spec["ta_marbuta"]),
        hamza_below=str(spec["alif_hamza_below"]),
        punctuation={k: str(v) for k, v in raw["punctuation"].items()},
    )


@dataclass(slots=True)
class _Unit:
    latin: str
    vowel: bool  # a vowel letter (long vowel, initial alif, ta marbuta)
    marks: str = ""  # harakat written on it


def _units(word: str, table: _Table) -> list[_Unit]:
    """The word as consonant and vowel units, harakat attached to the unit they follow."""
    units: list[_Unit] = []
    for i, ch in enumerate(word):
        if ch in SHORT or ch in TANWIN or ch == SHADDA:
            if units:
                units[-1].marks += ch
            continue
        start = not units
        nxt = word[i + 1] if i + 1 < len(word) else ""
        if ch in "اٱ":
            units.append(_Unit(table.long["ا"] if not start else "a", True))
        elif ch == "أ":
            units.append(_Unit("a", True) if start else _Unit("2", False))
        elif ch == "إ":
            units.append(_Unit(table.hamza_below, True) if start else _Unit("2", False))
        elif ch == "آ":
            units += [_Unit("a", True)] if start else [_Unit("2", False), _Unit("a", True)]
        elif ch == "ة":
            units.append(_Unit(table.ta_marbuta, True))
        elif ch == "ى":
            units.append(_Unit(table.long["ى"], True))
        elif ch in "وي\u06cc":
            consonant = start or units[-1].vowel or nxt in VOWEL_LETTERS or nxt in (FATHA, SHADDA)
            glide = "w" if ch == "و" else "y"
            units.append(_Unit(glide, False) if consonant else _Unit(table.long[ch], True))
        elif ch in table.letters:
            units.append(_Unit(table.letters[ch], False))
    return units


def _vowel_after(units: list[_Unit], i: int, had_vowel: list[bool]) -> str:
    """The short vowel to write after consonant i (explicit harakat first, else the heuristic)."""
    unit = units[i]
    if unit.marks and i + 1 < len(units) and units[i + 1].vowel:
        return ""  # a written short vowel before a long one: the long vowel spells it
    for mark in unit.marks:
        if mark in TANWIN:
            return TANWIN[mark]
        if mark in SHORT:
            return SHORT[mark]
    if i + 1 >= len(units) or units[i + 1].vowel:
        return ""
    closes = i > 0 and (units[i - 1].vowel or had_vowel[i - 1])
    if closes and i + 2 < len(units):
        return ""
    return "a"


@lru_cache(maxsize=65536)
def _word(word: str, variety: str) -> str:
    word = word.replace(TATWEEL, "")
    if word in WORDS:
        return WORDS[word]
    table = _table(variety)
    prefix = ""
    if word.startswith("ال") and len(word) > 3:
        prefix, word = table.article, word[2:]
    units = _units(word, table)
    out: list[str] = [prefix]
    had_vowel = [False] * len(units)
    for i, unit in enumerate(units):
        if unit.vowel:
            tanwin = next((TANWIN[m] for m in unit.marks if m in TANWIN), None)
            out.append(tanwin if tanwin and unit.latin == "a" else unit.latin)
            continue
        latin = unit.latin * 2 if SHADDA in unit.marks and len(unit.latin) == 1 else unit.latin
        vowel = _vowel_after(units, i, had_vowel)
        had_vowel[i] = bool(vowel)
        out.append(latin + vowel)
    return "".join(out)


def to_arabizi(text: str, variety: Variety | str = "standard") -> str:
    """Arabic-script words in `text` rewritten as Arabizi; everything else is kept as it is."""
    table = _table(variety)
    text = ARABIC_WORD.sub(lambda m: _word(m.group(0), variety), text)
    if any(ch in text for ch in table.punctuation):
        text = "".join(table.punctuation.get(ch, ch) for ch in text)
    return text.translate(ARABIC_DIGITS)


def _is_arabic(tag: str) -> bool:
    found = try_lookup(tag)
    return found is not None and found.code == "ara" and "Arab" in found.scripts


@register_probe(VARIANT)
class ArabiziProbe:
    """Rewrite Arabic-script samples as Arabizi (language_tag ar-Latn); other languages skipped."""

    name = VARIANT

    def __init__(self, variety: Variety | str = "standard") -> None:
        _table(variety)  # fail now, naming the varieties, not on the first sample
        self.variety = variety

    @property
    def params(self) -> dict[str, Any]:
        """The variety and versions (Arabizi is deterministic: the seed changes nothing)."""
        return {"variety": self.variety, "versions": library_versions()}

    def apply(self, samples: Sequence[Sample], *, seed: int) -> tuple[list[Sample], ProbeReport]:
        """Arabizi variants of the Arabic samples; the others are skipped with their language."""
        params = {**self.params, "seed": seed}
        tag = lookup("Arabizi").tag

        def one(sample: Sample, text: str) -> Rewritten:
            source = str((sample.metadata or {}).get("language_tag", ""))
            if not _is_arabic(source):
                raise SkipSample(f"not Arabic-script Arabic ({source or 'no language_tag'})")
            if not ARABIC_WORD.search(text):
                raise SkipSample("no Arabic-script text")
            return Rewritten(to_arabizi(text, self.variety), language_tag=tag)

        return apply_each(self.name, params, samples, one)
