"""Rule annotator vs the packaged reference annotation, per split (train / dev / test).

The 360 reference papers are split 60/20/20 by `reference_split` (a hash of the paper id). Rules
are tuned on train and dev only; test is reported in aggregate and never shown paper by paper.

    PYTHONPATH=src python benchmarks/bench_survey_rules.py [--anthology DIR] [--boot N]
    PYTHONPATH=src python benchmarks/bench_survey_rules.py --errors dev   # train or dev only

Prints related accuracy, topic κ, group κ and mean languages Jaccard per split (95% bootstrap
intervals from `survey.score`), beside the figures of rules v1 measured before the v2 fixes.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from bench_data import anthology_xml
from langgap.survey.annotate import RuleAnnotator, load_rules
from langgap.survey.annotations import Annotation
from langgap.survey.models import Labels, Paper
from langgap.survey.parse_cache import read_anthology_cached
from langgap.survey.reference import SPLITS, load_reference, reference_split
from langgap.survey.score import ScoreReport, score
from langgap.survey.screen import ScreenConfig, screen

METRICS = ("related acc", "topic κ", "group κ", "lang Jaccard")
# Rules v1 (before the v2 fixes), measured with this script on the same snapshot.
BEFORE: dict[str, tuple[float, float, float, float]] = {
    "train": (0.7237, 0.4724, 0.8629, 0.9469),
    "dev": (0.7812, 0.5444, 0.8369, 0.9766),
    "test": (0.7206, 0.4055, 0.8389, 0.9387),
    "all": (0.7333, 0.4741, 0.8539, 0.9506),
}


def reference_papers(anthology: Path) -> list[Paper]:
    """The keyword hits 2020-2024 of the snapshot that the reference annotation labels."""
    config = ScreenConfig(years=(2020, 2024))
    papers, _, _ = read_anthology_cached(anthology, years=config.years)
    wanted = {a.paper_id for a in load_reference()}
    return [p for p, _ in screen(papers, config).screened if p.id in wanted]


def figures(report: ScoreReport) -> tuple[float, float, float, float]:
    """The four headline figures of one score report."""
    return (
        report.fields["related"].accuracy.value,
        report.fields["topic"].kappa.value,
        report.fields["group"].kappa.value,
        report.jaccard.value,
    )


def _interval(report: ScoreReport) -> str:
    parts = [
        report.fields["related"].accuracy,
        report.fields["topic"].kappa,
        report.fields["group"].kappa,
        report.jaccard,
    ]
    return "  ".join(f"[{e.low:.2f}, {e.high:.2f}]".rjust(14) for e in parts)


def score_splits(
    papers: Sequence[Paper], labels: Sequence[Labels], n_boot: int
) -> dict[str, ScoreReport]:
    """One score report per split and one over all papers."""
    predicted = [Annotation.from_labels(p.id, lab) for p, lab in zip(papers, labels, strict=True)]
    gold = load_reference()
    reports: dict[str, ScoreReport] = {}
    for split in (*SPLITS, "all"):
        keep = {a.paper_id for a in gold if split == "all" or reference_split(a.paper_id) == split}
        reports[split] = score(
            [a for a in predicted if a.paper_id in keep],
            [a for a in gold if a.paper_id in keep],
            n_boot=n_boot,
        )
    return reports


def show_errors(
    split: str, papers: Sequence[Paper], labels: Sequence[Labels], fields: Sequence[str]
) -> None:
    """Per-paper disagreements with the reference, for a tuning split only (never test)."""
    if split not in ("train", "dev"):
        raise SystemExit("--errors takes train or dev: test papers are scored in aggregate only")
    gold = {a.paper_id: a for a in load_reference() if reference_split(a.paper_id) == split}
    for paper, lab in zip(papers, labels, strict=True):
        g = gold.get(paper.id)
        if g is None:
            continue
        q = Annotation.from_labels(paper.id, lab)
        wrong = [
            f
            for f in fields
            if (g.languages if f == "languages" else getattr(g, f))
            != (q.languages if f == "languages" else getattr(q, f))
        ]
        if not wrong:
            continue
        print(f"== {paper.id}  wrong: {', '.join(wrong)}")
        for f in wrong:
            gv = ";".join((*g.languages, *g.unlisted)) if f == "languages" else getattr(g, f)
            qv = ";".join(q.languages) if f == "languages" else getattr(q, f)
            print(f"   {f}: reference {gv!r}  rules {qv!r}")
        print(f"   notes: {g.notes}")
        print(f"   title: {paper.title}")
        print(f"   abstract: {paper.abstract}")
        for kind, items in lab.evidence.items():
            shown = " | ".join(f"{e.text!r}" + (f" ({e.note})" if e.note else "") for e in items)
            print(f"   {kind} evidence: {shown[:400]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--anthology", type=Path, default=None)  # None: as commands (bench_data.py)
    parser.add_argument("--boot", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--errors", choices=("train", "dev", "test"), help="list a split's errors")
    parser.add_argument(
        "--fields", default="related,topic,group,languages", help="fields --errors compares"
    )
    args = parser.parse_args()
    print("$ " + shlex.join([Path(sys.executable).name, *sys.argv]))
    papers = reference_papers(anthology_xml(args.anthology))
    annotator = RuleAnnotator()
    labels = annotator.annotate_many(papers)
    if args.errors:
        show_errors(args.errors, papers, labels, args.fields.split(","))
        return
    print(f"rules version {load_rules().version} ({annotator.version}); {len(papers)} papers")
    reports = score_splits(papers, labels, args.boot)
    header = f"{'split':<6} {'n':>4}  " + "  ".join(f"{m:>14}" for m in METRICS)
    print(header)
    for split, report in reports.items():
        now, before = figures(report), BEFORE[split]
        cells = "  ".join(f"{b:.3f} → {v:.3f}".rjust(14) for b, v in zip(before, now, strict=True))
        print(f"{split:<6} {report.scored:>4}  {cells}")
    print("(v1 → now; 95% intervals of now:)")
    for split, report in reports.items():
        print(f"{split:<6} {report.scored:>4}  {_interval(report)}")


if __name__ == "__main__":
    main()
