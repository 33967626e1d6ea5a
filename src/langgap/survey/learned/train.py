"""Training the learned annotator on human labels, and cross-validating it by year."""

from __future__ import annotations

import csv
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from langgap import __version__
from langgap.survey.annotations import Annotation
from langgap.survey.learned.heads import fit_head, fit_head_out_of_fold
from langgap.survey.learned.mentions import candidates, studied_label
from langgap.survey.learned.model import (
    LANGUAGES_FROM,
    MENTION_SPECS,
    PAPER_SPECS,
    RELATED_STACK_C,
    LearnedModel,
    MentionDecision,
    Prediction,
    documented_row,
    paper_text,
    stack_rows,
    topic_matrix,
    with_dense,
)
from langgap.survey.learned.rule_features import rule_view
from langgap.survey.learned.vectors import fit_all
from langgap.survey.models import Paper

MIN_PAPERS = 20  # fewer human labels than this cannot train five heads


class TrainingError(ValueError):
    """Human labels that cannot train the model, with the row or field and the fix."""


@dataclass(frozen=True)
class TrainingSet:
    """Gold labels and the texts of the same papers, aligned."""

    papers: tuple[Paper, ...]
    gold: tuple[Annotation, ...]
    source: str  # where the labels came from (for the model's provenance)


def read_papers_csv(path: Path) -> dict[str, Paper]:
    """Papers (id, year, title, abstract) from a `survey run` papers.csv."""
    if not path.is_file():
        raise TrainingError(
            f"{path} not found. Fix: run `langgap survey run --out {path.parent}` first, or give "
            "--anthology DIR."
        )
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("id", "title", "abstract") if c not in (reader.fieldnames or [])]
        if missing:
            raise TrainingError(
                f"{path}: row 1: columns {', '.join(missing)} are missing. Fix: use the "
                "papers.csv written by `langgap survey run`."
            )
        out = {}
        for row in reader:
            year = row.get("year", "").strip()
            out[row["id"].strip()] = Paper(
                id=row["id"].strip(),
                title=row["title"],
                abstract=row["abstract"] or None,
                year=int(year) if year.isdigit() else None,
                source=str(path),
            )
    return out


def align(
    gold: Sequence[Annotation], papers: dict[str, Paper], gold_name: str, papers_name: str
) -> TrainingSet:
    """Pair each gold row with its paper's text; a gold id without a text is an error naming
    its row (rows count from the header, as a spreadsheet shows them)."""
    missing = [(row, a.paper_id) for row, a in enumerate(gold, start=2) if a.paper_id not in papers]
    if missing:
        shown = ", ".join(f"row {row} ({paper_id})" for row, paper_id in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise TrainingError(
            f"{gold_name}: {len(missing)} gold paper(s) have no title/abstract in "
            f"{papers_name}: {shown}{more}. Fix: give the papers.csv of a run that screened "
            "them (or --anthology DIR), or drop those rows."
        )
    without_abstract = [a.paper_id for a in gold if not papers[a.paper_id].abstract]
    if len(without_abstract) == len(gold):
        raise TrainingError(f"{papers_name}: none of the gold papers has an abstract to learn from")
    return TrainingSet(tuple(papers[a.paper_id] for a in gold), tuple(gold), gold_name)


def _need_two(name: str, labels: Sequence[str], gold_name: str, fix: str) -> None:
    values = sorted(set(labels))
    if len(values) < 2:
        only = values[0] if values else "nothing"
        raise TrainingError(
            f"{gold_name}: every row has {name} = {only}; a model needs at least two classes "
            f"of {name}. Fix: {fix}"
        )


def fit_model(data: TrainingSet, languages_from: str = LANGUAGES_FROM[0]) -> LearnedModel:
    """Fit every head on the training set (title + abstract only); languages and group come
    from `languages_from` ("rules" or "mentions", the mention head)."""
    if languages_from not in LANGUAGES_FROM:
        raise TrainingError(
            f"languages from {languages_from!r}? Fix: use one of {', '.join(LANGUAGES_FROM)}."
        )
    started = time.perf_counter()
    if len(data.gold) < MIN_PAPERS:
        raise TrainingError(
            f"{data.source}: {len(data.gold)} labelled papers; the learned annotator needs at "
            f"least {MIN_PAPERS}. Fix: label more papers (`langgap survey sheet`)."
        )
    related = ["true" if a.related else "false" for a in data.gold]
    more_unrelated = (
        "label some unrelated papers too (`langgap survey sheet --all-screened`) or add the "
        "reference annotation (--with-reference)."
    )
    _need_two("related", related, data.source, more_unrelated)
    kept = [i for i, a in enumerate(data.gold) if a.related]
    topics = [data.gold[i].topic for i in kept]
    _need_two("topic (among related papers)", topics, data.source, "label more related papers.")

    paper_blocks, x = fit_all(PAPER_SPECS, [paper_text(p) for p in data.papers])
    rules = rule_view(data.papers)
    related_head, unseen = fit_head_out_of_fold(x, related)
    # the stacked head weighs the text head's out-of-fold decisions (what it says about papers it
    # was not trained on) against the rules' decision
    stack_head = fit_head(stack_rows(unseen[:, 0], rules), related, RELATED_STACK_C)
    topic_head = fit_head(topic_matrix(x, rules)[kept], topics)

    found = [(i, c) for i, p in enumerate(data.papers) for c in candidates(p)]
    studied = ["true" if studied_label(c, data.gold[i]) else "false" for i, c in found]
    _need_two("studied (over language mentions)", studied, data.source, "label papers that "
              "study other languages than English and papers that only mention one, or add the "
              "reference annotation (--with-reference).")  # fmt: skip
    mention_blocks, words = fit_all(MENTION_SPECS, [c.context for _, c in found])
    mentions_x = with_dense(words, [c for _, c in found])
    mention_head = fit_head(mentions_x, studied)
    p_studied = mention_head.proba(mentions_x)[:, 1]
    per_paper: list[list[MentionDecision]] = [[] for _ in data.papers]
    for (i, c), p in zip(found, p_studied, strict=True):
        per_paper[i].append(MentionDecision(c, float(p)))
    documented = ["true" if a.documented else "false" for a in data.gold]
    _need_two("documented", documented, data.source, "label papers that name their languages "
              "and papers that do not.")  # fmt: skip
    rows = np.array([documented_row(d) for d in per_paper])
    documented_head = fit_head(rows, documented)
    meta = {
        "trained_on": data.source,
        "papers": len(data.gold),
        "related": sum(a.related for a in data.gold),
        "mentions": len(found),
        "langgap_version": __version__,
        "python": platform.python_version(),
        "seconds": round(time.perf_counter() - started, 2),
    }
    return LearnedModel(
        paper_blocks,
        related_head,
        stack_head,
        topic_head,
        mention_blocks,
        mention_head,
        documented_head,
        languages_from,
        meta,
    )


def as_annotation(paper_id: str, prediction: Prediction, annotator: str) -> Annotation:
    """A prediction as an annotation record (for scoring)."""
    return Annotation(
        paper_id=paper_id,
        annotator=annotator,
        related=prediction.related,
        languages=prediction.languages,
        group=prediction.group,
        topic=prediction.topic,
        documented=prediction.documented,
        unlisted=("+?",) if prediction.unlisted else (),
    )


def predictions_by_year(
    data: TrainingSet, languages_from: str = LANGUAGES_FROM[0]
) -> list[Prediction]:
    """Cross-validation by year: each year's papers predicted by a model trained on the other
    years, in the training set's order. Papers without a year are predicted by a model trained
    on every dated paper."""
    years = sorted({p.year for p in data.papers if p.year is not None})
    if len(years) < 2:
        raise TrainingError(
            f"{data.source}: cross-validation by year needs papers from two years or more "
            f"(found {years or 'none'})"
        )
    out: list[Prediction | None] = [None] * len(data.papers)
    for year in [*years, None]:
        test = [i for i, p in enumerate(data.papers) if p.year == year]
        if not test:
            continue
        train = [i for i, p in enumerate(data.papers) if p.year != year and p.year is not None]
        model = fit_model(subset(data, train), languages_from)
        for i, prediction in zip(test, model.predict([data.papers[i] for i in test]), strict=True):
            out[i] = prediction
    return [row for row in out if row is not None]


def subset(data: TrainingSet, rows: Sequence[int]) -> TrainingSet:
    """The training set restricted to `rows` (in that order)."""
    return TrainingSet(
        tuple(data.papers[i] for i in rows), tuple(data.gold[i] for i in rows), data.source
    )
