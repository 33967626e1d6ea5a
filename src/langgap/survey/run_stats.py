"""One survey run's `stats.json`, typed: what the pipeline writes and the report reads.

`RunStats.to_dict()` is the file's exact key order; `RunStats.from_mapping()` reads any
stats.json back, tolerantly (a missing or malformed key becomes empty, never an error), because
the report is also drawn from files written by older versions or edited by hand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TypedDict, cast

from langgap.survey.sources.errors import SourceIssue
from langgap.survey.stats import Counts, SurveyStats

JsonMap = Mapping[str, object]  # a free-form settings block, shown key by key as it is


class QualityLine(TypedDict, total=False):
    """The report's "label quality" line: the annotator, what its provenance says of its quality
    (a learned model's cross-validation), and how many papers it flagged for a person."""

    annotator: str
    trained_on: str | None
    papers: int | None
    cross_validated: Mapping[str, object] | None  # per field: accuracy, kappa; languages_jaccard
    flag_below: float
    flagged: int


@dataclass(frozen=True, slots=True)
class FulltextReport:
    """What the `--fulltext` step did: where the PDFs are, and where each kept label came from."""

    pdf_dir: str
    offline: bool
    message: str
    counts: dict[str, int]
    label_sources: dict[str, int]


@dataclass(frozen=True, slots=True)
class RunStats:
    """Everything in stats.json: the run's inputs and settings around the survey statistics."""

    inputs: JsonMap
    config: JsonMap
    stats: SurveyStats
    label_quality_line: QualityLine
    no_year: int | None
    issues: list[SourceIssue]
    fulltext: FulltextReport | None = None
    label_quality: JsonMap | None = None  # gold, n, missing, unscored (label_quality.json has all)
    extra: JsonMap = field(default_factory=dict)  # keys this version does not know, kept as read

    def to_dict(self) -> dict[str, object]:
        """The stats.json payload, in its documented key order."""
        payload: dict[str, object] = {
            "inputs": self.inputs,
            "config": self.config,
            **self.stats.to_dict(),
            "label_quality_line": self.label_quality_line,
            "no_year": self.no_year,
            "issues": [asdict(issue) for issue in self.issues],
        }
        if self.fulltext is not None:
            payload["fulltext"] = asdict(self.fulltext)
        if self.label_quality is not None:
            payload["label_quality"] = self.label_quality
        return payload | dict(self.extra)

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> RunStats:
        """Read a stats.json mapping, never failing on a missing or malformed key."""
        known = {"inputs", "config", "label_quality_line", "no_year", "issues", "fulltext"}
        known |= {"label_quality", *SurveyStats.__dataclass_fields__}
        fulltext = _map(data.get("fulltext"))
        quality = data.get("label_quality")
        return cls(
            inputs=_map(data.get("inputs")),
            config=_map(data.get("config")),
            stats=_survey_stats(data),
            # a hand-edited value may be malformed: the report reads each one tolerantly
            label_quality_line=cast(QualityLine, dict(_map(data.get("label_quality_line")))),
            no_year=_opt_int(data.get("no_year")),
            issues=[_issue(i) for i in _list(data.get("issues")) if isinstance(i, Mapping)],
            fulltext=_fulltext(fulltext) if fulltext else None,
            label_quality=_map(quality) if isinstance(quality, Mapping) else None,
            extra={k: v for k, v in data.items() if k not in known},
        )


def _survey_stats(data: Mapping[str, object]) -> SurveyStats:
    by_year = _counts(data.get("by_year"))
    screened, kept = _opt_int(data.get("screened")), _opt_int(data.get("kept"))
    unrelated = _float(data.get("unrelated_share"))
    if unrelated is None and screened and kept is not None:
        unrelated = 1 - kept / screened  # older files did not store it
    return SurveyStats(
        total_papers=_opt_int(data.get("total_papers")),
        screened=screened,
        kept=kept,
        unrelated_share=unrelated,
        no_abstract=_opt_int(data.get("no_abstract")),
        by_year={y: by_year[y] for y in sorted(by_year, key=_year_key)},
        languages=_ints(data.get("languages")),
        language_names={str(k): str(v) for k, v in _map(data.get("language_names")).items()},
        avg_multilinguality=_floats(data.get("avg_multilinguality")),
        topics=_counts(data.get("topics")),
        venue_types=_counts(data.get("venue_types")),
        workshop_share=_floats(data.get("workshop_share")),
        documented=_floats(data.get("documented")),
        documented_counts=_counts(data.get("documented_counts")),
        group_counts=_ints(data.get("group_counts")),
        english_only_share=_float(data.get("english_only_share")),
        multilingual_unlisted=_opt_int(data.get("multilingual_unlisted")),
    )


def _issue(item: Mapping[str, object]) -> SourceIssue:
    return SourceIssue(
        file=str(item.get("file", "")),
        line=_opt_int(item.get("line")),
        message=str(item.get("message", "")),
        fix=str(item.get("fix", "")),
    )


def _fulltext(item: Mapping[str, object]) -> FulltextReport:
    return FulltextReport(
        pdf_dir=str(item.get("pdf_dir", "")),
        offline=bool(item.get("offline")),
        message=str(item.get("message", "")),
        counts=_ints(item.get("counts")),
        label_sources=_ints(item.get("label_sources")),
    )


# --- tolerant scalar readers -----------------------------------------------------------------


def _int(value: object) -> int:
    if not isinstance(value, int | float | str):
        return 0
    try:
        return int(value)
    except (ValueError, OverflowError):  # "3.5", NaN, infinity
        return 0


def _opt_int(value: object) -> int | None:
    return None if value is None else _int(value)


def _float(value: object) -> float | None:
    if not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return None if math.isnan(number) else number


def _map(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


def _ints(value: object) -> dict[str, int]:
    return {str(k): _int(v) for k, v in _map(value).items()}


def _floats(value: object) -> dict[str, float | None]:
    return {str(k): _float(v) for k, v in _map(value).items()}


def _counts(value: object) -> Counts:
    return {str(k): _ints(v) for k, v in _map(value).items()}


def _year_key(year: str) -> tuple[int, str]:
    try:
        return (int(year), year)
    except ValueError:
        return (10**9, year)  # a non-numeric key sorts last instead of crashing
