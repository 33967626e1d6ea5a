"""Arabizi: Arabic script rewritten in the Latin-and-digits chat alphabet (ar-Latn).

No maintained library does this. The regional varieties (algerian, moroccan, tunisian,
levantine, and gulf on the Levantine table) are spelled by rewrite tables learned
from human Arabizi paired with Arabic script (`arabizi_learn`, tables in `arabizi_tables/`
with their model card): each letter becomes the chunk chat writers wrote for it in its context,
vowels and clusters as they wrote them (3likom, not 3alikam). `arabizi.yaml` lists the
varieties, their sources and letter conventions.

The `standard` and `egyptian` varieties are rule-based (no table): a letter table
(`arabizi.yaml`; Cairene letters for `egyptian`, its settings checked on Egyptian song verses
transliterated by their listeners) and a vowel heuristic. Arabic script omits short vowels;
where the text carries harakat they are used, otherwise an 'a' is inserted by a CV(C)
syllable heuristic:

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

import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any, Literal

import yaml
from inspect_ai.dataset import Sample

from langgap.evaluate.probes.arabizi_learn import normalise_arabic, spell
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

Variety = Literal[
    "standard", "algerian", "moroccan", "tunisian", "levantine", "levantine-9", "egyptian", "gulf"
]
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
TABLE_FIELDS = ("letters", "lc", "cr", "lcr", "words", "source")  # a learned table's fields
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
    words: dict[str, str]  # whole words the variety spells by its own convention


@cache
def _raw() -> dict[str, Any]:
    text = files("langgap.evaluate.probes").joinpath("arabizi.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def varieties() -> tuple[str, ...]:
    """The Arabizi varieties arabizi.yaml defines."""
    return tuple(_raw()["variants"])


def _spec(variety: str) -> dict[str, Any]:
    raw = _raw()
    if variety not in raw["variants"]:
        raise ProbeError(
            f"unknown Arabizi variety {variety!r}; choose one of {', '.join(varieties())}"
        )
    spec: dict[str, Any] = raw["variants"][variety]
    return spec


@dataclass(frozen=True, slots=True)
class _Learned:
    table: dict[str, Any]  # letters / lc / cr / lcr rules (see arabizi_learn.spell)
    words: dict[str, str]  # whole words whose spelling the rules miss
    overrides: dict[str, str]
    chunks: dict[str, str]  # context -> chunk, filled as words are spelled
    suffix_ha: str = ""  # how the corpus spells a final pronoun ه after a consonant ("" = ه)


@cache
def _learned(variety: str) -> _Learned | None:
    """The learned table of `variety`, or None for a rule-based variety."""
    spec = _spec(variety)
    if "learned" not in spec:
        return None
    name = str(spec["learned"])
    path = files("langgap.evaluate.probes").joinpath("arabizi_tables", f"{name}.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        missing = [k for k in TABLE_FIELDS if not isinstance(data.get(k), dict)]
        if missing:
            raise ValueError(f"no {', '.join(missing)} field")
    except (OSError, ValueError, AttributeError) as error:
        raise ProbeError(
            f"Arabizi table {path} (variety {variety!r}) is missing or unreadable ({error}); "
            "reinstall langgap, or rebuild it: python benchmarks/train_arabizi.py"
        ) from None
    # Letters the corpus never wrote (Persian letters in loanwords, say) take the rule spelling.
    letters = {k: str(v) for k, v in _raw()["letters"].items()} | data["letters"]
    table = {**data, "letters": letters}
    overrides = {k: str(v) for k, v in spec.get("letters", {}).items()}
    # A lexicon word is kept only if no overridden letter is in it (its chunks are not known).
    words = {k: v for k, v in data["words"].items() if not set(k) & set(overrides)}
    return _Learned(table, words, overrides, {}, str(spec.get("suffix_ha", "")))


@cache
def _table(variety: str) -> _Table:
    raw = _raw()
    spec = _spec(variety)
    if "learned" in spec:
        if "words" in spec:
            raise ProbeError(
                f"arabizi.yaml variety {variety!r}: `words:` is read only by rule-based varieties; "
                "a learned variety spells words from its table. Fix: remove it or drop `learned:`"
            )
        spec = raw["variants"]["standard"]
    letters = {**raw["letters"], **spec.get("letters", {})}
    long = dict(spec["long"])
    long["\u06cc"] = long["ي"]  # Persian yeh is written for ي in much web text
    punctuation = {k: str(v) for k, v in raw["punctuation"].items()}
    # to_arabizi replaces marks one after another: that equals a per-character mapping only when
    # each key is one character and no replacement holds a mapped character
    bad = [k for k, v in punctuation.items() if len(k) != 1 or set(v) & set(punctuation)]
    if bad:
        raise ProbeError(
            f"arabizi.yaml punctuation: entries {bad!r} break the rules. Fix: map each single "
            "character to text that holds none of the mapped characters"
        )
    return _Table(
        letters={k: str(v) for k, v in letters.items()},
        long={k: str(v) for k, v in long.items()},
        article=str(spec["article"]),
        ta_marbuta=str(spec["ta_marbuta"]),
        hamza_below=str(spec["alif_hamza_below"]),
        punctuation=punctuation,
        words={_word_key(k): str(v) for k, v in (spec.get("words") or {}).items()},
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


_HAMZA_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي"})


def _word_key(word: str) -> str:
    """A variety's `words:` key for a word as written: marks dropped (normalise_arabic), alif
    with hamza as alif and alif maqsura as ya, so أنتَ, انت and إنت find one entry."""
    return normalise_arabic(word).translate(_HAMZA_FOLD)


@lru_cache(maxsize=65536)
def _word(word: str, variety: str) -> str:
    word = word.replace(TATWEEL, "")
    table = _table(variety)
    found = table.words.get(_word_key(word), WORDS.get(word))
    if found is not None:
        return found
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


def _pronoun_ha(word: str) -> bool:
    """A final ه read as the pronoun suffix: after a consonant, not in الله (and its forms,
    allah/wallah in NArabizi) nor in laughter (ههه)."""
    return (
        len(word) > 2
        and word[-1] == "ه"
        and word[-2] not in LONG_LETTERS
        and word[-2] != "ه"
        and not word.endswith("لله")
    )


@lru_cache(maxsize=65536)
def _learned_word(word: str, variety: str) -> str:
    learned = _learned(variety)
    assert learned is not None
    word = normalise_arabic(word)
    if learned.suffix_ha and _pronoun_ha(word):
        # MSA spells the pronoun -hu ه; the corpus writes it as said (عندو, 3andou), so the
        # table knows that spelling, and ه -> "ah" is a rare writer's choice, not the norm
        word = word[:-1] + learned.suffix_ha
    found = learned.words.get(word, WORDS.get(word))
    return (
        found
        if found is not None
        else spell(word, learned.table, learned.overrides, learned.chunks)
    )


def clear_caches() -> None:
    """Forget the per-word spellings (benchmarks time text the process has not seen)."""
    _word.cache_clear()
    _learned_word.cache_clear()
    _normalised.cache_clear()
    for variety in varieties():
        learned = _learned(variety)
        if learned is not None:
            learned.chunks.clear()


_normalised = lru_cache(maxsize=65536)(normalise_arabic)


@cache
def _french_words() -> dict[str, str]:
    return {normalise_arabic(k): str(v) for k, v in _raw()["french"].items()}


def _check_french(variety: str, french: float) -> None:
    if not 0.0 <= french <= 1.0:
        raise ProbeError(f"french={french}: give a share between 0 and 1, e.g. french=0.5")
    if french and not _spec(variety).get("french"):
        maghrebi = [v for v in varieties() if _spec(v).get("french")]
        raise ProbeError(
            f"french applies to the Maghrebi varieties ({', '.join(maghrebi)}), "
            f"not {variety!r}; drop --param french or choose one of them"
        )


def to_arabizi(
    text: str, variety: Variety | str = "standard", *, french: float = 0.0, seed: int = 0
) -> str:
    """Arabic-script words in `text` rewritten as Arabizi; everything else is kept as it is.

    `french` (Maghrebi varieties): the share of the words listed under `french:` in
    arabizi.yaml written as the French word instead, drawn from `seed` and the text."""
    table = _table(variety)
    _check_french(variety, french)
    rewrite = _learned_word if _learned(variety) is not None else _word
    if french:
        switch = _french_words()
        draws: list[random.Random] = []  # made on the first listed word: seeding costs

        def one(word: str) -> str:
            swapped = switch.get(_normalised(word))
            if swapped is None:
                return rewrite(word, variety)
            if not draws:
                draws.append(random.Random(f"{seed}\x1f{text}"))
            return swapped if draws[0].random() < french else rewrite(word, variety)

        text = ARABIC_WORD.sub(lambda m: one(m.group(0)), text)
    else:
        text = ARABIC_WORD.sub(lambda m: rewrite(m.group(0), variety), text)
    for mark, latin in table.punctuation.items():  # one character each, none in a spelling
        if mark in text:
            text = text.replace(mark, latin)
    return text if text.isascii() else text.translate(ARABIC_DIGITS)  # translate is slow


def _is_arabic(tag: str) -> bool:
    found = try_lookup(tag)
    return found is not None and found.code == "ara" and "Arab" in found.scripts


@register_probe(VARIANT)
class ArabiziProbe:
    """Rewrite Arabic-script samples as Arabizi (language_tag ar-Latn); other languages skipped."""

    name = VARIANT

    def __init__(self, variety: Variety | str = "standard", french: float = 0.0) -> None:
        _table(variety)  # fail now, naming the varieties, not on the first sample
        _learned(variety)
        _check_french(variety, float(french))
        self.variety = variety
        self.french = float(french)

    @property
    def params(self) -> dict[str, Any]:
        """The variety, its learned table's source, the French share and versions (the seed
        matters only with a French share)."""
        params: dict[str, Any] = {"variety": self.variety, "versions": library_versions()}
        if self.french:
            params["french"] = self.french
        learned = _learned(self.variety)
        if learned is not None:
            source = learned.table["source"]
            params["table"] = (
                f"{learned.table['variety']}: {source['repository']}@{source['commit'][:7]}"
            )
        return params

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
            out = to_arabizi(text, self.variety, french=self.french, seed=seed)
            return Rewritten(out, language_tag=tag)

        return apply_each(self.name, params, samples, one)
