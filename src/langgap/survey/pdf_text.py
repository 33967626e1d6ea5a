"""A paper's text page by page, with its references section marked so it can be left out.

Extraction uses `pypdf` and is cached next to the PDF (`<name>.pdf.text.json`), keyed by the
PDF's size and modification time, so a re-run reads JSON instead of parsing the PDF again.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from langgap._io import atomic_write_text

CACHE_VERSION = 1
_MIN_TEXT_CHARS = 200  # below this, the PDF has no usable text layer (a scan, an image)

# A references heading alone on its line, optionally numbered ("7 References", "VII. REFERENCES").
# Markdown ("## References") and LaTeX ("\\section*{References}") spellings too, for `check`.
_REFERENCES = re.compile(
    r"^[ \t]*(?:\#{1,6}[ \t]*|\\section\*?\{)?(?:(?:\d{1,2}|[IVX]{1,5})\.?[ \t]+)?"
    r"(?:References|REFERENCES|Bibliography|BIBLIOGRAPHY|Literatur(?:verzeichnis)?|"
    r"LITERATUR|Works Cited|Literature Cited)\}?[ \t]*:?[ \t]*$",
    re.MULTILINE,
)
# After the references, an appendix brings body text back ("A Appendix", "Appendix A: Data").
_APPENDIX = re.compile(
    r"^[ \t]*(?:[A-Z](?:\.\d+)?\.?[ \t]+)?"
    r"(?:Appendix|Appendices|APPENDIX|Supplementary Material)\b",
    re.MULTILINE,
)
# Title, authors and affiliations come before "Abstract"; affiliations name countries, not
# languages, but "Chinese Academy of Sciences" would read as Chinese.
_ABSTRACT = re.compile(r"^[ \t]*(?:Abstract|ABSTRACT)\b", re.MULTILINE)

_log = logging.getLogger(__name__)


class PdfTextError(ValueError):
    """A PDF whose text could not be read."""


@dataclass(frozen=True, slots=True)
class Position:
    """A place in a paper: a 1-based page and a character offset in that page's text."""

    page: int
    offset: int


@dataclass(frozen=True, slots=True)
class FullText:
    """A paper's text, one string per page, with where the body starts and where it pauses."""

    source: Path | None
    pages: tuple[str, ...]  # pages[0] is page 1
    body_start: Position | None = None  # after the title block (the "Abstract" heading)
    references: Position | None = None  # the references heading
    appendix: Position | None = None  # the first appendix heading after the references

    @classmethod
    def from_pages(cls, pages: list[str] | tuple[str, ...], source: Path | None = None) -> FullText:
        """Locate the abstract, references and appendix headings in already-extracted pages."""
        body_start = _first(_ABSTRACT, pages, Position(1, 0), last_page=1)
        references = _last(_REFERENCES, pages)
        after_refs = references and Position(references.page, references.offset + 1)
        appendix = _first(_APPENDIX, pages, after_refs) if after_refs else None
        return cls(source, tuple(pages), body_start, references, appendix)

    @property
    def has_text(self) -> bool:
        """Whether there is a usable text layer at all (scans have none)."""
        return sum(len(p.strip()) for p in self.pages) >= _MIN_TEXT_CHARS

    def body(self, *, front: bool = False) -> Iterator[tuple[int, int, str]]:
        """(page, offset of the piece in the page, text) of the body: no refs, no title block.

        front=True keeps the title block (title, authors, affiliations) before the abstract.
        """
        for number, text in enumerate(self.pages, start=1):
            spans = [(0, len(text))]
            if not front and self.body_start and self.body_start.page == number:
                spans = [(self.body_start.offset, len(text))]
            spans = [piece for span in spans for piece in self._cut_references(number, span)]
            for start, end in spans:
                if end > start:
                    yield number, start, text[start:end]

    def _cut_references(self, page: int, span: tuple[int, int]) -> list[tuple[int, int]]:
        """The parts of span on this page that lie outside the references section."""
        if self.references is None:
            return [span]
        start, end = span
        ref, app = self.references, self.appendix
        ref_at = ref.offset if ref.page == page else (0 if ref.page < page else end)
        app_at = end if app is None else (app.offset if app.page == page else _side(app, page, end))
        return [(start, min(end, max(start, ref_at))), (max(start, app_at), end)]

    def references_text(self) -> str:
        """The references section alone (for showing what was left out)."""
        if self.references is None:
            return ""
        ref, app = self.references, self.appendix
        end = app or Position(len(self.pages), len(self.pages[-1]))
        pieces = []
        for number in range(ref.page, end.page + 1):
            text = self.pages[number - 1]
            lo = ref.offset if number == ref.page else 0
            hi = end.offset if number == end.page else len(text)
            pieces.append(text[lo:hi])
        return "\n".join(pieces)


def _side(appendix: Position, page: int, end: int) -> int:
    """On a page without the appendix heading: all body if after it, none if before."""
    return 0 if appendix.page < page else end


def _first(
    pattern: re.Pattern[str],
    pages: list[str] | tuple[str, ...],
    since: Position,
    last_page: int | None = None,
) -> Position | None:
    """The first match at or after `since`, up to last_page."""
    stop = len(pages) if last_page is None else min(last_page, len(pages))
    for number in range(since.page, stop + 1):
        start = since.offset if number == since.page else 0
        match = pattern.search(pages[number - 1], min(start, len(pages[number - 1])))
        if match:
            return Position(number, match.start())
    return None


def _last(pattern: re.Pattern[str], pages: list[str] | tuple[str, ...]) -> Position | None:
    """The last match: the references come late; a stray early "References" line is a mention."""
    for number in range(len(pages), 0, -1):
        matches = list(pattern.finditer(pages[number - 1]))
        if matches:
            return Position(number, matches[-1].start())
    return None


def extract_text(pdf: Path, *, use_cache: bool = True) -> FullText:
    """The PDF's text per page (cached as JSON beside it); a damaged PDF raises PdfTextError.

    >>> text = extract_text(Path("pdfs/2023.acl-long.1.pdf"))  # doctest: +SKIP
    >>> text.references.page  # doctest: +SKIP
    9
    """
    try:
        stat = pdf.stat()
    except OSError as error:
        raise PdfTextError(f"{pdf}: cannot read the file ({error.strerror or error})") from error
    key = {"version": CACHE_VERSION, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    cache = pdf.with_name(pdf.name + ".text.json")
    if use_cache and (pages := _read_cache(cache, key)) is not None:
        return FullText.from_pages(pages, pdf)
    pages = _read_pdf(pdf)
    if use_cache:
        atomic_write_text(cache, json.dumps({**key, "pages": pages}, ensure_ascii=False))
    return FullText.from_pages(pages, pdf)


def _read_cache(cache: Path, key: dict[str, int]) -> list[str] | None:
    """The cached pages, or None when absent, stale or unreadable (then it is rebuilt)."""
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or any(data.get(k) != v for k, v in key.items()):
        return None
    pages = data.get("pages")
    if not isinstance(pages, list) or not all(isinstance(p, str) for p in pages):
        return None
    return pages


def _read_pdf(pdf: Path) -> list[str]:
    """Every page's text; one unreadable page is logged and left empty, not fatal."""
    from pypdf import PdfReader  # imported here: only the full-text path needs pypdf

    fix = "Fix: delete it so that the next run downloads it again, or replace it by hand."
    try:
        reader = PdfReader(pdf)
        pages = reader.pages
        count = len(pages)
    except Exception as error:  # pypdf raises many types on malformed files; all mean "damaged"
        raise PdfTextError(f"{pdf}: not a readable PDF ({_describe(error)}). {fix}") from error
    texts: list[str] = []
    failed: list[int] = []
    for index in range(count):
        try:
            texts.append(pages[index].extract_text() or "")
        except Exception as error:  # same reason: one bad page should not lose the others
            _log.warning("%s: page %d: text extraction failed: %s", pdf, index + 1, error)
            texts.append("")
            failed.append(index + 1)
    if count and len(failed) == count:
        raise PdfTextError(f"{pdf}: text extraction failed on every page ({count}). {fix}")
    return texts


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
