"""Label languages and documentation from a paper's full text instead of its abstract alone.

The survey's documentation criterion ("is English, or the studied language, named anywhere in
the paper?") cannot be decided from an abstract. This module fetches the PDFs (`pdf_fetch`),
extracts their text (`pdf_text`) and re-annotates; a paper whose PDF is unavailable keeps its
abstract labels, and every result says which source it came from (`label_source`).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from langgap.languages import Mention, find_mentions
from langgap.survey.annotate import ENGLISH, _group  # the one group rule, shared on purpose
from langgap.survey.models import Evidence, Labels, Paper
from langgap.survey.pdf_fetch import FetchReport, FetchStatus, PdfStatus, fetch_pdfs, pdf_url
from langgap.survey.pdf_text import FullText, PdfTextError, extract_text

__all__ = [
    "FetchReport",
    "FullText",
    "FulltextLabels",
    "FulltextSummary",
    "PaperFulltext",
    "PdfStatus",
    "PdfTextError",
    "annotate_fulltext",
    "apply_fulltext",
    "extract_text",
    "fetch_pdfs",
    "pdf_url",
]

LabelSource = Literal["fulltext", "abstract"]
PaperStatus = FetchStatus | Literal["damaged", "no_text"]
MIN_PLACES = 2  # a language the body mentions once is an aside; twice or more, it is studied
_EVIDENCE_PER_LANGUAGE = 3
_MAX_EVIDENCE = 40
_COUNTED_KINDS = frozenset({"name", "code", "dataset"})
_NAMING_KINDS = frozenset({"name", "code"})


@dataclass(frozen=True, slots=True)
class FulltextLabels:
    """Labels and the text they were read from."""

    labels: Labels
    source: LabelSource


@dataclass(frozen=True, slots=True)
class PaperFulltext:
    """One paper's full-text outcome: the PDF's status and which labels it got."""

    paper_id: str
    status: PaperStatus
    source: LabelSource
    reason: str = ""
    pages: int = 0


@dataclass(slots=True)
class FulltextSummary:
    """What `apply_fulltext` did, per paper (input order) and in counts."""

    papers: list[PaperFulltext] = field(default_factory=list)
    offline: bool = False
    message: str = ""

    @property
    def counts(self) -> dict[str, int]:
        """Papers per status (cached, downloaded, failed, offline, no_url, damaged, no_text)."""
        return dict(Counter(p.status for p in self.papers))

    @property
    def sources(self) -> list[LabelSource]:
        """The label source of each paper, in input order (the papers.csv `label_source`)."""
        return [p.source for p in self.papers]


def annotate_fulltext(paper: Paper, labels: Labels, fulltext: FullText) -> FulltextLabels:
    """Languages, group and documentation from the full text (the paper body without references).

    The rule:

    - languages = the abstract's languages plus every language the body mentions in at least
      `MIN_PLACES` places (names, codes, datasets; a dataset counts for each of its languages).
      English assumed by default for an abstract that names no language is not carried over
      (a paper whose body names only Chinese is about Chinese); with no mention anywhere, the
      paper stays English-only.
    - group is recomputed from those languages (a multilingual claim in the abstract still counts).
    - documented = the abstract already named a language, or the body names (by name or code,
      once is enough) one of the paper's languages; for an English-only paper that is whether
      "English" appears in the paper at all. The references never count: a cited title saying
      "English" does not document the paper's own data.
    - multilingual_unlisted stays only if the body adds no language to the abstract's.

    Evidence for languages found in the body has `field="fulltext:p<page>"` (offsets within that
    page's text) and a note ending in "source=fulltext"; the abstract's carries "source=abstract".
    """
    abstract_evidence = _abstract_evidence(labels)
    base = set(labels.languages) - ({ENGLISH} if _assumed_english(labels) else set())
    places = _body_places(fulltext)
    found = {code for code, hits in places.items() if len(hits) >= MIN_PLACES}
    codes = base | found or {ENGLISH}
    claimed = any(_kind(e) == "claim" for e in abstract_evidence)
    named = {code for code, hits in places.items() if any(m.kind in _NAMING_KINDS for _, m in hits)}
    documented = labels.documented or bool(named & codes)
    evidence = [_with_source(e, "abstract") for e in abstract_evidence]
    evidence += _body_evidence(places, (found - base) | (named & codes))
    relabelled = dataclasses.replace(
        labels,
        languages=tuple(sorted(codes)),
        group=_group(codes, claimed),
        documented=documented,
        multilingual_unlisted=labels.multilingual_unlisted and not (found - base),
        annotator=f"{labels.annotator}+fulltext",
        evidence={**labels.evidence, "languages": evidence[:_MAX_EVIDENCE]},
    )
    return FulltextLabels(relabelled, "fulltext")


def abstract_labels(labels: Labels) -> FulltextLabels:
    """The abstract's labels unchanged, their language evidence marked source=abstract."""
    evidence = [_with_source(e, "abstract") for e in _abstract_evidence(labels)]
    marked = dataclasses.replace(labels, evidence={**labels.evidence, "languages": evidence})
    return FulltextLabels(marked, "abstract")


def apply_fulltext(
    pairs: Sequence[tuple[Paper, Labels]],
    cache_dir: Path,
    *,
    on_paper: Callable[[PaperFulltext], None] | None = None,
    **fetch_options: Any,
) -> tuple[list[Labels], FulltextSummary]:
    """Fetch, extract and re-annotate each paper; papers without a usable PDF keep abstract labels.

    `fetch_options` go to `fetch_pdfs` (concurrency, retries, timeout, offline_check, delay, ...).

    >>> labels, summary = apply_fulltext(list(zip(papers, labels)), Path("pdfs"))  # doctest: +SKIP
    >>> summary.counts  # doctest: +SKIP
    {'downloaded': 40, 'cached': 3, 'failed': 1}
    """
    report = fetch_pdfs([paper for paper, _ in pairs], cache_dir, **fetch_options)
    out: list[Labels] = []
    summary = FulltextSummary(offline=report.offline)
    for (paper, labels), fetched in zip(pairs, report.results, strict=True):
        result, outcome = _relabel(paper, labels, fetched)
        out.append(result.labels)
        summary.papers.append(outcome)
        if on_paper is not None:
            on_paper(outcome)
    used = summary.sources.count("fulltext")
    summary.message = (
        f"{report.message}. Labels from the full text for {used} of {len(pairs)} papers; "
        f"the other {len(pairs) - used} keep their abstract labels."
    )
    return out, summary


def _relabel(
    paper: Paper, labels: Labels, fetched: PdfStatus
) -> tuple[FulltextLabels, PaperFulltext]:
    """Full-text labels when the PDF is there and readable, else the abstract's, with why."""
    if fetched.path is None:
        return abstract_labels(labels), PaperFulltext(
            paper.id, fetched.status, "abstract", fetched.reason
        )
    try:
        text = extract_text(fetched.path)
    except PdfTextError as error:
        reason = f"{error} {_set_aside(fetched.path)}"
        return abstract_labels(labels), PaperFulltext(paper.id, "damaged", "abstract", reason)
    if not text.has_text:
        reason = f"{fetched.path}: no text layer (a scanned PDF?)"
        return abstract_labels(labels), PaperFulltext(paper.id, "no_text", "abstract", reason)
    result = annotate_fulltext(paper, labels, text)
    return result, PaperFulltext(paper.id, fetched.status, "fulltext", pages=len(text.pages))


def _set_aside(pdf: Path) -> str:
    """Rename a damaged PDF so the next run fetches it again; the bad copy is kept to inspect."""
    aside = pdf.with_name(pdf.name + ".damaged")
    try:
        pdf.replace(aside)
    except OSError as error:
        return f"(could not move it aside: {error})"
    return f"(moved to {aside.name}; the next run downloads it again)"


def _abstract_evidence(labels: Labels) -> list[Evidence]:
    """The language evidence from the title and abstract (never an earlier full-text pass's)."""
    items = labels.evidence.get("languages", [])
    return [e for e in items if not e.field.startswith("fulltext:")]


def _assumed_english(labels: Labels) -> bool:
    """English was assumed, not read: the abstract named no language, code or dataset."""
    evidence = _abstract_evidence(labels)
    return labels.languages == (ENGLISH,) and not any(_kind(e) in _COUNTED_KINDS for e in evidence)


def _kind(evidence: Evidence) -> str:
    return evidence.note.split(";", 1)[0].strip()


def _with_source(evidence: Evidence, source: LabelSource) -> Evidence:
    if "source=" in evidence.note:
        return evidence
    note = f"{evidence.note}; source={source}" if evidence.note else f"source={source}"
    return dataclasses.replace(evidence, note=note)


def _body_places(fulltext: FullText) -> dict[str, list[tuple[int, Mention]]]:
    """language code -> (page, mention with page offsets) for each body mention that counts."""
    places: dict[str, list[tuple[int, Mention]]] = {}
    for page, offset, text in fulltext.body():
        for mention in find_mentions(text):
            if mention.kind not in _COUNTED_KINDS:
                continue
            shifted = dataclasses.replace(
                mention, start=mention.start + offset, end=mention.end + offset
            )
            for code in dict.fromkeys(mention.languages):
                places.setdefault(code, []).append((page, shifted))
    return places


def _body_evidence(places: dict[str, list[tuple[int, Mention]]], codes: set[str]) -> list[Evidence]:
    """Up to a few places per language, each place once even when it names several languages."""
    seen: dict[tuple[int, int], Evidence] = {}
    for code in sorted(codes):
        for page, mention in places.get(code, [])[:_EVIDENCE_PER_LANGUAGE]:
            seen.setdefault(
                (page, mention.start),
                Evidence(
                    f"fulltext:p{page}",
                    mention.start,
                    mention.end,
                    mention.text,
                    f"{mention.kind}; source=fulltext",
                ),
            )
    return sorted(seen.values(), key=lambda e: (int(e.field.rsplit("p", 1)[1]), e.start))
