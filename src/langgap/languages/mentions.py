"""Find the languages a title, abstract or full text talks about.

Four kinds of evidence, each a `Mention` with its exact span:

- ``name``: English names and their derived forms ("Bengali", "Chinese-speaking"), alias names
  ("Darija", "Hinglish") and names in their own scripts ("বাংলা", "中文"). Matched case-sensitively,
  so lower-case "polish"/"turkey" never fire.
- ``code``: ISO codes, only where nothing else could be meant: pairs ("en→zh", "En-De"),
  parenthesised codes ("(bn)", "(en, zh, ar)"), brace/bracket/slash lists of two or more.
- ``dataset``: benchmark names that imply a language set (datasets.yaml).
- ``claim``: "across 30 languages" (count=30), "multilingual", "code-switching" (count=None).

An English name used as a contrast ("unlike English", "prior work mostly on English",
"English-centric models") is still a ``name`` mention, with ``contrast=True``: whoever counts the
languages a text studies decides what a contrast is worth (`is_english_contrast`).

Names left out on purpose (`SKIPPED_NAMES`): CLDR/language_data names that are ordinary English
words, frequent person names (in particular Chinese surnames seen in author lists), places or
ethnonyms used mostly for people. Those languages are still found by their other names and codes.

Speed: one trie-shaped regex per kind, compiled lazily; post-filters run only on hits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import langcodes
import yaml
from language_data.names import load_trie
from language_data.population_data import LANGUAGE_SPEAKING_POPULATION
from language_data.util import data_filename

from langgap.languages.registry import (
    Language,
    UnknownLanguageError,
    aliases,
    from_tag,
    is_language_subtag,
    lookup,
    lookup_code,
)

Kind = Literal["name", "code", "dataset", "claim"]


@dataclass(frozen=True, slots=True)
class Mention:
    """One piece of evidence that a text concerns some languages."""

    start: int
    end: int
    text: str
    kind: Kind
    languages: tuple[str, ...]  # counting codes (Language.code); empty for a claim without a list
    count: int | None = None  # claims: "across 30 languages" -> 30; datasets: size of their set
    source: str | None = None  # dataset name for kind="dataset"
    # English named only as a contrast ("unlike English", "benchmarks mostly in English",
    # "English-centric"): the text talks about English without studying it
    contrast: bool = False


@dataclass(frozen=True, slots=True)
class Dataset:
    """A benchmark or dataset whose name implies a set of languages."""

    name: str
    names: tuple[str, ...]
    languages: tuple[str, ...]  # counting codes
    count: int | None = None


# --- vocabulary ----------------------------------------------------------------------------------

# Names never searched for in text. Why each group is out:
SKIPPED_NAMES: frozenset[str] = frozenset(
    {
        # ordinary English words or abbreviations
        "Even", "Are", "Ga", "Ho", "Fur", "Dan", "Mech", "Edo", "Patois", "Maa", "Sena", "Bena",
        "Gan", "Min", "Mon", "Lamba", "Kamba", "Nuer", "Ido", "Tonga", "Afar", "Deccan",
        # Chinese, Korean and other given names and surnames common in author lists
        "Yi", "Yue", "Xiang", "Shan", "Luo", "Wu", "Hakka", "Kim", "Ewe", "Lao", "Asante",
        # places and ethnonyms used far more often for people, states or things
        "Scots", "Haitian", "Jamaican", "Cambodian", "Kartvelian", "Venetian", "Lombard",
        "Meru", "Beja", "Bodo", "Veneto", "Jawa", "White Russian", "Mandingo", "Sango",
        "New English", "Modern English", "High German",
        # "More" (Mossi, mos): the English word; found 600+ times in Anthology abstracts
        "More",
    }
)  # fmt: skip
# "Java", "Georgia", "Turkey", "Python", "Swiss", "Sign", "Indian", "Roman" are never in the table:
# only the language names ("Javanese", "Georgian", "Turkish", "Swiss German", ...) are.


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CONNECTORS = frozenset({"and", "of", "the", "sa", "de", "la", "n"})
_NO_SPACE_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "THAI", "LAO", "KHMER", "MYANMAR")
_MIN_POPULATION = 1_000_000
_CODE_LIKE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})+|[A-Z]{2,4}")


def _title(name: str) -> str:
    words = name.split(" ")
    return " ".join(
        w if (w in _CONNECTORS and i) else w[:1].upper() + w[1:] for i, w in enumerate(words)
    )


def _is_latin(text: str) -> bool:
    return all(not c.isalpha() or "LATIN" in unicodedata.name(c, "") for c in text)


@cache
def _english_names() -> dict[str, list[str]]:
    """language subtag -> its English names from language_data (casefolded in the source)."""
    trie = load_trie(data_filename("trie/en/name_to_language.marisa"))
    out: dict[str, list[str]] = {}
    for key in trie.keys():  # noqa: SIM118 - a marisa trie, not a dict
        if _is_latin(key) and not any(ch.isdigit() for ch in key):
            out.setdefault(trie[key][0].decode("utf-8"), []).append(key)
    return out


def _base_subtags() -> list[str]:
    """Languages with >= 1M speakers, plus every language CLDR has name data for; biggest first."""
    pop = LANGUAGE_SPEAKING_POPULATION
    with_names = {p.name for p in data_filename("trie").iterdir()} - {"und"}
    chosen = {k for k, v in pop.items() if "-" not in k and v >= _MIN_POPULATION} | with_names
    return sorted(chosen, key=lambda k: -pop.get(k, 0))


def _surface_forms(subtag: str, lang: Language) -> Iterable[str]:
    bare = langcodes.Language.make(language=subtag)
    yield lang.name
    yield str(bare.display_name())
    for name in _english_names().get(subtag, []):
        if "individual" not in name and "macrolanguage" not in name:
            yield _title(name)
    if lang.autonym:
        auto = lang.autonym
        capital = auto[:1].upper() + auto[1:]
        if _is_latin(auto):
            if len(auto) >= 4:  # "Maa", "Ga": too short to be safe in English text
                yield capital
        else:
            yield auto
            yield capital  # Cyrillic/Greek autonyms are lower-case mid-sentence, capital at start


@cache
def name_table() -> dict[str, Language]:
    """Surface name -> Language, for every name the mention finder searches for."""
    table: dict[str, Language] = {}
    for alias in aliases():
        if not alias.mention:
            continue
        lang = from_tag(alias.tag, alias)
        for name in alias.names:
            if not _CODE_LIKE.fullmatch(name):
                table.setdefault(name, lang)
    for subtag in _base_subtags():
        try:
            lang = from_tag(subtag)
        except (UnknownLanguageError, ValueError):
            continue
        for form in _surface_forms(subtag, lang):
            if "(" in form or "," in form or form in SKIPPED_NAMES or len(form) < 2:
                continue
            table.setdefault(form, lang)  # biggest language wins a shared name
    return table


def known_languages() -> list[Language]:
    """The languages the mention finder knows by name."""
    return list(dict.fromkeys(name_table().values()))


# --- datasets ------------------------------------------------------------------------------------


def _parse_datasets(raw: Any, origin: str) -> list[Dataset]:
    if not isinstance(raw, list):
        raise ValueError(f"{origin}: expected a list of datasets, got {type(raw).__name__}")
    out: list[Dataset] = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict) or "name" not in entry:
            raise ValueError(f"{origin}: entry {i} needs at least a 'name'")
        try:
            codes = tuple(dict.fromkeys(c for q in entry.get("languages", []) for c in _counted(q)))
        except UnknownLanguageError as err:
            raise ValueError(f"{origin}: dataset {entry['name']!r}: {err}") from err
        count = entry.get("count")
        out.append(
            Dataset(
                name=str(entry["name"]),
                names=tuple(str(n) for n in entry.get("names", [entry["name"]])),
                languages=codes,
                count=int(count) if count is not None else (len(codes) or None),
            )
        )
    return out


def _counted(query: object) -> tuple[str, ...]:
    lang = lookup(str(query))
    return lang.components or (lang.code,)


@cache
def _builtin_datasets() -> tuple[Dataset, ...]:
    text = files("langgap.languages").joinpath("datasets.yaml").read_text(encoding="utf-8")
    return tuple(_parse_datasets(yaml.safe_load(text), "datasets.yaml"))


def load_dataset_table(extra_path: str | Path | None = None) -> tuple[Dataset, ...]:
    """The curated dataset table, extended (and overridden by name) with a YAML file of your own."""
    table = {d.name: d for d in _builtin_datasets()}
    if extra_path is not None:
        path = Path(extra_path)
        for d in _parse_datasets(yaml.safe_load(path.read_text(encoding="utf-8")), str(path)):
            table[d.name] = d
    return tuple(table.values())


# --- regexes -------------------------------------------------------------------------------------


def _trie_regex(words: Iterable[str]) -> str:
    """A regex matching any of `words`, shaped as a trie so each position costs O(length)."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return f"(?:{body})?"
        return body

    return build(root)


_SUFFIX = (
    r"(?:-(?:speaking|language|languages|only|centric|based|specific|dominant|native|medium))?"
)


@dataclass(frozen=True, slots=True)
class _Surface:
    ascii: re.Pattern[str]  # names starting with an ASCII capital: enough for ASCII text
    full: re.Pattern[str]  # all names, for text with other scripts (one scan beats two)
    meaning: dict[str, Language | Dataset]
    bounded: frozenset[str]  # names needing word boundaries (all but CJK/Thai-like scripts)


def _compile(names: Iterable[str]) -> re.Pattern[str]:
    return re.compile("(" + _trie_regex(sorted(names)) + ")" + _SUFFIX)


@cache
def _surface(datasets: tuple[Dataset, ...]) -> _Surface:
    """Regexes for names and dataset names; `meaning` says what each surface form stands for."""
    meaning: dict[str, Language | Dataset] = dict(name_table())
    for d in datasets:
        for n in d.names:
            meaning[n] = d  # a dataset name beats a language name spelled the same
    # lower-case Latin forms ("isiZulu") would make the engine stop at every "i"; lookup has them
    usable = [n for n in meaning if not (n[0].islower() and _is_latin(n[0]))]
    return _Surface(
        ascii=_compile(n for n in usable if n[0].isascii()),
        full=_compile(usable),
        meaning=meaning,
        bounded=frozenset(n for n in meaning if _needs_boundary(n)),
    )


@cache
def _default_surface() -> _Surface:
    return _surface(_builtin_datasets())


_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "hundred": 100, "a hundred": 100, "one hundred": 100, "a dozen": 12, "dozen": 12,
}  # fmt: skip
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
_NUMBER = (
    r"\d{1,3}(?:,\d{3})+|\d+"
    rf"|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:{_UNITS}))?"
    r"|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
)
# Claims are found from cheap substring anchors (str.find), then checked with small regexes.
_CLAIM_ANCHORS = ("anguages", "ingual", "ode-", "ode ", "on-English", "on English")
_CLAIM_WORD = re.compile(
    r"(?i:multi-?lingual(?:ity|ism)?|cross-?lingual(?:ly)?|code[- ]?(?:switch(?:ing|ed|es)?"
    r"|mix(?:ing|ed)?)|non[- ]English(?:[- ]speaking|[ ]languages)?|languages)\b"
)
_NUMBER_RE = re.compile(rf"(?i:{_NUMBER})\+?")
_BETWEEN_RE = re.compile(r"[A-Za-z][\w-]*")
_RESOURCE = ("low-resource", "low resource", "low-resourced", "lower-resource", "under-resourced",
             "under-resource")  # fmt: skip
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-")

_BRACKET_RE = re.compile(r"[({\[]([A-Za-z][\w ,;/-]{1,80}?)[)}\]]")
_CODE_ITEM = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,4})?")
_ARROWS = r"->|=>|-->|→|⇒|⟶|↔|<->"
# Separator-first, so the regex engine can skip to candidate characters; code-pair check follows.
_SEP_RE = re.compile(r"[-–/→⇒⟶↔>](?=\s?[A-Za-z]{2}(?![A-Za-z0-9]))")
_CHAIN_RE = re.compile(
    rf"[A-Za-z]{{2}}(?:(?:\s?(?:{_ARROWS})\s?|[-–/])[A-Za-z]{{2}})+(?![A-Za-z0-9])"
)
_SPLIT_RE = re.compile(rf"\s?(?:{_ARROWS})\s?|[-–/]")

# Two-letter codes that are also English words: alone they are never codes.
_ENGLISH_2 = _words(
    "it no is as be to or an am my he hi so id me us in on at of if do go we up oh ok ha la na lo "
    "ma pa ya ye"
)
_ENGLISH_3 = _words("the and for not but all any can has had was are one two see use new our")
_NOT_PAIRS = frozenset(
    {("hi", "fi"), ("lo", "fi"), ("wi", "fi"), ("sci", "fi"), ("nl", "pl"), ("pl", "nl")}
)  # NL-PL: natural language / programming language
# "(ii)", "(vi)": enumerations, far more often than Sichuan Yi or Vietnamese.
_ROMAN = re.compile(r"[ivx]+", re.IGNORECASE)
# Lower-case "xx-yy" in brackets is a language pair ("(en-de)") unless yy is a region that
# locales commonly write in lower case ("(en-us)", "(pt-br)").
_LOCALE_REGIONS = _words("us uk gb br mx cn tw hk au ca nz ie za sg")

# --- post-filters for names --------------------------------------------------------------------

_FALSE_FOLLOWERS: dict[str, frozenset[str]] = {
    "Latin": _words(
        "America American Americans script scripts alphabet alphabets letters letter characters "
        "character square squares hypercube transliteration transcription"
    ),
    "Arabic": _words("numerals numeral digits digit numbers"),
    "Greek": _words("letters letter alphabet symbols symbol mythology gods god"),
    "French": _words(
        "fries toast press horn door doors windows kiss kissing bread braid manicure Revolution "
        "Riviera Guiana Polynesia Quarter"
    ),
    "German": _words("measles shepherd shepherds Empire"),
    "Dutch": _words("oven auction courage uncle treat"),
    "English": _words("Channel breakfast muffin muffins ivy setter bulldog"),
    "Turkish": _words("delight bath baths coffee carpet carpets"),
    "Persian": _words("Gulf cat cats rug rugs carpet carpets Empire"),
    "Chinese": _words("whispers checkers lantern lanterns zodiac"),
    "Spanish": _words("flu Inquisition omelette"),
    "Korean": frozenset(["War"]),
    "Japanese": _words("encephalitis knotweed beetle"),
    "Irish": _words("coffee whiskey setter"),
}
_VERB_OBJECTS = _words(
    "the a an this that these those our your their its it them his her my up off each every any all"
)
_TITLES = _words("Dr Mr Mrs Ms Mx Prof Professor Sir Dame Lady Lord Judge Justice Senator Rev Capt")
# Capitalised words that legitimately precede a language name (so they are not a first name).
_MODIFIERS = _words(
    """In For On At From To With Without Both Only Unlike Like Beyond Besides Between Among
    Across Than Whereas While Although Though When Since Because The A An This These Those
    That Our We
    Their Its Many Most Some All Each Every Non Even And Or But Yet As Of Into Via Per Over Under
    Standard Modern Classical Old Middle Simplified Traditional Colloquial Written Spoken Formal
    Informal Literary Vernacular American British Canadian Australian Brazilian European Mexican
    Swiss Austrian Belgian Indian Pakistani Egyptian Moroccan Algerian Tunisian Levantine Gulf
    Saudi Iraqi Syrian Lebanese Jordanian Palestinian Sudanese Yemeni Emirati Nigerian Kenyan
    Ghanaian South North East West Central Southern Northern Eastern Western Ancient Early Late
    High Low Upper Lower Plain Basic Native Mainland Hong Kong Taiwan Singapore Singaporean
    Malaysian Romanized Romanised Translated Translate Translating Including Include Includes
    Mandarin Cantonese Is Are Was Were Be Use Using Used Versus vs Vs Mixed Code Sign Whether
    Further However Moreover Other Neither Either Together After Never Rather Does Has Towards
    Whereas Argentinian Peruvian Bolivian Chilean Colombian Venezuelan Iranian Afghan Tajik
    Bangladeshi Nepali Sri Lankan Filipino Indonesian Vietnamese Russian Ukrainian Korean"""
)
_NAME_SUFFIXES = (
    "ing", "ed", "ly", "ese", "ish", "ic", "al", "ive", "ous", "ful", "ern", "ory", "ent", "ant",
    "est", "ity", "ism", "ist", "ion", "ics",
)  # fmt: skip
# ("-er", "-ian", "-ary", "-s" are left out: Peter, Brian, Mary, James)
_PREV_WORD = re.compile(r"(?:^|(?<=[\s(\"'“]))([A-Z][A-Za-z'’.-]*)[ \t]+\Z")
_NEXT_WORD = re.compile(r"[ \t-]+([A-Za-z]+)")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]{3,}")


def _needs_boundary(name: str) -> bool:
    """False for scripts written without spaces, where a name sits inside a longer word."""
    first = unicodedata.name(name[0], "")
    return not first.startswith(_NO_SPACE_SCRIPTS)


def _is_title_case(text: str, start: int, end: int) -> bool:
    """Inside a Title Case line (a paper title) capitalised neighbours prove nothing."""
    lo = max(text.rfind("\n", 0, start) + 1, start - 80)
    hi = text.find("\n", end)
    window = text[lo : min(end + 80, hi if hi >= 0 else len(text))]
    if "," in window:  # author lists have commas; titles seldom do
        return False
    words = _WORD.findall(window)
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.7 * len(words)


def _previous_word(text: str, start: int) -> str:
    """The word right before `start` when a single space separates them, else ""."""
    if start < 2 or text[start - 1] != " ":
        return ""
    j = text.rfind(" ", max(0, start - 30), start - 1)
    return text[j + 1 : start - 1]


def _is_person(text: str, start: int, end: int) -> bool:
    """ "Dr. English", "Robert French", "English et al." are people, not languages."""
    if text.startswith((" et al", " and colleagues"), end):
        return True
    word = _previous_word(text, start)
    if not word or not word[0].isupper():
        return False
    if word.rstrip(".") in _TITLES:
        return True
    if (
        word in _MODIFIERS
        or len(word) < 3
        or not word.isalpha()
        or word.isupper()
        or word.endswith(_NAME_SUFFIXES)
        or word in name_table()
    ):
        return False
    # A capitalised word that is no modifier: a given name, unless this is a Title Case line
    return not _is_title_case(text, start, end)


def _keep_name(text: str, start: int, end: int, name: str, bounded: bool) -> bool:
    if bounded:
        if start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
            return False
        if end < len(text) and (text[end].isalnum() or text[end] == "_"):
            return False
    false_followers = _FALSE_FOLLOWERS.get(name)
    if false_followers is not None or name == "Polish":
        nxt = _NEXT_WORD.match(text, end)
        following = nxt.group(1) if nxt else ""
        if false_followers and following in false_followers:
            return False
        # "Polish the draft": a capitalised verb before its object
        if name == "Polish" and following.lower() in _VERB_OBJECTS:
            return False
    return not (name[0].isupper() and _is_person(text, start, end))


# --- finders -------------------------------------------------------------------------------------


# Words right before "English" that make it a contrast, not a studied language: contrasts
# ("unlike English", "other than the English") take at most one word between (a measured
# comparison, "more often than in English", studies English and is no contrast); "mostly"/"limited
# to"/"focusing" need a preposition right before the name, with up to three words between
# ("largely limited to resources collected in English", "mostly focusing on English").
_CONTRAST_BEFORE = re.compile(
    r"\b(?:(?:unlike|beyond|besides|other than|rather than|except(?: for)?|apart from"
    r"|in contrast (?:to|with)|as opposed to|instead of|not only|not just)"
    r"(?:[ \t]+[\w'’-]+)?"
    r"|(?:mostly|mainly|primarily|largely|predominantly|exclusively|overwhelmingly|heavily"
    r"|limited|restricted|confined|dominated|focus\w*|concentrat\w*|cent(?:er|re)\w*)"
    r"(?:[ \t]+[\w'’-]+){0,3}?[ \t]+(?:in|on|to|for|by|towards?))"
    r"[ \t]+(?:the[ \t]+)?\Z",
    re.IGNORECASE,
)
# English data used only as a source for another language's resource: "translated from an
# English corpus", "based on the English Jigsaw dataset", "than the original English training data"
_SOURCE_BEFORE = re.compile(
    r"\b(?:from|based on|derived from|adapted from|original)(?:[ \t]+[\w'’-]+){0,3}?[ \t]+\Z",
    re.IGNORECASE,
)
_SOURCE_AFTER = re.compile(
    r"[ \t]+(?:[\w'’-]+[ \t]+)?(?:training[ \t]+)?(?:corpus|corpora|data\b|datasets?|benchmarks?)",
    re.IGNORECASE,
)
_CONTRAST_SUFFIXES = ("-centric", "-dominant", "-dominated")
_CONTRAST_LOOKBACK = 80


def is_english_contrast(text: str, start: int, end: int) -> bool:
    """Is the English name at text[start:end] a contrast ("unlike English", "English-centric")?

    English data that is only the source of another language's resource ("translated from an
    English corpus") counts as a contrast too.

    >>> text = "Unlike English, Welsh lacks safety data."
    >>> is_english_contrast(text, 7, 14)
    True
    >>> is_english_contrast("We study English and Welsh.", 9, 16)
    False
    """
    if text[start:end].endswith(_CONTRAST_SUFFIXES) or text.startswith(_CONTRAST_SUFFIXES, end):
        return True
    before = text[max(0, start - _CONTRAST_LOOKBACK) : start]
    # only within the sentence (or clause) the name is in
    before = before[max(before.rfind(c) for c in ".;:!?") + 1 :]
    if _CONTRAST_BEFORE.search(before):
        return True
    return bool(_SOURCE_BEFORE.search(before) and _SOURCE_AFTER.match(text, end))


def _surface_mentions(text: str, surface: _Surface) -> list[Mention]:
    out: list[Mention] = []
    regex = surface.ascii if text.isascii() else surface.full
    for m in regex.finditer(text):
        base = m.group(1)
        start = m.start()
        if not _keep_name(text, start, start + len(base), base, base in surface.bounded):
            continue
        what = surface.meaning[base]
        if isinstance(what, Dataset):
            out.append(
                Mention(start, m.end(), m.group(0), "dataset", what.languages, what.count,
                        what.name)
            )  # fmt: skip
        else:
            contrast = what.counted == ("eng",) and is_english_contrast(text, start, m.end())
            out.append(Mention(start, m.end(), m.group(0), "name", what.counted, contrast=contrast))
    return out


def _claim_starts(text: str) -> set[int]:
    """Start offsets of the words that contain a claim anchor."""
    starts: set[int] = set()
    for anchor in _CLAIM_ANCHORS:
        i = text.find(anchor)
        while i >= 0:
            j = i
            while j > 0 and i - j < 12 and text[j - 1] in _TOKEN_CHARS:
                j -= 1
            starts.add(j)
            i = text.find(anchor, i + 1)
    return starts


def _count_before(text: str, start: int) -> tuple[int, int] | None:
    """(offset, N) of a number up to two words before `start` ("30 [Indian] languages")."""
    words = text[max(0, start - 60) : start].split()[-3:]
    end = start
    for k in range(len(words) - 1, -1, -1):
        word = words[k]
        offset = text.rfind(word, 0, end)
        if _NUMBER_RE.fullmatch(word):
            n = _parse_number(word.rstrip("+"))
            if n is None or n < 2:
                return None
            # "a hundred", "one hundred": the claim starts at the article
            return offset, n
        if not _BETWEEN_RE.fullmatch(word) or word.lower() in {"the", "and", "of", "or"}:
            return None
        end = offset
    return None


def _claims(text: str) -> list[Mention]:
    out: list[Mention] = []
    for start in sorted(_claim_starts(text)):
        m = _CLAIM_WORD.match(text, start)
        if m is None:
            continue
        word = m.group(0)
        if word.lower() != "languages":
            out.append(Mention(m.start(), m.end(), word, "claim", ()))
            continue
        counted = _count_before(text, start)
        if counted is not None:
            begin, n = counted
            out.append(Mention(begin, m.end(), text[begin : m.end()], "claim", (), n))
            continue
        before = text[max(0, start - 17) : start].rstrip().lower()
        tail = next((r for r in _RESOURCE if before.endswith(r)), None)
        if tail is not None:
            begin = start - 1 - len(tail)
            out.append(Mention(begin, m.end(), text[begin : m.end()], "claim", ()))
    return out


def _parse_number(raw: str) -> int | None:
    token = raw.lower().replace(",", "")
    if token.isdigit():
        return int(token)
    if token in _NUMBER_WORDS:
        return _NUMBER_WORDS[token]
    parts = re.split(r"[- ]", token)
    if len(parts) == 2 and parts[0] in _NUMBER_WORDS:
        unit = _UNITS.split("|").index(parts[1]) + 1 if parts[1] in _UNITS.split("|") else 0
        return _NUMBER_WORDS[parts[0]] + unit
    return None


def _code_langs(items: Sequence[str]) -> tuple[str, ...] | None:
    """Counting codes for ISO-code items, or None if any item is not a language code."""
    out: list[str] = []
    for item in items:
        tag = item.replace("_", "-")
        primary = tag.split("-")[0].lower()
        if len(primary) == 3 and primary in _ENGLISH_3:
            return None
        if not is_language_subtag(primary):
            return None
        lang = lookup_code(primary + tag[len(primary) :])
        if lang is None:
            return None
        out.extend(lang.counted)
    return tuple(dict.fromkeys(out))


def _bracket_codes(text: str, names: list[Mention]) -> list[Mention]:
    out: list[Mention] = []
    name_ends = {m.end for m in names if m.kind == "name"}
    for m in _BRACKET_RE.finditer(text):
        items = [s for s in re.split(r"\s*[,;/]\s*", m.group(1).strip()) if s]
        if not items or not all(_CODE_ITEM.fullmatch(i) for i in items):
            continue
        items = [part for item in items for part in _split_pair(item)]
        after_name = any(e in name_ends for e in range(m.start() - 2, m.start() + 1))
        if all(_ROMAN.fullmatch(i) for i in items) and not after_name:
            continue
        if len(items) == 1:
            code = items[0]
            # a lone code only in round brackets, lower case, and not an English word
            # unless it glosses the language name right before it: "Italian (it)"
            if m.group(0)[0] != "(" or not code[:2].islower() or len(code.split("-")[0]) != 2:
                continue
            if code.lower() in _ENGLISH_2 and not after_name:
                continue
        elif all(i.lower() in _ENGLISH_2 for i in items):
            continue
        langs = _code_langs(items)
        if langs:
            out.append(Mention(m.start(), m.end(), m.group(0), "code", langs))
    return out


def _split_pair(item: str) -> list[str]:
    """'en-de' → ['en', 'de'] (a pair); 'en-us', 'zh-Hant', 'pt-BR' stay one tag."""
    parts = item.split("-")
    if (
        len(parts) == 2
        and item.islower()
        and parts[0] != parts[1]
        and 2 <= len(parts[1]) <= 3
        and parts[1] not in _LOCALE_REGIONS
    ):
        return parts
    return [item]


def _chain_codes(text: str) -> list[Mention]:
    out: list[Mention] = []
    last_end = -1
    for sep in _SEP_RE.finditer(text):
        if sep.start() < last_end:
            continue
        # back over the arrow's other characters ("->", "-->", "=>") and one space
        start = sep.start()
        while start > 0 and text[start - 1] in "-=<":
            start -= 1
        if start > 0 and text[start - 1] == " ":
            start -= 1
        start -= 2
        if start < 0:
            continue
        if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "-/_"):
            continue
        chain = _CHAIN_RE.match(text, start)
        if chain is None:
            continue
        last_end = chain.end()
        mention = _chain_mention(chain.group(0), start)
        if mention is not None:
            out.append(mention)
    return out


def _chain_mention(raw: str, start: int) -> Mention | None:
    items = _SPLIT_RE.split(raw)
    end = start + len(raw)
    # "pt-BR", "en-US": a locale, i.e. one language
    if len(items) == 2 and items[0].islower() and items[1].isupper() and raw[2] in "-_":
        langs = _code_langs(items[:1])
        return Mention(start, end, raw, "code", langs) if langs else None
    styles = {"lower" if i.islower() else "upper" if i.isupper() else "title" for i in items}
    lowered = [i.lower() for i in items]
    if len(styles) != 1 or len(set(lowered)) != len(lowered):
        return None  # "so-so", "Hi-fi"
    if all(i in _ENGLISH_2 for i in lowered) or tuple(lowered) in _NOT_PAIRS:
        return None
    langs = _code_langs(lowered)
    return Mention(start, end, raw, "code", langs) if langs else None


def _resolve(candidates: list[Mention]) -> list[Mention]:
    """Sort by start; where spans overlap the longer one wins (one sweep)."""
    out: list[Mention] = []
    for cand in sorted(candidates, key=lambda m: (m.start, -m.end)):
        if not out or cand.start >= out[-1].end:
            out.append(cand)
        elif cand.end - cand.start > out[-1].end - out[-1].start:
            out[-1] = cand
    return out


def find_mentions(text: str, *, datasets: Sequence[Dataset] | None = None) -> list[Mention]:
    """Every language name, code, dataset and multilingual claim in `text`, by position."""
    table = _default_surface() if datasets is None else _surface(tuple(datasets))
    surface = _surface_mentions(text, table)
    found = surface + _claims(text) + _chain_codes(text)
    if "(" in text or "{" in text or "[" in text:
        found += _bracket_codes(text, surface)
    return _resolve(found)
