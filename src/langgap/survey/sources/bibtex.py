"""Read papers from BibTeX, including the ACL Anthology's "BibTeX with abstracts" export.

The Anthology export is about 100 MB, so the file is read line by line and parsed in chunks
that end at entry boundaries: memory stays bounded and a broken entry spoils only itself.
"""

from __future__ import annotations

import gzip
import io
import logging
import re
import unicodedata
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bibtexparser.entrypoint import parse_string
from bibtexparser.library import Library
from bibtexparser.model import (
    Block,
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ParsingFailedBlock,
)

from langgap.survey.models import Paper, VenueType
from langgap.survey.sources._fields import (
    anthology_volume,
    check_file,
    clean_doi,
    optional,
    parse_year,
    person_name,
    proceedings_type,
    squash,
)
from langgap.survey.sources.errors import SourceError, SourceIssue

CHUNK_CHARS = 4_000_000  # ~2,000 Anthology entries: big enough to amortise, small enough for RAM

_ENTRY_START = re.compile(r"\s*@\s*[A-Za-z]+\s*[{(]")
_AND = re.compile(r"\{|\}|\s+and\s+")


def read_bibtex(path: Path) -> tuple[list[Paper], list[SourceIssue]]:
    """Read the papers of a .bib (or gzip-compressed .bib.gz) file; broken entries become issues."""
    check_file(path)
    papers: list[Paper] = []
    issues: list[SourceIssue] = []
    seen: set[str] = set()
    strings: list[Block] = []  # @string definitions stay visible to later chunks
    for offset, text in _chunks(path):
        with _quiet_splitter():
            library = parse_string(text, library=Library(strings))
        strings = list(library.strings)
        for block in library.failed_blocks:
            issues.append(_failed_block_issue(block, path, offset))
        for entry in library.entries:
            line = offset + (entry.start_line or 0) + 1
            paper = _to_paper(entry, path, line, offset, issues)
            if paper is None:
                continue
            if paper.id in seen:
                issues.append(_duplicate_issue(path, line, paper.id))
                continue
            seen.add(paper.id)
            papers.append(paper)
    return papers, issues


def latex_to_text(text: str) -> str:
    """Turn BibTeX/LaTeX markup into plain text: "{B}ERT" -> "BERT", "\\textit{x}" -> "x"."""
    if not _MARKUP.search(text):
        return squash(text)  # most Anthology abstracts are plain Unicode already
    text = _ESCAPED.sub(lambda m: _PROTECT[m.group(1) or m.group(2)], text)
    text = _NAMED.sub(lambda m: _SYMBOLS[m.group(1)], text)
    text = _ACCENT.sub(_accented, text)
    text = _SPACING.sub(" ", text)
    text = _FONT_SWITCH.sub("", text)  # {\em x} -> {x}
    text = _COMMAND.sub("", text)  # \textit{x} -> {x}
    text = _BARE_COMMAND.sub("", text)  # unknown \alpha -> alpha: the name says more than nothing
    text = text.replace("{", "").replace("}", "").replace("$", "").replace("~", " ")
    for latex, plain in _LIGATURES:
        text = text.replace(latex, plain)
    text = text.translate(_UNPROTECT)
    return squash(unicodedata.normalize("NFC", text))


_MARKUP = re.compile(r"[\\{}$~`]|--|''")
# Escaped specials are swapped for private-use characters so brace and $ removal spares them.
_PROTECT = {c: chr(0xE000 + i) for i, c in enumerate("&%$#_{}~^\\")}
_UNPROTECT = str.maketrans({v: k for k, v in _PROTECT.items()})
_ESCAPED = re.compile(r"\\([&%$#_{}])|\\(?:text)?(backslash)(?![A-Za-z])")
_PROTECT["backslash"] = _PROTECT["\\"]
_SYMBOLS = {
    "ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "aa": "å",
    "AA": "Å", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "dh": "ð", "DH": "Ð", "th": "þ",
    "TH": "Þ", "ng": "ŋ", "NG": "Ŋ", "dots": "…", "ldots": "…", "textendash": "–",
    "textemdash": "—", "textquoteright": "’", "textquoteleft": "‘", "textquotedblleft": "“",
    "textquotedblright": "”", "LaTeX": "LaTeX", "TeX": "TeX", "textregistered": "®",
    "texttrademark": "™", "textasciitilde": _PROTECT["~"], "textasciicircum": _PROTECT["^"],
}  # fmt: skip
_NAMED = re.compile(r"\\(" + "|".join(_SYMBOLS) + r")(?![A-Za-z])\s*")
_COMBINING = {
    '"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
    "r": "\u030a", "d": "\u0323", "b": "\u0331",
}  # fmt: skip
# \"u, \"{u}, {\"u}, \v{s}, \c c, \'{\i} (a dotless i was already turned into "ı" above).
_ACCENT = re.compile(
    r"\\([\"'`^~=.]|[uvHckrdb](?![A-Za-z]))\s*(?:\{\s*([A-Za-zıȷ])\s*\}|([A-Za-zıȷ]))"
)
_SPACING = re.compile(r"\\[,;:! ]|\\\\")
_FONT_SWITCH = re.compile(
    r"\\(?:em|it|bf|sc|tt|rm|sf|sl|normalfont|itshape|bfseries|scshape|upshape|small|large"
    r"|Large|footnotesize|normalsize)(?![A-Za-z])\s*"
)
_COMMAND = re.compile(r"\\[A-Za-z]+\*?\s*(?=\{)")
_BARE_COMMAND = re.compile(r"\\(?=[A-Za-z])")
_LIGATURES = (("---", "—"), ("--", "–"), ("``", "“"), ("''", "”"))


def _accented(match: re.Match[str]) -> str:
    base = (match.group(2) or match.group(3)).replace("ı", "i").replace("ȷ", "j")
    return base + _COMBINING[match.group(1)]


@contextmanager
def _quiet_splitter() -> Iterator[None]:
    """Mute bibtexparser's own warnings: each becomes a SourceIssue with the right line."""
    splitter = logging.getLogger("bibtexparser.splitter")
    muted = logging.Filter("-")  # a name no record has, so the filter drops every record
    splitter.addFilter(muted)
    try:
        yield
    finally:
        splitter.removeFilter(muted)


def _chunks(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (lines before the chunk, chunk text); chunks end before an entry's "@type{"."""
    lines: list[str] = []
    size = depth = start = number = 0
    with _open_binary(path) as handle:
        try:
            for raw in handle:
                # Decoding line by line (not in 8 kB blocks) lets an error name its line.
                line = raw.decode("utf-8-sig" if number == 0 else "utf-8").replace("\r\n", "\n")
                # A new chunk may start only where no brace is open, unless a broken entry
                # keeps one open for ever: then split anyway rather than grow without bound.
                if (
                    size >= CHUNK_CHARS
                    and (depth <= 0 or size >= 4 * CHUNK_CHARS)
                    and _ENTRY_START.match(line)
                ):
                    yield start, "".join(lines)
                    lines, size, depth, start = [], 0, 0, number
                lines.append(line)
                size += len(line)
                depth += line.count("{") - line.count("}")
                number += 1
        except UnicodeDecodeError as error:
            raise SourceError(
                f"{path}: line {number + 1} is not UTF-8 text ({error.reason}). "
                "Fix: re-save the file as UTF-8."
            ) from error
        except (EOFError, gzip.BadGzipFile, zlib.error) as error:
            raise SourceError(
                f"{path}: the compressed file is damaged or incomplete after line {number} "
                f"({error}). Fix: download it again."
            ) from error
    if lines:
        yield start, "".join(lines)


def _open_binary(path: Path) -> io.BufferedIOBase:
    with path.open("rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"  # trust the gzip magic bytes, not the suffix
    return gzip.open(path, "rb") if compressed else path.open("rb")


def _to_paper(
    entry: Entry, path: Path, line: int, offset: int, issues: list[SourceIssue]
) -> Paper | None:
    """Map one entry to a Paper, or None (with an issue) when it is broken or not a paper."""
    kind = entry.entry_type.lower()
    if kind == "proceedings":
        return None  # the record of a whole volume, not a paper; the export lists one per volume
    fields = {f.key.lower(): f for f in entry.fields}
    for key, field in fields.items():
        # The parser keeps a field that runs into the next one as one bare value with "=" in
        # it; that only happens when the comma between the two is missing.
        if field.enclosing == "no-enclosing" and "=" in str(field.value):
            issues.append(
                SourceIssue(
                    str(path),
                    offset + field.start_line + 1,
                    f"entry '{entry.key}': field '{key}' runs into the next field; entry skipped",
                    f"add the missing comma after the '{key}' value",
                )
            )
            return None
    values = {key: str(field.value) for key, field in fields.items()}
    title = latex_to_text(values.get("title", ""))
    if not title:
        issues.append(
            SourceIssue(
                str(path),
                line,
                f"entry '{entry.key}' has no title; entry skipped",
                "add a title = {...} field",
            )
        )
        return None
    year = parse_year(values.get("year"))
    if year is None:
        issues.append(
            SourceIssue(
                str(path),
                line,
                f"entry '{entry.key}': year {values.get('year', '(missing)')!r} is not a year; "
                "paper kept with year unknown",
                "give a four-digit year, e.g. year = {2024}",
            )
        )
    booktitle = latex_to_text(values.get("booktitle") or values.get("journal") or "")
    url = optional(values.get("url"))
    volume, venues = anthology_volume(url or "")
    abstract = latex_to_text(values.get("abstract", ""))
    return Paper(
        id=entry.key,
        title=title,
        abstract=abstract or None,
        year=year,
        venues=venues,
        venue_type=_venue_type(kind, booktitle),
        volume=volume,
        booktitle=booktitle,
        authors=tuple(person_name(latex_to_text(n)) for n in _split_names(values.get("author"))),
        url=url,
        doi=clean_doi(values.get("doi")),
        source=f"{path.name}:{line}",
    )


def _venue_type(kind: str, booktitle: str) -> VenueType:
    if kind == "inproceedings" or kind == "conference":
        return proceedings_type(booktitle)
    return "journal" if kind == "article" else "unknown"


def _split_names(text: str | None) -> list[str]:
    """Split an author field on " and ", except inside braces ("{Barnes and Noble}")."""
    names: list[str] = []
    depth = start = 0
    text = text or ""
    for match in _AND.finditer(text):
        token = match.group()
        if token in "{}":
            depth += 1 if token == "{" else -1
        elif depth == 0:
            names.append(text[start : match.start()])
            start = match.end()
    names.append(text[start:])
    return [name for name in (squash(n) for n in names) if name]


def _failed_block_issue(block: ParsingFailedBlock, path: Path, offset: int) -> SourceIssue:
    line = offset + (block.start_line or 0) + 1
    if isinstance(block, DuplicateBlockKeyBlock):
        return _duplicate_issue(path, line, block.key)
    if isinstance(block, DuplicateFieldKeyBlock):
        keys = ", ".join(sorted(block.duplicate_keys))
        return SourceIssue(
            str(path),
            line,
            f"entry repeats the field(s) {keys}; entry skipped",
            "keep one of each field",
        )
    reason = getattr(block.error, "abort_reason", "") or str(block.error) or "syntax error"
    return SourceIssue(
        str(path),
        line,
        f"entry could not be parsed ({reason.strip()}); entry skipped",
        "check the entry's braces, quotes and commas",
    )


def _duplicate_issue(path: Path, line: int, key: str) -> SourceIssue:
    return SourceIssue(
        str(path),
        line,
        f"entry key '{key}' was already used by an earlier entry; this one skipped",
        "give each entry its own key",
    )
