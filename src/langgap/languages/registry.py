"""One language vocabulary: any name, code or spelling -> a canonical `Language`.

Built on langcodes + language_data; `aliases.yaml` holds only what they get wrong or lack.

>>> lookup("Bangla").code
'ben'
>>> lookup("Mandarin").code, lookup("Mandarin").individual
('zho', 'cmn')
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any

import langcodes
import yaml
from language_data.names import load_trie, normalize_name
from language_data.util import data_filename


@dataclass(frozen=True, slots=True)
class Language:
    """A language as langgap counts it: ISO 639-3 code, BCP-47 tag, names and scripts."""

    code: str  # ISO 639-3 used for counting: the macrolanguage when one exists
    individual: str  # the individual ISO 639-3 code where known, else == code
    tag: str  # canonical BCP-47, with script only where it matters
    name: str  # English name
    autonym: str | None
    scripts: tuple[str, ...]  # ISO 15924
    components: tuple[str, ...] = ()  # counting codes of a mixed variety (Hinglish: hin, eng)
    note: str = ""

    @property
    def counted(self) -> tuple[str, ...]:
        """Counting codes this language contributes: its components if mixed, else its code."""
        return self.components or (self.code,)


class UnknownLanguageError(ValueError):
    """No language is known by this name or code."""

    def __init__(self, query: str, suggestions: list[str]) -> None:
        self.query = query
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown language {query!r}{hint}")


@dataclass(frozen=True, slots=True)
class Alias:
    """One curated entry of aliases.yaml."""

    names: tuple[str, ...]
    tag: str
    name: str | None = None
    components: tuple[str, ...] = ()
    note: str = ""
    mention: bool = True  # False: a lookup spelling only, never searched for in text


@dataclass(frozen=True, slots=True)
class _Config:
    names: dict[str, str] = field(default_factory=dict)
    not_macro: frozenset[str] = frozenset()
    count_as: dict[str, str] = field(default_factory=dict)
    aliases: tuple[Alias, ...] = ()
    not_languages: frozenset[str] = frozenset()


@cache
def _config() -> _Config:
    raw: dict[str, Any] = yaml.safe_load(
        files("langgap.languages").joinpath("aliases.yaml").read_text(encoding="utf-8")
    )
    aliases = tuple(
        Alias(
            names=tuple(str(n) for n in entry["names"]),
            tag=str(entry["tag"]),
            name=entry.get("name"),
            components=tuple(entry.get("components", ())),
            note=str(entry.get("note", "")),
            mention=bool(entry.get("mention", True)),
        )
        for entry in raw.get("aliases", [])
    )
    return _Config(
        names={str(k): str(v) for k, v in raw.get("names", {}).items()},
        not_macro=frozenset(raw.get("not_macro", [])),
        count_as={str(k): str(v) for k, v in raw.get("count_as", {}).items()},
        aliases=aliases,
        not_languages=frozenset(_key(str(w)) for w in raw.get("not_languages", [])),
    )


def aliases() -> tuple[Alias, ...]:
    """The curated alias entries of aliases.yaml."""
    return _config().aliases


@cache
def _subtag_registry() -> tuple[dict[str, str], frozenset[str]]:
    """Parse the IANA registry once: (individual -> macrolanguage, all current language subtags)."""
    text = data_filename("language-subtag-registry.txt").read_text(encoding="utf-8")
    macro: dict[str, str] = {}
    subtags: set[str] = set()
    for record in text.split("\n%%\n"):
        if "Type: language\n" not in record or "Deprecated:" in record:
            continue
        sub = re.search(r"^Subtag: (\S+)", record, re.M)
        if sub is None or ".." in sub.group(1):  # qaa..qtz private-use range
            continue
        subtags.add(sub.group(1))
        mac = re.search(r"^Macrolanguage: (\S+)", record, re.M)
        if mac:
            macro[sub.group(1)] = mac.group(1)
    return macro, frozenset(subtags)


def is_language_subtag(code: str) -> bool:
    """True if `code` (lower case) is a current ISO 639 language subtag in the IANA registry."""
    return code in _subtag_registry()[1]


@cache
def _primary_scripts() -> dict[str, tuple[str, ...]]:
    """CLDR's primary scripts per language (supplementalData languageData)."""
    xml = data_filename("supplementalData.xml").read_text(encoding="utf-8")
    out: dict[str, tuple[str, ...]] = {}
    for m in re.finditer(r'<language type="([\w-]+)" scripts="([^"]+)"([^>]*)/>', xml):
        if "secondary" not in m.group(3):
            out[m.group(1)] = tuple(m.group(2).split())
    return out


def _alpha3(subtag: str) -> str:
    return subtag if len(subtag) == 3 else str(langcodes.Language.get(subtag).to_alpha3())


def _counting_subtag(individual: str) -> str:
    cfg = _config()
    if individual in cfg.count_as:
        return cfg.count_as[individual]
    if individual in cfg.not_macro:
        return individual
    return _subtag_registry()[0].get(individual, individual)


def _script_for_tag(norm: langcodes.Language) -> str | None:
    """Keep a script if given, or if the region implies a non-default one (zh-TW -> Hant)."""
    if norm.script:
        return str(norm.script)
    if norm.territory:
        default = langcodes.Language.make(language=norm.language).maximize().script
        regional = norm.maximize().script
        if regional != default:
            return str(regional)
    return None


def _autonym(subtag: str) -> str | None:
    bare = langcodes.Language.make(language=subtag)
    # without name data langcodes falls back to the English name, which is no autonym
    return str(bare.autonym()) if bare.has_name_data() else None


def _scripts(subtag: str, script: str | None) -> tuple[str, ...]:
    if script:
        return (script,)
    primary = _primary_scripts()
    if subtag not in primary:
        # CLDR lacks many varieties (afb, ajp) and guesses Latn; the macrolanguage knows better
        macro = _subtag_registry()[0].get(subtag)
        if macro in primary:
            return primary[macro]
    likely = langcodes.Language.make(language=subtag).maximize().script
    ordered = ((likely,) if likely and likely != "Zzzz" else ()) + primary.get(subtag, ())
    return tuple(dict.fromkeys(str(s) for s in ordered))


def from_tag(tag: str, alias: Alias | None = None) -> Language:
    """Build a Language from a BCP-47 tag (optionally with the curated alias that named it)."""
    norm = langcodes.Language.get(tag)
    if not norm.language:
        raise UnknownLanguageError(tag, [])
    subtag = str(norm.language)
    script = _script_for_tag(norm)
    if alias is not None and norm.territory:  # curated regional tags (Flemish: nl-BE) stay whole
        canonical = norm.to_tag()
    else:
        canonical = langcodes.Language.make(language=subtag, script=script).to_tag()
    name = (alias.name if alias else None) or _config().names.get(subtag)
    if name is None:
        name = str(langcodes.Language.make(language=subtag).display_name())
        if script and alias is None:
            name = f"{name} ({langcodes.Language.make(script=script).script_name()})"
    return Language(
        code=_alpha3(_counting_subtag(subtag)),
        individual=_alpha3(subtag),
        tag=str(canonical),
        name=name,
        autonym=_autonym(subtag),
        scripts=_scripts(subtag, script),
        components=alias.components if alias else (),
        note=alias.note if alias else "",
    )


def _key(query: str) -> str:
    return " ".join(query.replace("_", "-").split()).casefold()


@cache
def _alias_index() -> dict[str, Alias]:
    return {_key(n): a for a in aliases() for n in a.names}


_CODE_RE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")


@lru_cache(maxsize=8192)
def lookup_code(query: str) -> Language | None:
    """A language by ISO 639 code or BCP-47 tag only ("bn", "BEN", "zh_Hant"); names give None."""
    if not _CODE_RE.fullmatch(query):
        return None
    tag = query.replace("_", "-")
    primary = tag.split("-")[0].lower()
    if not (is_language_subtag(primary) or langcodes.Language.get(primary).language != primary):
        return None
    if not langcodes.tag_is_valid(tag):
        return None
    try:
        return from_tag(tag)
    except UnknownLanguageError:  # valid tags that name no language: "und"
        return None


@cache
def _name_tries() -> tuple[Any, Any]:
    """language_data's tries of language names: English, and all other languages (casefolded)."""
    return (
        load_trie(data_filename("trie/en/name_to_language.marisa")),
        load_trie(data_filename("trie/und/name_to_language.marisa")),
    )


def _try_name(query: str) -> Language | None:
    # langcodes.find matches by prefix ("Bengallee" -> Bengali); we want exact names only
    key = normalize_name(query)
    if not any(key in trie for trie in _name_tries()):
        return None
    try:
        found = langcodes.find(query)
    except LookupError:
        return None
    return from_tag(found.to_tag())


@lru_cache(maxsize=8192)
def try_lookup(query: str) -> Language | None:
    """Like `lookup`, but None for an unknown language."""
    q = " ".join(query.split())
    if not q:
        return None
    if _key(q) in _config().not_languages:
        return None
    alias = _alias_index().get(_key(q))
    # A lower-case ISO code beats an acronym alias: "msa" is Malay, "MSA" Modern Standard Arabic.
    code = lookup_code(q) if q.islower() else None
    if code is not None:
        return code
    if alias is not None:
        return from_tag(alias.tag, alias)
    # "Ewe", "Dan", "Ho": a capitalised word is a name first, a code second
    if q[:1].isupper() and q[1:].islower() and " " not in q:
        return _try_name(q) or lookup_code(q)
    return lookup_code(q) or _try_name(q)


def counting_code(query: str, *, strict: bool = False) -> str:
    """The ISO 639-3 code a language is counted under in statistics: "en", "eng", "English"
    and "en-US" all give "eng", a macrolanguage stands for its varieties ("cmn" -> "zho").

    An unknown query comes back unchanged (a probe variant key such as "ara/arabizi" stays
    itself), or raises `UnknownLanguageError` with close matches when `strict`.

    >>> counting_code("Mandarin"), counting_code("Englsh")
    ('zho', 'Englsh')
    """
    found = try_lookup(query)
    if found is not None:
        return found.code
    if strict:
        raise UnknownLanguageError(query, suggest(query))
    return query


def lookup(query: str) -> Language:
    """Normalise any language name, code or spelling ("Bangla", "bn", "ben", "hi_Latn")."""
    found = try_lookup(query)
    if found is None:
        raise UnknownLanguageError(query, suggest(query))
    return found


@cache
def _vocabulary() -> dict[str, str]:
    """casefolded name -> display spelling, for suggestions."""
    trie = _name_tries()[0]
    vocab = {k: k.title() for k in trie.keys() if k.isascii()}  # noqa: SIM118 - marisa trie
    for a in aliases():
        for n in a.names:
            vocab[n.casefold()] = n
    return vocab


def suggest(query: str, limit: int = 5) -> list[str]:
    """Closest known language names to `query` (for "did you mean")."""
    vocab = _vocabulary()
    close = difflib.get_close_matches(query.casefold(), vocab.keys(), n=limit, cutoff=0.6)
    return [vocab[c] for c in close]
