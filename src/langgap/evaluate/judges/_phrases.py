"""Load `refusal_phrases/<iso639-3>.txt` into compiled, normalised per-language patterns."""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

from langgap.evaluate.judges._text import fold, normalise
from langgap.languages.scripts import BOUNDED_SCRIPTS, script_of

PHRASE_DIR = "refusal_phrases"
# Languages whose diacritics distinguish words (Vietnamese tones, Polish/Turkish letters are kept
# by their own rules): folding them would merge different words, so their lists match unfolded.
UNFOLDED = frozenset({"vie"})
_LATIN_FOLDED_SCRIPTS = frozenset({"Latn"})
# Entry kinds besides refusals (`re:`/plain) and pivots: `KIND:` a literal, `KIND-re:` a regex.
# apology: an apology or sympathy opener that is not itself a decline ("I'm sorry to hear…");
# identity: the model naming what it is ("as an AI…"); cannot: lack of ability or knowledge;
# refute: rejecting the question's premise; caution: a disclaimer or safety information;
# redirect: sending the user to a professional or a help line.
CUE_KINDS = ("apology", "identity", "cannot", "refute", "caution", "redirect")
_KINDS = {"re": ("refusal", True), "pivot": ("pivot", False), "pivot-re": ("pivot", True)}
_KINDS |= {kind: (kind, False) for kind in CUE_KINDS}
_KINDS |= {f"{kind}-re": (kind, True) for kind in CUE_KINDS}


class PhraseFileError(ValueError):
    """A phrase file line that cannot be used."""

    def __init__(self, path: str, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")


@dataclass(frozen=True, slots=True)
class PhraseList:
    """One language's refusal and pivot alternatives, as regex sources over normalised text."""

    language: str  # ISO 639-3
    scripts: frozenset[str]  # ISO 15924 scripts the phrases are written in
    folded: bool  # match against diacritic-folded text
    refusals: tuple[str, ...]
    pivots: tuple[str, ...]
    sources: tuple[str, ...]  # the distinct `# source:` attributions
    # the response classifier's other cues, by kind (`CUE_KINDS`); a kind may be absent
    cues: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def bounded(self) -> bool:
        """Whether phrases need word boundaries (alphabetic scripts with spaces)."""
        return bool(self.scripts) and self.scripts <= BOUNDED_SCRIPTS


def _literal(phrase: str, folded: bool, bounded: bool) -> str:
    text = normalise(phrase)
    text = fold(text) if folded else text
    source = re.escape(text)
    if bounded and re.match(r"\w", text[-1]):
        source += r"(?!\w)"
    return source


def _regex(source: str, folded: bool, where: tuple[str, int]) -> str:
    text = normalise(source, casefold=False)
    text = fold(text) if folded else text
    try:
        compiled = re.compile(text)
    except re.error as error:
        raise PhraseFileError(*where, f"bad regex ({error}); fix the pattern") from error
    if compiled.groups:
        raise PhraseFileError(*where, "use non-capturing groups (?:…) in phrase regexes")
    return text


def parse_phrases(language: str, text: str, path: str = "<string>") -> PhraseList:
    """Parse one phrase file; every entry needs a `# source:` line above it."""
    entries: list[tuple[str, str, int]] = []
    sources: list[str] = []
    source: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line[1:].strip().lower().startswith("source:"):
                source = line[1:].strip()[len("source:") :].strip()
                sources.append(source)
            continue
        if source is None:
            raise PhraseFileError(path, number, "entry before any '# source:' line; add one")
        entries.append((line, path, number))
    if not entries:
        raise PhraseFileError(path, 0, "no phrases")
    letters = " ".join(_body(e[0]) for e in entries)
    scripts = script_of(normalise(letters)) or frozenset({"Latn"})
    folded = language not in UNFOLDED and scripts <= _LATIN_FOLDED_SCRIPTS
    bounded = scripts <= BOUNDED_SCRIPTS
    by_kind: dict[str, list[str]] = {}
    for line, where_path, number in entries:
        prefix, _, rest = line.partition(":")
        kind, is_regex = _KINDS.get(prefix, ("refusal", False))
        if prefix not in _KINDS:
            rest = line
        where = (where_path, number)
        compiled = (
            _regex(rest.strip(), folded, where)
            if is_regex
            else _literal(rest.strip(), folded, bounded)
        )
        if literal_prefixes(compiled) is None:
            raise PhraseFileError(
                where_path,
                number,
                "the entry could start with any character; begin it with literal text (the "
                "matcher finds where an entry can start from its first characters)",
            )
        by_kind.setdefault(kind, []).append(compiled)
    refusals, pivots = by_kind.pop("refusal", []), by_kind.pop("pivot", [])
    if not refusals:
        raise PhraseFileError(path, 0, "no refusal phrases (only other kinds)")
    return PhraseList(
        language,
        scripts,
        folded,
        tuple(refusals),
        tuple(pivots),
        tuple(dict.fromkeys(sources)),
        {kind: tuple(found) for kind, found in by_kind.items()},
    )


def _body(entry: str) -> str:
    prefix, _, rest = entry.partition(":")
    return rest if prefix in _KINDS else entry


@cache
def load_phrase_lists() -> dict[str, PhraseList]:
    """All packaged phrase lists, keyed by ISO 639-3 code."""
    folder = files("langgap.evaluate.judges").joinpath(PHRASE_DIR)
    lists: dict[str, PhraseList] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".txt"):
            code = entry.name.removesuffix(".txt")
            lists[code] = parse_phrases(
                code, entry.read_text("utf-8"), f"{PHRASE_DIR}/{entry.name}"
            )
    return lists


_parser: Any = importlib.import_module("re._parser")
_constants: Any = importlib.import_module("re._constants")
_MAX_RANGE = 512  # wider character classes are not worth a prefilter


def _first(items: Any) -> set[str] | None:
    """Characters a parsed regex can start with; None when unknown or when it can match empty."""
    c = _constants
    chars: set[str] = set()
    for op, av in items:
        if op is c.LITERAL:
            return chars | {chr(av)}
        if op is c.IN:
            for kind, value in av:
                if kind is c.LITERAL:
                    chars.add(chr(value))
                elif kind is c.RANGE and value[1] - value[0] < _MAX_RANGE:
                    chars.update(map(chr, range(value[0], value[1] + 1)))
                else:
                    return None
            return chars
        if op is c.SUBPATTERN or op is c.BRANCH:
            branches = [av[3]] if op is c.SUBPATTERN else av[1]
            for branch in branches:
                sub = _first(branch.data)
                if sub is None:
                    return None
                chars |= sub
            return chars
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):
            sub = _first(av[2].data)
            if sub is None:
                return None
            chars |= sub
            if av[0] > 0:
                return chars
            continue  # optional: what follows can start the match too
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue  # zero-width
        return None
    return None


class _TooMany(Exception):
    """More prefixes than the caller's cap."""


def _capped(found: set[str], cap: int | None) -> set[str]:
    if cap is not None and len(found) > cap:
        raise _TooMany
    return found


def _prefixes(items: list[Any], k: int, cap: int | None = None) -> set[str] | None:
    """Strings (length ≤ k) every match of the parsed items starts with; shorter = weaker filter.

    Over-approximates: a match always starts with one of them. None when unknown. Raises
    `_TooMany` as soon as a set holds more than `cap` strings (the work stays bounded too).
    """
    c = _constants
    if k == 0 or not items:
        return {""}
    (op, av), rest = items[0], items[1:]
    if op is c.SUBPATTERN:
        return _prefixes(list(av[3].data) + rest, k, cap)
    if op is c.BRANCH:
        found: set[str] = set()
        for branch in av[1]:
            sub = _prefixes(list(branch.data) + rest, k, cap)
            if sub is None:
                return None
            found = _capped(found | sub, cap)
        return found
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return _prefixes(rest, k, cap)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT):
        low, high, sub_pattern = av
        sub_items = list(sub_pattern.data)
        once = _prefixes(sub_items + rest, k, cap) if high == 1 else _first(sub_items)
        skip = _prefixes(rest, k, cap) if low == 0 else set()
        return None if once is None or skip is None else _capped(once | skip, cap)
    heads = _first([(op, av)])
    if heads is None:
        return None
    tails = _prefixes(rest, k - 1, cap)
    return heads if tails is None else _capped({h + t for h in heads for t in tails}, cap)


def literal_prefixes(source: str, length: int = 4, cap: int | None = None) -> set[str] | None:
    """Strings (up to `length` characters) that every match of a regex source starts with; None
    when a match could start anywhere (such an entry is refused: the matcher anchors on it) or
    when there would be more than `cap` of them."""
    try:
        found = _prefixes(list(_parser.parse(source).data), length, cap)
    except _TooMany:
        return None
    return None if found is None or "" in found else found
