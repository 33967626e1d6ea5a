"""`langgap survey check`: does a paper name the language(s) it studies (the Bender rule)?

PASS: the body names at least one language (by name or ISO code). WARN: languages are only
implied, by a dataset ("MultiJail") or a claim ("across 30 languages"). FAIL: nothing at all.
The references never count. For WARN and FAIL the result carries a sentence to add.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from langgap.languages import Mention, find_mentions, lookup
from langgap.survey.pdf_text import FullText, PdfTextError, extract_text

Verdict = Literal["PASS", "WARN", "FAIL"]
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".tex", ".rst")
_CONTEXT = 40  # characters either side of a mention in its snippet
_PLACES_SHOWN = 3
_TEX_COMMENT = re.compile(r"(?<!\\)%.*")


class CheckInputError(ValueError):
    """The document could not be read."""


@dataclass(frozen=True, slots=True)
class Place:
    """One mention: where it stands (page, line, column, offset) and its context."""

    page: int | None  # 1-based PDF page; None for a text file or string
    line: int  # 1-based, within the page (PDF) or the whole text
    column: int  # 1-based
    offset: int  # character offset within the page (PDF) or the whole text
    text: str
    kind: str  # name | code | dataset | claim
    languages: tuple[str, ...]
    context: str

    def where(self) -> str:
        """'p3 line 12' or 'line 12, col 4'."""
        if self.page:
            return f"p{self.page} line {self.line}"
        return f"line {self.line}, col {self.column}"


@dataclass(frozen=True, slots=True)
class LanguageUse:
    """A language the document mentions: how often, how, and where first."""

    code: str
    name: str
    count: int
    kinds: tuple[str, ...]
    places: tuple[Place, ...]  # the first few

    @property
    def named(self) -> bool:
        """Named outright (a name or ISO code), not only implied by a dataset."""
        return bool({"name", "code"} & set(self.kinds))


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The verdict on one document, with every mention behind it."""

    source: str
    verdict: Verdict
    reason: str
    languages: tuple[LanguageUse, ...]  # most mentioned first
    claims: tuple[Place, ...]  # "multilingual", "across 30 languages"
    datasets: tuple[str, ...]
    ignored_in_references: int
    suggestion: str | None

    def render(self) -> str:
        """A plain-text report for the terminal."""
        lines = [f"{self.source}: {self.verdict} - {self.reason}"]
        for use in (u for u in self.languages if u.named):
            lines.append(
                f"  {use.name} ({use.code}): {use.count} mention(s) [{', '.join(use.kinds)}]"
            )
            lines += [f"    {p.where()}: {p.text!r} ... {p.context}" for p in use.places]
        implied = [u.name for u in self.languages if not u.named]
        if implied:
            lines.append(f"  implied by {', '.join(self.datasets)} only: {', '.join(implied)}")
        lines += [f"  claim at {p.where()}: {p.text!r} ... {p.context}" for p in self.claims]
        if self.ignored_in_references:
            lines.append(f"  ({self.ignored_in_references} mention(s) in the references ignored)")
        if self.suggestion:
            lines.append(f"Suggested sentence: {self.suggestion}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for --json)."""
        return asdict(self)


def check_document(path_or_text: str | Path) -> CheckResult:
    """Check a PDF, a .txt/.md/.tex file, or a literal string for named languages.

    >>> check_document("We fine-tune on English prompts only.").verdict
    'PASS'
    """
    source, fulltext = _load(path_or_text)
    pieces = fulltext.body(front=True)  # the title counts here: it often names the language
    places = [p for page, offset, text in pieces for p in _places(page, offset, text, fulltext)]
    ignored = sum(1 for _ in find_mentions(fulltext.references_text()))
    uses = _languages(places)
    claims = tuple(p for p in places if p.kind == "claim")
    datasets = tuple(dict.fromkeys(p.text for p in places if p.kind == "dataset"))
    verdict, reason, suggestion = _verdict(uses, claims, places)
    return CheckResult(source, verdict, reason, uses, claims, datasets, ignored, suggestion)


def _load(path_or_text: str | Path) -> tuple[str, FullText]:
    """(what to call the document, its text) from a path or a literal string."""
    path = Path(path_or_text) if isinstance(path_or_text, Path) else _as_path(path_or_text)
    if path is None:
        return "<text>", FullText.from_pages([str(path_or_text)])
    if not path.is_file():
        kinds = "/".join(TEXT_SUFFIXES)
        raise CheckInputError(f"{path}: no such file. Give a PDF, a {kinds} file, or the text.")
    if path.suffix.lower() == ".pdf":
        try:
            # use_cache=False: never write a cache file beside the user's own paper
            return str(path), extract_text(path, use_cache=False)
        except PdfTextError as error:
            raise CheckInputError(str(error)) from error
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CheckInputError(f"{path}: cannot read it as UTF-8 text ({error})") from error
    if path.suffix.lower() == ".tex":
        text = _TEX_COMMENT.sub("", text)  # commented-out text is not in the paper
    return str(path), FullText.from_pages([text], path)


def _as_path(text: str) -> Path | None:
    """A string that names a file (existing, or shaped like a file name), else None."""
    if "\n" in text or len(text) > 1024:
        return None
    path = Path(text).expanduser()
    if path.is_file():
        return path
    looks_like_file = " " not in text.strip() and text.lower().endswith((".pdf", *TEXT_SUFFIXES))
    return path if looks_like_file else None


def _places(page: int, offset: int, text: str, fulltext: FullText) -> list[Place]:
    """Every mention in one body piece, located in its page."""
    page_text = fulltext.pages[page - 1]
    is_pdf = fulltext.source is not None and fulltext.source.suffix.lower() == ".pdf"
    shown_page = page if is_pdf else None
    return [_place(page_text, shown_page, m, offset) for m in find_mentions(text)]


def _place(page_text: str, page: int | None, mention: Mention, offset: int) -> Place:
    start, end = mention.start + offset, mention.end + offset
    line_start = page_text.rfind("\n", 0, start) + 1
    before = page_text[max(0, start - _CONTEXT) : start]
    after = page_text[end : end + _CONTEXT]
    context = " ".join(f"{before}[{page_text[start:end]}]{after}".split())
    return Place(
        page,
        page_text.count("\n", 0, start) + 1,
        start - line_start + 1,
        start,
        mention.text,
        mention.kind,
        mention.languages,
        context,
    )


def _languages(places: list[Place]) -> tuple[LanguageUse, ...]:
    by_code: dict[str, list[Place]] = {}
    for place in places:
        for code in dict.fromkeys(place.languages):
            by_code.setdefault(code, []).append(place)
    uses = [
        LanguageUse(
            code,
            _name(code),
            len(hits),
            tuple(sorted({p.kind for p in hits})),
            tuple(hits[:_PLACES_SHOWN]),
        )
        for code, hits in by_code.items()
    ]
    return tuple(sorted(uses, key=lambda u: (not u.named, -u.count, u.name)))


def _name(code: str) -> str:
    try:
        return lookup(code).name
    except ValueError:
        return code


def _verdict(
    uses: tuple[LanguageUse, ...], claims: tuple[Place, ...], places: list[Place]
) -> tuple[Verdict, str, str | None]:
    """PASS / WARN / FAIL, why, and the sentence to add when it is not PASS."""
    named = [u for u in uses if u.named]
    if named:
        listed = ", ".join(f"{u.name} ({u.code})" for u in named[:8])
        return "PASS", f"names {len(named)} language(s): {listed}", None
    first_per_dataset = {p.text: p for p in reversed(places) if p.kind == "dataset"}
    if first_per_dataset:
        found = list(reversed(first_per_dataset.values()))
        reason = f"languages only implied by {', '.join(p.text for p in found)}; name them"
        return "WARN", reason, " ".join(_dataset_sentence(p) for p in found)
    if claims:
        counted = (c.text for c in claims if any(ch.isdigit() for ch in c.text))
        count = next(counted, "several languages")
        suggestion = f"The experiments cover {count}: <name each language> (ISO 639-3: <codes>)."
        return "WARN", f"claims {claims[0].text!r} but names no language", suggestion
    suggestion = (
        "All data and experiments in this paper are in English (ISO 639-3: eng)."
        " (If the data is in another language, name that language instead.)"
    )
    return "FAIL", "names no language at all (the Bender rule: always name it)", suggestion


def _dataset_sentence(place: Place) -> str:
    names = [_name(code) for code in place.languages]
    codes = ", ".join(place.languages)
    return f"We evaluate on {place.text}, which covers {_join(names)} (ISO 639-3: {codes})."


def _join(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + f", and {names[-1]}"
