"""Studied or merely mentioned: features for each language mention of a paper.

The mention finder (`langgap.languages.find_mentions`) proposes every language name, code,
dataset and "N languages" claim in the title and abstract; a classifier decides from the words
around it (and a few facts about the paper) whether the paper studies that language or only
mentions it ("unlike English", "benchmarks are mostly in English").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from langgap.languages import Mention, find_mentions
from langgap.survey.annotations import Annotation
from langgap.survey.models import Paper

WINDOW = 60  # characters either side of a mention that its context holds
KINDS = ("name", "code", "dataset", "claim")
ENGLISH = "eng"
DENSE_FEATURES = (
    *(f"kind_{k}" for k in KINDS),
    "english",
    "contrast",  # the mention finder's own contrast rule ("unlike English")
    "in_title",
    "log_languages_in_paper",
    "share_of_mentions",
    "position",
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One mention of a paper, with what the classifier sees."""

    field: str  # "title" or "abstract"
    mention: Mention
    context: str  # the window around it, the mention itself replaced by a placeholder
    dense: tuple[float, ...]  # DENSE_FEATURES order


def _fields(paper: Paper) -> list[tuple[str, str]]:
    return [(n, t) for n, t in (("title", paper.title), ("abstract", paper.abstract)) if t]


def candidates(paper: Paper) -> list[Candidate]:
    """Every mention in the title and abstract, in order, with its features."""
    found = [(name, text, m) for name, text in _fields(paper) for m in find_mentions(text)]
    named = {code for _, _, m in found for code in m.languages}
    counts: dict[str, int] = {}
    for _, _, m in found:
        for code in m.languages:
            counts[code] = counts.get(code, 0) + 1
    out = []
    for name, text, m in found:
        left = text[max(0, m.start - WINDOW) : m.start]
        right = text[m.end : m.end + WINDOW]
        share = max((counts[c] for c in m.languages), default=0) / len(found)
        dense = (
            *(float(m.kind == k) for k in KINDS),
            float(ENGLISH in m.languages),
            float(m.contrast),
            float(name == "title"),
            math.log1p(len(named)),
            share,
            m.start / max(len(text), 1),
        )
        out.append(Candidate(name, m, f"{left} languagementioned {right}", dense))
    return out


def studied_label(candidate: Candidate, gold: Annotation) -> bool:
    """Does the gold annotation say the paper studies what this mention names? A claim without a
    list ("in 30 languages") counts as studied when the paper is multilingual."""
    if candidate.mention.languages:
        return bool(set(candidate.mention.languages) & set(gold.languages))
    return bool(gold.unlisted) or gold.group == "multilingual"


def dense_matrix(found: list[Candidate]) -> np.ndarray:
    """The dense features of `found`, one row each."""
    return np.array([c.dense for c in found], dtype=np.float64).reshape(-1, len(DENSE_FEATURES))
