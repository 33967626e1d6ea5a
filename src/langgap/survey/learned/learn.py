"""`survey learn`: gold labels + paper texts -> a model file, with its cross-validated quality."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from langgap.survey.annotations import Annotation
from langgap.survey.learned.model import LANGUAGES_FROM, LearnedModel
from langgap.survey.learned.train import (
    TrainingError,
    TrainingSet,
    align,
    as_annotation,
    fit_model,
    predictions_by_year,
    read_papers_csv,
)
from langgap.survey.models import Paper

CV_FIELDS = ("related", "topic", "group", "documented")


@dataclass(frozen=True)
class Learned:
    """A trained model and how long training (and cross-validation) took."""

    model: LearnedModel
    seconds: float
    cv_seconds: float | None


def read_gold_labels(gold: Path | str) -> tuple[list[Annotation], str]:
    """Gold labels from a file, or the packaged reference for `reference`; (labels, name)."""
    from langgap.survey.adjudicate import read_gold
    from langgap.survey.reference import NAME, resolve_gold

    path = resolve_gold(gold)
    if not path.is_file():
        raise TrainingError(
            f"{path} not found. Fix: give the gold.csv written by `langgap survey adjudicate`, "
            "or `reference`."
        )
    name = "langgap reference annotation" if str(gold) == NAME else str(path)
    return read_gold(path), name


def with_reference(gold: list[Annotation]) -> list[Annotation]:
    """The user's labels plus the reference's for papers the user did not label."""
    from langgap.survey.reference import load_reference

    mine = {a.paper_id for a in gold}
    return gold + [a for a in load_reference() if a.paper_id not in mine]


def papers_from(
    papers_csv: Path | None, anthology: Path | None, gold: list[Annotation]
) -> tuple[dict[str, Paper], str]:
    """Paper texts by id from a papers.csv or the Anthology XML (the years the gold ids name)."""
    if papers_csv is not None:
        return read_papers_csv(papers_csv), str(papers_csv)
    if anthology is None:
        raise TrainingError("give --papers OUT/papers.csv or --anthology DIR for the paper texts")
    from langgap.survey.parse_cache import read_anthology_cached

    years = sorted({int(a.paper_id[:4]) for a in gold if a.paper_id[:4].isdigit()})
    span = (years[0], years[-1]) if years else None
    found, _, _ = read_anthology_cached(anthology, years=span)
    return {p.id: p for p in found}, str(anthology)


def learn_model(
    gold: list[Annotation], gold_name: str, papers: dict[str, Paper], papers_name: str,
    *, cross_validate: bool = True, languages_from: str = LANGUAGES_FROM[0],
) -> Learned:  # fmt: skip
    """Train on every gold paper; with `cross_validate`, store the year-wise CV figures (each
    year predicted by a model trained on the others) in the model's provenance."""
    data = align(gold, papers, gold_name, papers_name)
    started = time.perf_counter()
    model = fit_model(data, languages_from)
    seconds = time.perf_counter() - started
    cv_seconds = None
    if cross_validate:
        started = time.perf_counter()
        cv = cv_figures(data, languages_from)
        cv_seconds = time.perf_counter() - started
        model = replace(model, meta={**model.meta, "cv": cv})
    model = replace(model, meta={**model.meta, "texts_from": Path(papers_name).name})
    return Learned(model, seconds, cv_seconds)


def cv_figures(data: TrainingSet, languages_from: str = LANGUAGES_FROM[0]) -> dict[str, Any]:
    """Agreement of year-wise cross-validated predictions with the gold labels, per field; and,
    for languages and group, how each source (the rules, the mention head) would have done, so
    a team can see which one its own labels favour (`--languages-from`)."""
    from langgap.survey.score import score

    predictions = predictions_by_year(data, languages_from)
    pairs = zip(data.papers, predictions, strict=True)
    records = [as_annotation(p.id, q, "learned") for p, q in pairs]
    report = score(records, list(data.gold), n_boot=0)
    figures: dict[str, Any] = {"method": "train on the other years, predict one year"}
    for name in CV_FIELDS:
        field_score = report.fields[name]
        figures[name] = {
            "accuracy": round(field_score.accuracy.value, 4),
            "kappa": round(field_score.kappa.value, 4),
        }
    figures["languages_jaccard"] = round(report.jaccard.value, 4)
    figures["papers"] = len(records)
    figures["languages_from"] = languages_from
    mention_only = [
        replace(r, languages=q.mention_languages, group=q.mention_group)
        for r, q in zip(records, predictions, strict=True)
    ]
    from langgap.survey.annotate import RuleAnnotator
    from langgap.survey.annotations import Annotation

    rules = [
        Annotation.from_labels(p.id, labels)
        for p, labels in zip(data.papers, RuleAnnotator().annotate_many(data.papers), strict=True)
    ]
    sources = {}
    for source, rows in (("rules", rules), ("mentions", mention_only)):
        scored = score(rows, list(data.gold), n_boot=0)
        sources[source] = {
            "group_kappa": round(scored.fields["group"].kappa.value, 4),
            "languages_jaccard": round(scored.jaccard.value, 4),
        }
    figures["languages_sources"] = sources
    return figures
