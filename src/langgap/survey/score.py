"""Score any annotator (rules, an LLM, a person) against a gold set of adjudicated labels.

Only papers in both sets are scored; gold papers without a prediction are counted and listed,
never dropped in silence. Every rate carries its n and a 95% percentile-bootstrap interval.

>>> report = score(rule_labels, gold, evidence={"p1": "abstract 'Swahili'"})  # doctest: +SKIP
>>> report.write(Path("out"))  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
from sklearn.metrics import (  # type: ignore[import-untyped]
    confusion_matrix,
    precision_recall_fscore_support,
)
from sklearn.preprocessing import MultiLabelBinarizer  # type: ignore[import-untyped]

from langgap._io import atomic_write_text
from langgap.languages import UnknownLanguageError, lookup
from langgap.report.markdown import MarkdownReport
from langgap.stats import (
    Estimate,
    cohen_kappa,
    generator,
    json_number,
    resample_weights,
    weighted_mean,
    weighted_ratio,
)
from langgap.survey.agreement import (
    CATEGORICAL_FIELDS,
    field_domain,
    field_value,
    jaccard_per_paper,
    mean_jaccard,
)
from langgap.survey.annotations import LABEL_FIELDS, Annotation
from langgap.survey.models import GROUPS, TOPICS, Group, Topic
from langgap.survey.sheet_import import parse_bool
from langgap.survey.sheet_io import SheetError, SheetProblem

CONFUSION_FIELDS = ("group", "topic", "related", "documented")
MAX_EVIDENCE = 400  # characters of evidence kept per error; papers.csv cells can run long


@dataclass(frozen=True, slots=True)
class FieldScore:
    """Accuracy and Cohen's kappa of one categorical or binary field."""

    accuracy: Estimate
    kappa: Estimate

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"accuracy": self.accuracy.to_dict(), "kappa": self.kappa.to_dict()}


@dataclass(frozen=True, slots=True)
class LanguageScore:
    """Precision, recall and F1 for one language; support = gold papers with it."""

    code: str
    precision: float
    recall: float
    f1: float
    support: int
    predicted: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "code": self.code,
            "precision": json_number(self.precision),
            "recall": json_number(self.recall),
            "f1": json_number(self.f1),
            "support": self.support,
            "predicted": self.predicted,
        }


@dataclass(frozen=True, slots=True)
class Confusion:
    """A confusion matrix: rows are gold labels, columns predicted, both in `labels` order."""

    labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"labels": list(self.labels), "counts": [list(r) for r in self.counts]}


@dataclass(frozen=True, slots=True)
class ErrorCase:
    """One paper the annotator got wrong: which fields, gold vs predicted, and its evidence."""

    paper_id: str
    wrong: tuple[str, ...]
    gold: Mapping[str, str]
    predicted: Mapping[str, str]
    evidence: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "paper_id": self.paper_id,
            "wrong": list(self.wrong),
            "gold": dict(self.gold),
            "predicted": dict(self.predicted),
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class ScoreReport:
    """How well one annotator's labels match the gold set."""

    annotator: str
    gold_papers: int
    scored: int
    missing: tuple[str, ...]  # gold papers without a prediction
    unscored: int  # predictions for papers not in the gold set
    fields: Mapping[str, FieldScore]
    precision: Estimate  # language level, micro over (paper, language) pairs
    recall: Estimate
    f1: Estimate
    jaccard: Estimate
    languages: tuple[LanguageScore, ...]
    confusion: Mapping[str, Confusion]
    errors: tuple[ErrorCase, ...]  # most wrong fields first
    n_boot: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (NaN as null); the report's "Label quality" section reads this."""
        return {
            "annotator": self.annotator,
            "gold_papers": self.gold_papers,
            "scored": self.scored,
            "missing": len(self.missing),
            "missing_ids": list(self.missing),
            "unscored": self.unscored,
            "method": {
                "fields": "accuracy and Cohen's kappa (scikit-learn) on papers in both sets",
                "languages": "precision/recall/F1 over (paper, language) pairs, micro and per "
                "language (scikit-learn); mean Jaccard per paper (empty/empty = 1)",
                "interval": f"95% percentile bootstrap, {self.n_boot} resamples of papers, "
                f"seed {self.seed}",
                "confusion": "rows gold, columns predicted",
            },
            "fields": {f: s.to_dict() for f, s in self.fields.items()},
            "languages": {
                "precision": self.precision.to_dict(),
                "recall": self.recall.to_dict(),
                "f1": self.f1.to_dict(),
                "jaccard": self.jaccard.to_dict(),
                "per_language": [s.to_dict() for s in self.languages],
            },
            "confusion": {f: c.to_dict() for f, c in self.confusion.items()},
            "errors": [e.to_dict() for e in self.errors],
            "n_boot": self.n_boot,
            "seed": self.seed,
        }

    def write(self, out_dir: Path) -> list[Path]:
        """Write label_quality.json and label_quality.md under out_dir; return both paths."""
        from langgap.survey.quality_sections import label_quality_section

        data = self.to_dict()
        json_path, md_path = out_dir / "label_quality.json", out_dir / "label_quality.md"
        text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
        atomic_write_text(json_path, text + "\n")
        md = MarkdownReport(f"Scoring {self.annotator} against gold")
        label_quality_section(md, data, level=2, top=len(self.errors))
        md.write(md_path)
        return [json_path, md_path]


def score(
    predicted: Sequence[Annotation],
    gold: Sequence[Annotation],
    *,
    n_boot: int = 1000,
    seed: int = 0,
    evidence: Mapping[str, str] | None = None,
) -> ScoreReport:
    """Score predicted labels against gold on the papers in both (missing ones are counted)."""
    if n_boot < 0:
        raise ValueError(f"n_boot must be ≥ 0, got {n_boot}")
    gold_by_id = _by_paper(gold, "gold")
    pred_by_id = _by_paper(predicted, "predictions")
    ids = sorted(gold_by_id.keys() & pred_by_id.keys())
    if not ids:
        raise ValueError(
            f"no gold paper has a prediction ({len(gold_by_id)} gold, {len(pred_by_id)} "
            "predicted); check that both use the same paper ids"
        )
    g = [gold_by_id[p] for p in ids]
    q = [pred_by_id[p] for p in ids]
    weights = resample_weights(generator(seed), len(ids), n_boot)
    precision, recall, f1, per_language = _languages(g, q, weights)
    names = sorted({a.annotator for a in predicted})
    return ScoreReport(
        annotator=", ".join(names) or "predictions",
        gold_papers=len(gold_by_id),
        scored=len(ids),
        missing=tuple(sorted(gold_by_id.keys() - pred_by_id.keys())),
        unscored=len(pred_by_id.keys() - gold_by_id.keys()),
        fields={f: _field_score(g, q, f, weights) for f in CATEGORICAL_FIELDS},
        precision=precision,
        recall=recall,
        f1=f1,
        jaccard=_jaccard(g, q, weights),
        languages=per_language,
        confusion={f: _confusion(g, q, f) for f in CONFUSION_FIELDS},
        errors=_errors(g, q, evidence or {}),
        n_boot=n_boot,
        seed=seed,
    )


def _by_paper(annotations: Sequence[Annotation], what: str) -> dict[str, Annotation]:
    out: dict[str, Annotation] = {}
    for a in annotations:
        if a.paper_id in out:
            raise ValueError(
                f"{what} hold two labels for paper {a.paper_id!r} (annotators "
                f"{out[a.paper_id].annotator!r}, {a.annotator!r}); keep one per paper, "
                "e.g. choose one annotator"
            )
        out[a.paper_id] = a
    return out


def _field_score(
    gold: Sequence[Annotation], pred: Sequence[Annotation], f: str, weights: np.ndarray
) -> FieldScore:
    x = [field_value(a, f) for a in gold]
    y = [field_value(a, f) for a in pred]
    hits = np.array([a == b for a, b in zip(x, y, strict=True)], dtype=np.float64)
    accuracy = weighted_mean(float(hits.mean()), hits, weights)
    return FieldScore(accuracy, cohen_kappa(x, y, field_domain(f, x + y), weights))


def _jaccard(
    gold: Sequence[Annotation], pred: Sequence[Annotation], weights: np.ndarray
) -> Estimate:
    xs, ys = [a.languages for a in gold], [a.languages for a in pred]
    return weighted_mean(mean_jaccard(xs, ys), jaccard_per_paper(xs, ys), weights)


def _languages(
    gold: Sequence[Annotation], pred: Sequence[Annotation], weights: np.ndarray
) -> tuple[Estimate, Estimate, Estimate, tuple[LanguageScore, ...]]:
    codes = sorted({c for a in (*gold, *pred) for c in a.languages})
    n = len(gold)
    if not codes:
        nan = Estimate(math.nan, math.nan, math.nan, n, "undefined: no language on either side")
        return nan, nan, nan, ()
    binarizer = MultiLabelBinarizer(classes=codes)
    x = binarizer.fit_transform([a.languages for a in gold])
    y = binarizer.transform([a.languages for a in pred])
    p, r, f, support = precision_recall_fscore_support(
        x, y, average=None, labels=range(len(codes)), zero_division=np.nan
    )
    per_language = tuple(
        LanguageScore(c, float(p[i]), float(r[i]), float(f[i]), int(support[i]), int(y[:, i].sum()))
        for i, c in enumerate(codes)
    )
    micro = precision_recall_fscore_support(x, y, average="micro", zero_division=np.nan)
    # Per-paper counts let the bootstrap recompute the micro rates for all resamples at once.
    tp = (x & y).sum(axis=1).astype(np.float64)
    fp = ((1 - x) & y).sum(axis=1).astype(np.float64)
    fn = (x & (1 - y)).sum(axis=1).astype(np.float64)
    return (
        weighted_ratio(float(micro[0]), tp, tp + fp, weights, n),
        weighted_ratio(float(micro[1]), tp, tp + fn, weights, n),
        weighted_ratio(float(micro[2]), 2 * tp, 2 * tp + fp + fn, weights, n),
        tuple(sorted(per_language, key=lambda s: (-s.support, s.code))),
    )


def _confusion(gold: Sequence[Annotation], pred: Sequence[Annotation], f: str) -> Confusion:
    x = [field_value(a, f) for a in gold]
    y = [field_value(a, f) for a in pred]
    labels = field_domain(f, x + y)
    matrix = confusion_matrix(x, y, labels=list(labels))
    return Confusion(labels, tuple(tuple(int(v) for v in row) for row in matrix))


def _show(a: Annotation, f: str) -> str:
    return ";".join(a.languages) if f == "languages" else field_value(a, f)


def _errors(
    gold: Sequence[Annotation], pred: Sequence[Annotation], evidence: Mapping[str, str]
) -> tuple[ErrorCase, ...]:
    cases = []
    for g, q in zip(gold, pred, strict=True):
        wrong = tuple(f for f in LABEL_FIELDS if _show(g, f) != _show(q, f))
        if wrong:
            text = evidence.get(g.paper_id, "")
            cases.append(
                ErrorCase(
                    g.paper_id,
                    wrong,
                    {f: _show(g, f) for f in wrong},
                    {f: _show(q, f) for f in wrong},
                    text if len(text) <= MAX_EVIDENCE else text[: MAX_EVIDENCE - 1] + "…",
                )
            )
    return tuple(sorted(cases, key=lambda c: (-len(c.wrong), c.paper_id)))


# --- reading a run's papers.csv as predictions ----------------------------------------------

PAPERS_COLUMNS = ("id", "related", "languages", "group", "topic", "documented")
EVIDENCE_COLUMNS = (
    ("related_evidence", "related"),
    ("language_evidence", "languages"),
    ("topic_evidence", "topic"),
)


def read_rule_labels(path: Path) -> tuple[list[Annotation], dict[str, str]]:
    """A run's papers.csv → its labels as annotations, and each paper's evidence text.

    Unlike a person's sheet, a rule row may say `multilingual` without listing the languages
    (the paper said "30 languages"), so group and languages are not cross-checked here.
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in PAPERS_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise SheetError(
                [SheetProblem(str(path), 1, ", ".join(missing), "missing column(s)",
                              f"give a papers.csv with columns {', '.join(PAPERS_COLUMNS)}")]
            )  # fmt: skip
        labels: list[Annotation] = []
        evidence: dict[str, str] = {}
        problems: list[SheetProblem] = []
        for row in reader:
            record, row_problems = _rule_row(str(path), reader.line_num, row)
            problems += row_problems
            if record is not None:
                labels.append(record)
                evidence[record.paper_id] = _evidence_text(row)
    if problems:
        raise SheetError(problems)
    return labels, evidence


def _evidence_text(row: Mapping[str, str | None]) -> str:
    return "; ".join(f"{name}: {row[c]}" for c, name in EVIDENCE_COLUMNS if row.get(c))


def _rule_row(
    file: str, line: int, row: Mapping[str, str | None]
) -> tuple[Annotation | None, list[SheetProblem]]:
    problems: list[SheetProblem] = []

    def bad(column: str, message: str, fix: str) -> None:
        problems.append(SheetProblem(file, line, column, message, fix))

    paper_id = (row.get("id") or "").strip()
    if not paper_id:
        bad("id", "empty paper id", "fill in the id the run wrote")
    flags = {c: parse_bool(row.get(c) or "") for c in ("related", "documented")}
    for c, value in flags.items():
        if value is None:
            bad(c, f"{row.get(c)!r} is not true or false", "write true or false")
    group, topic = (row.get("group") or "").strip(), (row.get("topic") or "").strip()
    if group not in GROUPS:
        bad("group", f"unknown group {group!r}", f"use one of {', '.join(GROUPS)}")
    if topic not in TOPICS:
        bad("topic", f"unknown topic {topic!r}", f"use one of {', '.join(TOPICS)}")
    codes: set[str] = set()
    for name in (row.get("languages") or "").split(";"):
        if not name.strip():
            continue
        try:
            codes.update(lookup(name.strip()).counted)
        except UnknownLanguageError as error:
            bad("languages", str(error), "write ISO 639-3 codes separated by ';'")
    if problems:
        return None, problems
    record = Annotation(
        paper_id=paper_id,
        annotator=(row.get("annotator") or "rules").strip() or "rules",
        related=bool(flags["related"]),
        languages=tuple(sorted(codes)),
        group=cast(Group, group),
        topic=cast(Topic, topic),
        documented=bool(flags["documented"]),
    )
    return record, []
