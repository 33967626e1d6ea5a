"""`survey run --annotator learned`: labels from the learned model, with calibrated
probabilities, evidence, and a flag on the papers a person should check."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]

from langgap.survey.annotate import RuleAnnotator
from langgap.survey.learned.model import (
    FLAG_BELOW,
    FORMAT,
    LearnedModel,
    Prediction,
    missing_model,
    packaged_model_path,
    paper_matrix,
)
from langgap.survey.models import Evidence, Labels, Paper
from langgap.survey.run_stats import QualityLine

_TOP_WORDS = 4  # the strongest words behind the related decision, shown as evidence
# bump when the labels' form changes (their evidence), so that cached runs are labelled again
_LABELS_VERSION = 2


class LearnedAnnotator:
    """Annotator backed by a `LearnedModel` file (the packaged reference model by default)."""

    name = "learned"

    def __init__(self, model_path: Path | None = None, flag_below: float = FLAG_BELOW) -> None:
        if not 0.5 <= flag_below <= 1.0:
            raise ValueError(
                f"flag threshold {flag_below} is outside 0.5-1.0 (a decision's certainty is at "
                "least 0.5). Fix: give e.g. --flag-below 0.7."
            )
        self.model_path = model_path or packaged_model_path()
        self.flag_below = flag_below
        if not self.model_path.is_file():
            raise missing_model(self.model_path)
        # the cache key follows the model file's bytes and the rules (whose outputs the model
        # reads), so a retrained model or an edited rule file relabels everything
        digest = hashlib.blake2b(self.model_path.read_bytes(), digest_size=6).hexdigest()
        rules = RuleAnnotator().version
        self.version = (
            f"{FORMAT.rsplit('/', 1)[-1]}.{digest}.rules{rules}.flag{flag_below:g}"
            f".labels{_LABELS_VERSION}"
        )

    @cached_property
    def model(self) -> LearnedModel:
        """The model, read on first use (a cached run never needs it)."""
        return LearnedModel.load(self.model_path)

    def prepare(self) -> None:
        """Read the model now rather than on the first paper."""
        _ = self.model

    def quality_line(self) -> QualityLine:
        """What the model's provenance says about its quality (cross-validated by year)."""
        meta = self.model.meta
        return QualityLine(
            annotator=f"{self.name} ({self.model_path.name})",
            trained_on=meta.get("trained_on"),
            papers=meta.get("papers"),
            cross_validated=meta.get("cv"),
            flag_below=self.flag_below,
        )

    def annotate_many(self, papers: Sequence[Paper]) -> list[Labels]:
        """Labels for each paper, in order."""
        if not papers:
            return []
        x = paper_matrix(self.model.paper_blocks, papers)
        predictions = self.model.predict(papers, x)
        words = _related_words(self.model, x)
        return [self._labels(p, w) for p, w in zip(predictions, words, strict=True)]

    def _labels(self, p: Prediction, words: list[Evidence]) -> Labels:
        mention_head = [
            Evidence(
                d.candidate.field,
                d.candidate.mention.start,
                d.candidate.mention.end,
                d.candidate.mention.text,
                f"{'studied' if d.studied >= 0.5 else 'mentioned only'} (p={d.studied:.2f}); "
                "from the mention head",
            )
            for d in p.mentions
        ]
        # the language evidence is that of the source that decided languages and group; with
        # the rules deciding, the mention head's decisions stay as evidence of `documented`
        by_field = {"languages": mention_head}
        if p.languages_from == "rules":
            by_field = {
                "languages": [
                    replace(e, note=f"{e.note}; from the rules") for e in p.rule_evidence
                ],
                "documented": mention_head,
            }
        note = f"p(topic | related)={p.p_topic:.2f}"
        return Labels(
            related=p.related,
            languages=p.languages,
            group=p.group,
            topic=p.topic,
            documented=p.documented,
            multilingual_unlisted=p.unlisted,
            annotator=f"{self.name}/{self.version}",
            evidence={
                "related": [
                    *words,
                    Evidence("abstract", 0, 0, "", f"p(related)={p.p_related:.2f}"),
                ],
                "topic": [Evidence("abstract", 0, 0, "", note)],
                **by_field,
            },
            probabilities={
                "related": p.p_related,
                "topic": p.p_topic,
                "documented": p.p_documented,
                "confidence": p.confidence,
            },
            flagged=p.confidence < self.flag_below,
        )


def _related_words(model: LearnedModel, x: sp.csr_matrix) -> list[list[Evidence]]:
    """Per paper row of `x`, the features that pushed the related decision most (word or
    character n-grams of title and abstract), as evidence a reviewer can read."""
    weights = model.related.coef[0]
    names = [name for block in model.paper_blocks for name in block.vocabulary]
    out = []
    for row in range(x.shape[0]):
        start, end = x.indptr[row], x.indptr[row + 1]
        columns, values = x.indices[start:end], x.data[start:end]
        contribution = values * weights[columns]
        top = np.argsort(-np.abs(contribution))[:_TOP_WORDS]
        out.append(
            [
                Evidence("text", 0, 0, names[columns[i]], f"weight {contribution[i]:+.2f}")
                for i in top
            ]
        )
    return out
