"""Screen papers by the published survey's rule: whole keywords in the abstract, years in range."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from langgap.survey.models import Paper

DEFAULT_KEYWORDS: tuple[str, ...] = ("safe", "safety")
DEFAULT_FIELDS: tuple[str, ...] = ("abstract",)
SCREENABLE_FIELDS: tuple[str, ...] = ("abstract", "title")


@dataclass(frozen=True, slots=True)
class ScreenConfig:
    """The screening rule: which words, in which fields, in which years."""

    keywords: tuple[str, ...] = DEFAULT_KEYWORDS
    fields: tuple[str, ...] = DEFAULT_FIELDS
    years: tuple[int, int] = (2020, 2024)

    def __post_init__(self) -> None:
        unknown = [f for f in self.fields if f not in SCREENABLE_FIELDS]
        if unknown:
            raise ValueError(
                f"unknown screening field(s) {unknown}; choose from {list(SCREENABLE_FIELDS)}"
            )
        if not self.keywords or any(not k.strip() for k in self.keywords):
            raise ValueError("--keywords needs at least one non-empty word, e.g. safe,safety")
        if self.years[0] > self.years[1]:
            raise ValueError(f"year range {self.years[0]}-{self.years[1]} is empty")

    def pattern(self) -> re.Pattern[str]:
        """One case-insensitive whole-word regex over all keywords."""
        words = "|".join(re.escape(k.strip()) for k in sorted(self.keywords, key=len, reverse=True))
        return re.compile(rf"\b(?:{words})\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Hit:
    """Where the screening rule matched."""

    field: str
    start: int
    end: int
    text: str


@dataclass(slots=True)
class ScreenResult:
    """Papers in the year range: screened hits, and papers the rule cannot read."""

    in_range: int = 0
    screened: list[tuple[Paper, list[Hit]]] = field(default_factory=list)
    no_abstract: list[Paper] = field(default_factory=list)
    no_year: list[Paper] = field(default_factory=list)


def keyword_hits(
    paper: Paper,
    fields: Sequence[str],
    pattern: re.Pattern[str],
    needles: Sequence[str] | None = None,
) -> list[Hit]:
    """Every keyword match in the chosen fields."""
    hits: list[Hit] = []
    for name in fields:
        text = paper.abstract if name == "abstract" else paper.title
        if not text:
            continue
        if needles is not None:
            lowered = text.lower()
            if not any(n in lowered for n in needles):
                continue
        hits.extend(Hit(name, m.start(), m.end(), m.group()) for m in pattern.finditer(text))
    return hits


def screen(papers: Iterable[Paper], config: ScreenConfig) -> ScreenResult:
    """Apply the rule; papers without an abstract are kept aside and counted, not dropped."""
    pattern = config.pattern()
    # A plain substring test rejects most papers ~10x faster than the case-insensitive regex.
    words = {k.strip().lower() for k in config.keywords}
    # "safe" already finds every "safety": keep only needles that contain no other needle.
    needles = [w for w in words if not any(o != w and o in w for o in words)]
    low, high = config.years
    needs_abstract = "abstract" in config.fields
    result = ScreenResult()
    for paper in papers:
        if paper.year is None:
            result.no_year.append(paper)
            continue
        if not low <= paper.year <= high:
            continue
        result.in_range += 1
        if needs_abstract and not paper.abstract:
            result.no_abstract.append(paper)
            # Still screen the other fields (e.g. title) when the user asked for them.
            if len(config.fields) == 1:
                continue
        hits = keyword_hits(paper, config.fields, pattern, needles)
        if hits:
            result.screened.append((paper, hits))
    return result
