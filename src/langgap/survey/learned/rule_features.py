"""The rule annotator's outputs as features of the learned heads (stacking).

The rules encode distinctions of the annotation guide (people's posts vs a model's output,
general alignment vs a specific subtopic) that 300 labelled abstracts teach a bag of words
poorly. The stacked related head reads the rules' related decision; the topic head reads each
topic's cue score and the rules' topic beside the TF-IDF. Languages and group can be taken
from the rules outright (`model.LANGUAGES_FROM`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from langgap.survey.annotate import RuleAnnotator, TopicCues, topic_cue_scores, topic_from_cues
from langgap.survey.models import TOPICS, Labels, Paper


def feature_names() -> tuple[str, ...]:
    """Column names of `RuleView.matrix`: the rules' related decision, each topic's cue score
    (log of 1 + the title-weighted number of its cues found), and the rules' topic (as if the
    paper were related). Counts of the related cues (strong, content harm, people's content,
    weak) helped neither head in cross-validation on the reference's train+dev papers, so they
    are not features."""
    return (
        "rules_related",
        *(f"topic_score_{t}" for t in TOPICS),
        *(f"rules_topic_{t}" for t in TOPICS),
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
        """The topic columns: each topic's cue score, then the rules' topic."""
        return self.matrix[:, 1:]


def rule_view(papers: Sequence[Paper]) -> RuleView:
    """Label `papers` with the rule annotator and score its topic cues."""
    annotator = RuleAnnotator()
    cues = [topic_cue_scores(p) for p in papers]  # scanned once: for the labels and the row
    labels = tuple(annotator.annotate(p, c) for p, c in zip(papers, cues, strict=True))
    rows = [_row(c, lab) for c, lab in zip(cues, labels, strict=True)]
    matrix = np.array(rows, dtype=np.float64).reshape(len(papers), len(feature_names()))
    return RuleView(labels, matrix)


def _row(cues: TopicCues, labels: Labels) -> list[float]:
    scores, evidence = cues
    # the topic the rules would give if the paper is related (the learned related head decides)
    topic = labels.topic if labels.related else topic_from_cues(scores, evidence)[0]
    return [
        float(labels.related),
        *(math.log1p(scores.get(t, 0.0)) for t in TOPICS),
        *(float(topic == t) for t in TOPICS),
    ]
