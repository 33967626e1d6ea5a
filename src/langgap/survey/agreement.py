"""Inter-annotator agreement: Cohen's kappa and Jaccard per pair, Krippendorff's alpha overall.

Every figure carries its number of papers and a 95% percentile-bootstrap interval (papers
resampled with replacement), so a kappa from 20 shared papers cannot pass for a precise one.

>>> report = agreement(annotations, n_boot=1000)  # doctest: +SKIP
>>> print(report.to_dict()["summary"]["topic"]["mean"])  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.table import Table
from rich.text import Text
from sklearn.metrics import jaccard_score  # type: ignore[import-untyped]
from sklearn.preprocessing import MultiLabelBinarizer  # type: ignore[import-untyped]

from langgap.stats import (
    Estimate,
    cohen_kappa,
    generator,
    json_number,
    krippendorff_alpha,
    resample_weights,
    weighted_mean,
)
from langgap.survey.annotations import Annotation
from langgap.survey.models import GROUPS, TOPICS
from langgap.survey.quality_sections import AGREEMENT_FIELDS, SCORED_FIELDS, agreement_table

CATEGORICAL_FIELDS = SCORED_FIELDS  # compared with kappa and alpha
BOOLEAN = ("false", "true")
MIN_SHARED = 2  # a pair needs two shared papers for kappa to mean anything


def field_value(annotation: Annotation, field: str) -> str:
    """One categorical or binary field as text (booleans as false/true)."""
    value = getattr(annotation, field)
    if isinstance(value, bool):
        return BOOLEAN[value]
    return str(value)


def field_domain(field: str, seen: Sequence[str] = ()) -> tuple[str, ...]:
    """The fixed label order of a field, with any unexpected values seen appended (sorted)."""
    known: tuple[str, ...] = {"group": GROUPS, "topic": TOPICS}.get(field, BOOLEAN)
    return known + tuple(sorted(set(seen) - set(known)))


def jaccard_per_paper(a: Sequence[tuple[str, ...]], b: Sequence[tuple[str, ...]]) -> np.ndarray:
    """Jaccard index of two language sets per paper; two empty sets agree (1.0)."""
    out = [
        len(set(x) & set(y)) / len(set(x) | set(y)) if (x or y) else 1.0
        for x, y in zip(a, b, strict=True)
    ]
    return np.array(out, dtype=np.float64)


def mean_jaccard(a: Sequence[tuple[str, ...]], b: Sequence[tuple[str, ...]]) -> float:
    """Mean per-paper Jaccard of language sets (sklearn, samples average; empty/empty = 1)."""
    binarizer = MultiLabelBinarizer(classes=sorted({c for s in (*a, *b) for c in s}))
    x, y = binarizer.fit_transform(a), binarizer.transform(b)
    if x.shape[1] < 2:
        # One column reads as binary, not multilabel, to sklearn; an unused column changes
        # no paper's Jaccard and keeps the per-paper ("samples") average available.
        x, y = (np.pad(m, ((0, 0), (0, 2 - m.shape[1]))) for m in (x, y))
    return float(jaccard_score(x, y, average="samples", zero_division=1.0))


@dataclass(frozen=True, slots=True)
class PairAgreement:
    """Agreement of two annotators on the papers they both labelled."""

    annotators: tuple[str, str]
    n: int
    fields: Mapping[str, Estimate]

    @property
    def name(self) -> str:
        """'a–b', the pair's column title."""
        return "–".join(self.annotators)


@dataclass(frozen=True, slots=True)
class FieldSummary:
    """A field across pairs: mean ± sd of the pair values, and alpha over all annotators."""

    mean: float
    sd: float
    pairs: int  # pairs with a defined value
    alpha: Estimate | None  # None for languages (a set, not a nominal value)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "mean": json_number(self.mean),
            "sd": json_number(self.sd),
            "pairs": self.pairs,
            "alpha": None if self.alpha is None else self.alpha.to_dict(),
        }


@dataclass(frozen=True)
class AgreementReport:
    """Agreement per annotator pair and field, summarised over pairs."""

    annotators: tuple[str, ...]
    papers: int
    labels: int
    pairs: tuple[PairAgreement, ...]
    skipped: tuple[tuple[str, str, int], ...]  # pairs sharing fewer than MIN_SHARED papers
    summary: Mapping[str, FieldSummary]
    n_boot: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (NaN as null); `agreement_table` and the report read this."""
        return {
            "method": {
                "pairs": "Cohen's kappa (scikit-learn) per field; languages: mean Jaccard per "
                "paper (two empty sets count as 1)",
                "alpha": "Krippendorff's alpha, nominal, all annotators, missing where an "
                "annotator did not label a paper",
                "interval": f"95% percentile bootstrap, {self.n_boot} resamples of papers, "
                f"seed {self.seed}",
                "summary": "mean ± sd (ddof=1) over pairs with a defined value",
            },
            "annotators": list(self.annotators),
            "papers": self.papers,
            "labels": self.labels,
            "fields": list(AGREEMENT_FIELDS),
            "pairs": [
                {
                    "annotators": list(p.annotators),
                    "n": p.n,
                    "fields": {f: e.to_dict() for f, e in p.fields.items()},
                }
                for p in self.pairs
            ],
            "skipped_pairs": [
                {"annotators": [a, b], "shared": shared} for a, b, shared in self.skipped
            ],
            "summary": {f: s.to_dict() for f, s in self.summary.items()},
            "n_boot": self.n_boot,
            "seed": self.seed,
        }

    def table(self) -> tuple[list[str], list[list[str]]]:
        """Headers and rows of the agreement table (fields × pairs, mean ± sd, alpha)."""
        return agreement_table(self.to_dict())

    def rich_table(self) -> Table:
        """The agreement table for the terminal."""
        headers, rows = self.table()
        title = f"Agreement ({self.papers} papers, {len(self.annotators)} annotators)"
        # Text cells: annotator names are user input and must not be read as rich markup.
        table = Table(title=Text(title))
        for i, header in enumerate(headers):
            table.add_column(Text(header), justify="left" if i == 0 else "right")
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))
        return table


def agreement(
    annotations: Sequence[Annotation], *, n_boot: int = 1000, seed: int = 0
) -> AgreementReport:
    """Agreement per annotator pair sharing ≥ 2 papers, and alpha over all annotators."""
    if n_boot < 0:
        raise ValueError(f"n_boot must be ≥ 0, got {n_boot}")
    by_annotator = _index(annotations)
    names = tuple(sorted(by_annotator))
    rng = generator(seed)
    pairs: list[PairAgreement] = []
    skipped: list[tuple[str, str, int]] = []
    for a, b in itertools.combinations(names, 2):
        shared = sorted(by_annotator[a].keys() & by_annotator[b].keys())
        if len(shared) < MIN_SHARED:
            skipped.append((a, b, len(shared)))
            continue
        left = [by_annotator[a][p] for p in shared]
        right = [by_annotator[b][p] for p in shared]
        pairs.append(PairAgreement((a, b), len(shared), _pair_fields(left, right, n_boot, rng)))
    papers = sorted({a.paper_id for a in annotations})
    summary = {
        f: _summarise([p.fields[f] for p in pairs], _alpha(f, by_annotator, papers, n_boot, rng))
        for f in AGREEMENT_FIELDS
    }
    return AgreementReport(
        names, len(papers), len(annotations), tuple(pairs), tuple(skipped), summary, n_boot, seed
    )


def _index(annotations: Sequence[Annotation]) -> dict[str, dict[str, Annotation]]:
    if not annotations:
        raise ValueError("no annotations to compare; give at least two annotators' labels")
    out: dict[str, dict[str, Annotation]] = {}
    for a in annotations:
        papers = out.setdefault(a.annotator, {})
        if a.paper_id in papers:
            raise ValueError(
                f"annotator {a.annotator!r} labelled paper {a.paper_id!r} twice; "
                "keep one row per annotator and paper"
            )
        papers[a.paper_id] = a
    return out


def _pair_fields(
    left: Sequence[Annotation], right: Sequence[Annotation], n_boot: int, rng: np.random.Generator
) -> dict[str, Estimate]:
    # One set of resamples per pair, shared by its fields, so fields compare on the same draws.
    weights = resample_weights(rng, len(left), n_boot)
    out: dict[str, Estimate] = {}
    for f in CATEGORICAL_FIELDS:
        x = [field_value(a, f) for a in left]
        y = [field_value(a, f) for a in right]
        out[f] = cohen_kappa(x, y, field_domain(f, x + y), weights)
    xs, ys = [a.languages for a in left], [a.languages for a in right]
    out["languages"] = weighted_mean(mean_jaccard(xs, ys), jaccard_per_paper(xs, ys), weights)
    return out


def _alpha(
    f: str,
    by_annotator: Mapping[str, Mapping[str, Annotation]],
    papers: Sequence[str],
    n_boot: int,
    rng: np.random.Generator,
) -> Estimate | None:
    if f not in CATEGORICAL_FIELDS:
        return None
    values = [
        [field_value(labels[p], f) if p in labels else None for p in papers]
        for labels in by_annotator.values()
    ]
    domain = field_domain(f, [v for row in values for v in row if v is not None])
    index = {v: i for i, v in enumerate(domain)}
    codes = np.array([[-1 if v is None else index[v] for v in row] for row in values])
    return krippendorff_alpha(codes.reshape(len(values), len(papers)), len(domain), n_boot, rng)


def _summarise(values: Sequence[Estimate], alpha: Estimate | None) -> FieldSummary:
    defined = np.array([e.value for e in values if e.defined])
    mean = float(defined.mean()) if defined.size else math.nan
    sd = float(defined.std(ddof=1)) if defined.size >= 2 else math.nan
    return FieldSummary(mean, sd, int(defined.size), alpha)
