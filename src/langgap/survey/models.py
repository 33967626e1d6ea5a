"""The survey's data model: one `Paper` from any source, and the labels an annotator gives it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

VenueType = Literal["conference", "workshop", "journal", "unknown"]
Group = Literal["english_only", "non_english", "multilingual"]
Topic = Literal[
    "jailbreaking",
    "toxicity_bias",
    "hallucination",
    "privacy",
    "policy",
    "alignment",
    "not_safety",
]
GROUPS: tuple[Group, ...] = get_args(Group)
TOPICS: tuple[Topic, ...] = get_args(Topic)


@dataclass(slots=True)
class Paper:
    """One paper, whatever file it came from."""

    id: str
    title: str
    abstract: str | None
    year: int | None
    venues: tuple[str, ...] = ()
    venue_type: VenueType = "unknown"
    volume: str = ""
    booktitle: str = ""
    authors: tuple[str, ...] = ()
    url: str | None = None
    doi: str | None = None
    source: str = ""  # file (and line, where known) the paper was read from


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a label was given: the matched text and where it stands."""

    field: str  # "title", "abstract", "fulltext:p3", ...
    start: int
    end: int
    text: str
    note: str = ""


@dataclass(slots=True)
class Labels:
    """An annotator's labels for one paper, each with its evidence."""

    related: bool
    languages: tuple[str, ...]  # ISO 639-3, sorted
    group: Group
    topic: Topic
    documented: bool
    multilingual_unlisted: bool = False  # "across 30 languages" without the list
    annotator: str = "rules"
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)
    # calibrated probabilities of a learned annotator ("related", "topic", "documented") and its
    # certainty about the least certain decision ("confidence"); empty for rule labels
    probabilities: dict[str, float] = field(default_factory=dict)
    flagged: bool = False  # the annotator asks a person to check this paper
