"""`survey run`: read → screen → annotate → statistics → outputs, with caching at each slow step."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langgap._io import atomic_write_text, cache_dir, gc_paused
from langgap.survey.annotate import Annotator, RuleAnnotator
from langgap.survey.annotation_cache import annotate_cached
from langgap.survey.models import Evidence, Labels, Paper
from langgap.survey.parse_cache import Progress, read_anthology_cached
from langgap.survey.run_stats import FulltextReport, QualityLine, RunStats
from langgap.survey.screen import Hit, ScreenConfig, screen
from langgap.survey.sources.errors import SourceError, SourceIssue
from langgap.survey.stats import survey_stats

PAPER_COLUMNS = (
    "id", "year", "title", "abstract", "venue", "venue_type", "url", "screen_hits", "related",
    "related_evidence", "languages", "group", "documented", "multilingual_unlisted",
    "language_evidence", "label_source", "topic", "topic_evidence", "annotator", "source",
    "evidence", "p_related", "p_topic", "p_documented", "confidence", "flagged",
)  # fmt: skip


@dataclass(slots=True)
class SurveyConfig:
    """Everything one survey run depends on."""

    anthology: Path | None
    out: Path
    extra_sources: tuple[Path, ...] = ()
    screen: ScreenConfig = field(default_factory=ScreenConfig)
    strict: bool = False
    use_cache: bool = True
    cache_root: Path | None = None
    write_report: bool = True
    fulltext: bool = False  # re-annotate kept papers from their PDFs (downloaded and cached)
    gold: Path | None = None  # a gold set (gold.csv): adds label quality to the outputs
    # with no gold set, score against the packaged reference annotation when the run covers at
    # least REFERENCE_MIN_OVERLAP of its papers (the default "label quality" line)
    reference_quality: bool = True
    compare_with_rules: bool = False  # write disagreements.csv (rules vs the chosen annotator)
    pdf_dir: Path | None = None  # where PDFs are cached; default: the user cache folder


@dataclass(slots=True)
class SurveyResult:
    """What a run produced, and how long each step took."""

    stats: RunStats
    files: list[Path]
    timings: dict[str, float]
    parsed_files: int
    annotated: int
    report_reused: bool = False


def _read_sources(
    config: SurveyConfig, progress: Progress | None, while_parsing: Callable[[], None] | None
) -> tuple[list[Paper], list[SourceIssue], int, int]:
    """Papers from the Anthology (XML folder, cached parse) and every other export given."""
    from langgap.survey.sources import read_papers
    from langgap.survey.sources.anthology import locate, xml_files

    papers: list[Paper] = []
    issues: list[SourceIssue] = []
    parsed = n_files = 0
    exports = list(config.extra_sources)
    if config.anthology is not None and config.anthology.is_file():
        exports.insert(0, config.anthology)  # e.g. the Anthology's BibTeX-with-abstracts export
    elif config.anthology is not None:
        papers, issues, parsed = read_anthology_cached(
            config.anthology,
            years=config.screen.years,
            strict=config.strict,
            cache_root=config.cache_root,
            use_cache=config.use_cache,
            progress=progress,
            while_parsing=while_parsing,
        )
        n_files = len(xml_files(locate(config.anthology), config.screen.years))
    for source in exports:
        more, more_issues = read_papers(source)
        if config.strict and more_issues:
            raise SourceError(str(more_issues[0]))
        papers.extend(more)
        issues.extend(more_issues)
        n_files += 1
    return papers, issues, parsed, n_files


def run_survey(
    config: SurveyConfig,
    annotator: Annotator | None = None,
    progress: Progress | None = None,
) -> SurveyResult:
    """Run the whole audit and write OUT/stats.json, papers.csv, no_abstract.csv and the report."""
    with gc_paused():
        return _run_survey(config, annotator, progress)


def _run_survey(
    config: SurveyConfig, annotator: Annotator | None, progress: Progress | None
) -> SurveyResult:
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    annotator = annotator or RuleAnnotator(config.screen.pattern())
    warm_up = getattr(annotator, "prepare", None)
    papers, issues, parsed, n_files = _read_sources(config, progress, warm_up)
    timings["read"] = time.perf_counter() - clock

    clock = time.perf_counter()
    screened = screen(papers, config.screen)
    timings["screen"] = time.perf_counter() - clock

    clock = time.perf_counter()
    hit_papers = [p for p, _ in screened.screened]
    labels, fresh = annotate_cached(
        annotator, hit_papers, cache_root=config.cache_root, use_cache=config.use_cache
    )
    timings["annotate"] = time.perf_counter() - clock
    if config.compare_with_rules and not isinstance(annotator, RuleAnnotator):
        _write_disagreements(config, hit_papers, labels)

    sources = ["abstract"] * len(hit_papers)
    fulltext_summary: FulltextReport | None = None
    if config.fulltext:
        clock = time.perf_counter()
        labels, sources, fulltext_summary = _fulltext_step(config, hit_papers, labels)
        timings["fulltext"] = time.perf_counter() - clock

    clock = time.perf_counter()
    kept = [(p, lab) for p, lab in zip(hit_papers, labels, strict=True) if lab.related]
    stats = RunStats(
        inputs={
            "anthology": str(config.anthology) if config.anthology else None,
            "extra_sources": [str(s) for s in config.extra_sources],
            "files": n_files,
            "errors": len(issues),
        },
        config={
            "years": list(config.screen.years),
            "keywords": list(config.screen.keywords),
            "fields": list(config.screen.fields),
            "annotator": f"{annotator.name}/{annotator.version}",
        },
        stats=survey_stats(
            kept,
            screened=len(hit_papers),
            no_abstract=len(screened.no_abstract),
            total_papers=screened.in_range,
            years=config.screen.years,
        ),
        label_quality_line=_quality_line(annotator, labels),
        no_year=len(screened.no_year),
        issues=list(issues),
        fulltext=fulltext_summary,
    )
    timings["stats"] = time.perf_counter() - clock

    clock = time.perf_counter()
    rows = [
        paper_row(p, hits, lab) | {"label_source": source}
        for (p, hits), lab, source in zip(screened.screened, labels, sources, strict=True)
    ]
    gold = config.gold or _reference_gold(config, hit_papers)
    quality = _label_quality(gold, hit_papers, labels, rows) if gold else None
    if quality is not None and gold is not None:
        quality["gold"] = _gold_name(gold)
        quality["in_sample"] = _trained_on(annotator, gold)
    if quality is not None:
        summary: dict[str, object] = {
            k: quality[k] for k in ("gold", "n", "missing", "unscored") if k in quality
        }
        stats = dataclasses.replace(stats, label_quality=summary)
    files, reused = write_outputs(
        config, stats, rows, screened.no_abstract, config.screen, label_quality=quality
    )
    timings["write"] = time.perf_counter() - clock
    return SurveyResult(stats, files, timings, parsed, fresh, reused)


REFERENCE_MIN_OVERLAP = 50


def _trained_on(annotator: Annotator, gold: Path) -> bool:
    """Was the annotator (a learned one) trained on the gold set it is scored against?"""
    from langgap.survey.reference import reference_path

    describe: Callable[[], QualityLine] | None = getattr(annotator, "quality_line", None)
    if describe is None:
        return False
    trained_on = str(describe().get("trained_on") or "")
    return str(gold) in trained_on or (gold == reference_path() and "reference" in trained_on)


def _gold_name(gold: Path | None) -> str:
    from langgap.survey.reference import reference_path

    if gold == reference_path():
        return (
            "langgap's reference annotation (360 papers, two independent AI annotators from "
            "title and abstract, adjudicated; see its data card)"
        )
    return f"the gold set {gold}"


def _reference_gold(config: SurveyConfig, papers: Sequence[Paper]) -> Path | None:
    """The packaged reference annotation, when this run screened enough of its papers."""
    if not config.reference_quality:
        return None
    from langgap.survey.adjudicate import read_gold
    from langgap.survey.reference import reference_path

    path = reference_path()
    covered = {a.paper_id for a in read_gold(path)} & {p.id for p in papers}
    return path if len(covered) >= REFERENCE_MIN_OVERLAP else None


def _fulltext_step(
    config: SurveyConfig, papers: list[Paper], labels: list[Labels]
) -> tuple[list[Labels], list[str], FulltextReport]:
    """Re-annotate the kept papers from their PDFs; every other paper keeps its abstract labels."""
    from langgap.survey.fulltext import apply_fulltext

    kept = [i for i, lab in enumerate(labels) if lab.related]
    pdf_dir = config.pdf_dir or cache_dir("pdfs")
    relabelled, summary = apply_fulltext([(papers[i], labels[i]) for i in kept], pdf_dir)
    labels = list(labels)
    sources = ["abstract"] * len(labels)
    for i, new_labels, source in zip(kept, relabelled, summary.sources, strict=True):
        labels[i] = new_labels
        sources[i] = source
    report = FulltextReport(
        pdf_dir=str(pdf_dir),
        offline=summary.offline,
        message=summary.message,
        counts=summary.counts,
        label_sources=dict(Counter(sources[i] for i in kept)),
    )
    return labels, sources, report


def _write_disagreements(config: SurveyConfig, papers: list[Paper], labels: list[Labels]) -> None:
    """List, per paper and field, where the rule annotator and the chosen annotator differ."""
    from langgap.survey.llm_annotator import disagreements

    rules = RuleAnnotator(config.screen.pattern())
    rule_labels, _ = annotate_cached(
        rules, papers, cache_root=config.cache_root, use_cache=config.use_cache
    )
    rows = disagreements(rule_labels, labels, papers)
    columns = ("id", "title", "field", "rules", "llm", "llm_rationale")
    config.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(config.out / "disagreements.csv", _csv(rows, columns))


def _label_quality(
    gold_path: Path,
    papers: Sequence[Paper],
    labels: Sequence[Labels],
    rows: Sequence[dict[str, str]],
) -> dict[str, Any]:
    """Score this run's labels against a gold set (any annotator can be scored this way)."""
    from langgap.survey.adjudicate import read_gold
    from langgap.survey.annotations import Annotation
    from langgap.survey.score import score

    predicted = [Annotation.from_labels(p.id, lab) for p, lab in zip(papers, labels, strict=True)]
    evidence = {
        row["id"]: row["language_evidence"] + " || " + row["topic_evidence"] for row in rows
    }
    return score(predicted, read_gold(gold_path), evidence=evidence).to_dict()


def _format_evidence(items: Sequence[Evidence]) -> str:
    return " | ".join(
        f"{e.field}[{e.start}:{e.end}] {e.text!r}" + (f" ({e.note})" if e.note else "")
        for e in items
    )


def paper_row(paper: Paper, hits: Sequence[Hit], labels: Labels) -> dict[str, str]:
    """One reviewable papers.csv row: every label beside its evidence."""
    evidence = labels.evidence
    return {
        "id": paper.id,
        "year": str(paper.year or ""),
        "title": paper.title,
        "abstract": paper.abstract or "",
        "venue": ";".join(paper.venues),
        "venue_type": paper.venue_type,
        "url": paper.url or "",
        "screen_hits": "; ".join(f"{h.field}[{h.start}:{h.end}] {h.text}" for h in hits),
        "related": str(labels.related).lower(),
        "related_evidence": _format_evidence(evidence.get("related", [])),
        "languages": ";".join(labels.languages),
        "group": labels.group,
        "documented": str(labels.documented).lower(),
        "multilingual_unlisted": str(labels.multilingual_unlisted).lower(),
        # a learned annotator whose languages come from the rules adds the mention head's
        # decisions, which decide `documented`
        "language_evidence": _format_evidence(
            [*evidence.get("languages", []), *evidence.get("documented", [])]
        ),
        "topic": labels.topic,
        "topic_evidence": _format_evidence(evidence.get("topic", [])),
        "annotator": labels.annotator,
        "source": paper.source,
        "evidence": _format_evidence(evidence.get("languages", [])[:3]),
        **{f"p_{k}": _probability(labels, k) for k in ("related", "topic", "documented")},
        "confidence": _probability(labels, "confidence"),
        "flagged": str(labels.flagged).lower() if labels.probabilities else "",
    }


def _probability(labels: Labels, key: str) -> str:
    value = labels.probabilities.get(key)
    return "" if value is None else f"{value:.4f}"


def _quality_line(annotator: Annotator, labels: Sequence[Labels]) -> QualityLine:
    """Which annotator labelled the run, what is known of its quality, how many papers it
    flagged for a person (the report's "label quality" line)."""
    line = QualityLine(annotator=f"{annotator.name}/{annotator.version}")
    describe: Callable[[], QualityLine] | None = getattr(annotator, "quality_line", None)
    if describe is not None:
        line.update(describe())
        line["flagged"] = sum(lab.flagged for lab in labels)
    return line


def _csv(rows: Sequence[dict[str, str]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _no_abstract_rows(papers: Sequence[Paper], config: ScreenConfig) -> list[dict[str, str]]:
    title_rule = config.pattern()
    return [
        {
            "id": p.id,
            "year": str(p.year or ""),
            "title": p.title,
            "venue": ";".join(p.venues),
            "url": p.url or "",
            "title_matches_keywords": str(bool(title_rule.search(p.title))).lower(),
            "source": p.source,
        }
        for p in papers
    ]


def write_outputs(
    config: SurveyConfig,
    stats: RunStats,
    rows: list[dict[str, str]],
    no_abstract: Sequence[Paper],
    screen_config: ScreenConfig,
    report_writer: Callable[..., list[Path]] | None = None,
    label_quality: dict[str, Any] | None = None,
) -> tuple[list[Path], bool]:
    """Write every output atomically; the report is re-rendered only when its inputs changed."""
    out = config.out
    out.mkdir(parents=True, exist_ok=True)
    stats_text = json.dumps(stats.to_dict(), indent=2, ensure_ascii=False, sort_keys=False)
    papers_text = _csv(rows, PAPER_COLUMNS)
    targets = {
        out / "stats.json": stats_text,
        out / "papers.csv": papers_text,
        out / "no_abstract.csv": _csv(
            _no_abstract_rows(no_abstract, screen_config),
            ("id", "year", "title", "venue", "url", "title_matches_keywords", "source"),
        ),
    }
    quality_text = ""
    if label_quality is not None:
        quality_text = json.dumps(label_quality, indent=2, ensure_ascii=False)
        targets[out / "label_quality.json"] = quality_text
    for path, text in targets.items():
        atomic_write_text(path, text)
    files = list(targets)
    if not config.write_report:
        return files, False
    digest = hashlib.sha256((stats_text + papers_text + quality_text).encode()).hexdigest()
    stamp = out / ".report-inputs.sha256"
    report_files = [out / "report.html", out / "report.md"]
    if stamp.exists() and stamp.read_text() == digest and all(p.exists() for p in report_files):
        return files + report_files, True
    if report_writer is None:
        from langgap.survey.report import write_survey_report

        report_writer = write_survey_report
    files.extend(report_writer(stats, out, rows, label_quality=label_quality))
    atomic_write_text(stamp, digest)
    return files, False
