"""Agreement performance: 4 annotators × 300 papers, 1,000 bootstrap resamples, all fields.

Target: ≤ 5 s per design. Two designs are timed: the published survey's (four pairs, each
sharing its own 20 papers) and the full one (all four annotators label all 300 papers, six pairs).
Labels are synthetic: each annotator keeps a paper's true label with probability --rate.

    python benchmarks/bench_agreement.py [--papers 300] [--boot 1000] [--rate 0.8]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

from langgap.survey.agreement import AgreementReport, agreement
from langgap.survey.annotations import Annotation, group_for
from langgap.survey.models import TOPICS

ANNOTATORS = ("A", "B", "C", "D")
PAIRS = (("A", "B"), ("C", "D"), ("A", "C"), ("B", "D"))
LANGUAGES = ("eng", "zho", "ara", "hin", "spa", "swa")


def _truth(rng: np.random.Generator, i: int) -> Annotation:
    k = int(rng.choice([1, 1, 1, 2, 3]))
    langs = tuple(sorted({"eng", *rng.choice(LANGUAGES, size=k - 1)})) if k > 1 else ("eng",)
    return Annotation(
        paper_id=f"p{i}",
        annotator="truth",
        related=bool(rng.random() < 0.7),
        languages=langs,
        group=group_for(langs),
        topic=TOPICS[int(rng.integers(len(TOPICS)))],
        documented=bool(rng.random() < 0.5),
    )


def _noisy(truth: Annotation, name: str, rate: float, rng: np.random.Generator) -> Annotation:
    # Each field is kept with probability `rate`, else redrawn (which may hit the truth again).
    def keep() -> bool:
        return bool(rng.random() < rate)

    langs = truth.languages if keep() else tuple(sorted(set(rng.choice(LANGUAGES, size=2))))
    return replace(
        truth,
        annotator=name,
        related=truth.related if keep() else not truth.related,
        languages=langs,
        group=group_for(langs),
        topic=truth.topic if keep() else TOPICS[int(rng.integers(len(TOPICS)))],
        documented=truth.documented if keep() else not truth.documented,
    )


def full_design(papers: int, rate: float, seed: int) -> list[Annotation]:
    """All four annotators label every paper."""
    rng = np.random.default_rng(seed)
    truths = [_truth(rng, i) for i in range(papers)]
    return [_noisy(t, name, rate, rng) for t in truths for name in ANNOTATORS]


def paired_design(papers: int, rate: float, seed: int, overlap: int = 20) -> list[Annotation]:
    """Each annotator labels its share of the papers; each pair also shares `overlap` papers."""
    rng = np.random.default_rng(seed)
    truths = [_truth(rng, i) for i in range(papers)]
    out: list[Annotation] = []
    for j, (a, b) in enumerate(PAIRS):
        shared = truths[j * overlap : (j + 1) * overlap]
        out += [_noisy(t, name, rate, rng) for t in shared for name in (a, b)]
    rest = truths[len(PAIRS) * overlap :]
    out += [_noisy(t, ANNOTATORS[i % 4], rate, rng) for i, t in enumerate(rest)]
    return out


def _time(records: list[Annotation], boot: int) -> tuple[float, AgreementReport]:
    agreement(records[:40], n_boot=10)  # warm imports and caches out of the timing
    start = time.perf_counter()
    report = agreement(records, n_boot=boot)
    return time.perf_counter() - start, report


def main() -> None:
    """Time both designs and print seconds and the agreement table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=300)
    parser.add_argument("--boot", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=0.8, help="chance a label is kept")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for name, build in (("paired 4×20", paired_design), ("full 4×300", full_design)):
        records = build(args.papers, args.rate, args.seed)
        seconds, report = _time(records, args.boot)
        verdict = "ok" if seconds <= 5 else "OVER TARGET"
        print(
            f"\n{name}: {len(records)} labels, {report.papers} papers, {len(report.pairs)} pairs, "
            f"{args.boot} resamples: {seconds:.2f} s (target ≤ 5 s: {verdict})"
        )
        headers, rows = report.table()
        widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
        for row in [headers, *rows]:
            print("  " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
