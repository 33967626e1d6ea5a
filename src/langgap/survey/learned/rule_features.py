"""The rule annotator's outputs as features of the learned heads (stacking).

The learned heads read the rule annotator's decisions and cue counts beside the TF-IDF of the
text: the rules encode the annotation guide's distinctions (people's posts vs a model's output,
general alignment vs a specific subtopic) that 300 labelled abstracts cannot teach a bag of
words. Fields the rules label better on cross-validation (languages and group) are taken from
the rules outright (`model.SOURCES`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from langgap.survey.annotate import RuleAnnotator, judge_topic, load_rules
from langgap.survey.cues import Cue
from langgap.survey.models import TOPICS, Labels, Paper

TITLE_WEIGHT = 2.0  # a topic cue in the title counts twice, as the rule annotator counts it


def feature_names() -> tuple[str, ...]:
    """Column names of `rule_matrix`: the rules' related decision, log counts of each related
    cue (strong, content harm, people's content, weak), each topic's cue score, and the rules'
    topic (assuming the paper is related)."""
    cue_names = [f"{kind}_{i}" for kind, cues in _related_cues() for i, _ in enumerate(cues)]
    return (
        "rules_related",
        *cue_names,
        *(f"topic_score_{t}" for t in TOPICS),
        *(f"rules_topic_{t}" for t in TOPICS),
    )


def _related_cues() -> tuple[tuple[str, tuple[Cue, ...]], ...]:
    rules = load_rules()
    return (
        ("strong", rules.strong),
        ("content", rules.content_harms),
        ("people", rules.people_content),
        ("weak", rules.weak),
    )


@dataclass(frozen=True)
class RuleView:
    """The rule annotator's labels of some papers and their feature rows."""

    labels: tuple[Labels, ...]
    matrix: np.ndarray  # one row per paper, `feature_names()` order

    @property
    def related(self) -> np.ndarray:
        """The rules' related decisions (0/1), one per paper."""
        return self.matrix[:, 0]

    @property
    def topic(self) -> np.ndarray:
        """The topic columns: each topic's cue score and the rules' topic (the topic head reads
        these; the related cues only added noise to it in cross-validation)."""
        return self.matrix[:, -2 * len(TOPICS) :]


def rule_view(papers: Sequence[Paper]) -> RuleView:
    """Label `papers` with the rule annotator and count its cues."""
    annotator = RuleAnnotator()
    labels = tuple(annotator.annotate_many(papers))
    rows = [_row(p, lab) for p, lab in zip(papers, labels, strict=True)]
    matrix = np.array(rows, dtype=np.float64).reshape(len(papers), len(feature_names()))
    return RuleView(labels, matrix)


def _texts(paper: Paper) -> list[tuple[float, str, str]]:
    fields = [(TITLE_WEIGHT, paper.title), (1.0, paper.abstract or "")]
    return [(weight, text, text.lower()) for weight, text in fields if text]


def _row(paper: Paper, labels: Labels) -> list[float]:
    texts = _texts(paper)
    row = [float(labels.related)]
    for _, cues in _related_cues():
        for cue in cues:
            hits = sum(1 for _, text, low in texts for _ in cue.finditer(text, low))
            row.append(math.log1p(hits))
    scores = dict.fromkeys(TOPICS, 0.0)
    for weight, text, low in texts:
        for cue in load_rules().topics:
            if cue.search(text, low):  # each cue counts once per field, as in judge_topic
                scores[cue.label] += weight  # type: ignore[index]
    row += [math.log1p(scores[t]) for t in TOPICS]
    # the topic the rules would give if the paper is related (the learned related head decides)
    topic = labels.topic if labels.related else judge_topic(paper, True)[0]
    row += [float(topic == t) for t in TOPICS]
    return row
