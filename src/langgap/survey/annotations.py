"""Annotation records shared by sheets, agreement, adjudication and scoring.

One `Annotation` is one annotator's labels for one paper: a person's sheet row, a rule or LLM
annotator's output, or a gold (adjudicated) label. Gold sets are CSV files in `ANNOTATION_COLUMNS`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from langgap._io import atomic_write_text
from langgap.survey.models import Group, Labels, Topic

ANNOTATION_COLUMNS = (
    "paper_id", "annotator", "related", "languages", "group", "topic", "documented",
    "decided_by", "notes",
)  # fmt: skip
# Fields compared between annotators; "languages" is a set, the others are categorical/binary.
LABEL_FIELDS = ("related", "languages", "group", "topic", "documented")


@dataclass(frozen=True, slots=True)
class Annotation:
    """One annotator's labels for one paper."""

    paper_id: str
    annotator: str
    related: bool
    languages: tuple[str, ...]  # ISO 639-3 counting codes, sorted
    group: Group
    topic: Topic
    documented: bool
    decided_by: str = ""  # gold only: "agreement" or the adjudicator's name
    notes: str = ""
    unlisted: tuple[str, ...] = ()  # the guide's "+N"/"+?": languages studied but not named

    @property
    def has_non_english(self) -> bool:
        """Does the paper study any language other than English?"""
        return any(code != "eng" for code in self.languages)

    @classmethod
    def from_labels(cls, paper_id: str, labels: Labels, annotator: str | None = None) -> Annotation:
        """A machine annotator's labels as an annotation record."""
        return cls(
            paper_id=paper_id,
            annotator=annotator or labels.annotator,
            related=labels.related,
            languages=tuple(sorted(labels.languages)),
            group=labels.group,
            topic=labels.topic,
            documented=labels.documented,
        )

    def as_row(self) -> dict[str, str]:
        """The CSV row (languages ';'-joined, booleans as true/false)."""
        return {
            "paper_id": self.paper_id,
            "annotator": self.annotator,
            "related": _bool_text(self.related),
            "languages": ";".join((*self.languages, *self.unlisted)),
            "group": self.group,
            "topic": self.topic,
            "documented": _bool_text(self.documented),
            "decided_by": self.decided_by,
            "notes": self.notes,
        }


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


def write_annotations(path: Path, annotations: Iterable[Annotation]) -> Path:
    """Write annotation records (e.g. a gold set) as CSV, atomically."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(ANNOTATION_COLUMNS))
    writer.writeheader()
    writer.writerows(a.as_row() for a in annotations)
    atomic_write_text(path, buffer.getvalue())
    return path


def group_for(languages: Sequence[str]) -> Group:
    """The group a language list implies (English only, one other language, or several)."""
    codes = set(languages)
    if len(codes) >= 2:
        return "multilingual"
    return "english_only" if codes in ({"eng"}, set()) else "non_english"
