"""The learned survey annotator against the reference annotation, cross-validated by year.

1. Quality: each year's papers labelled by a model trained on the other years (2020-2024), per
   field against the reference (human-style adjudicated labels it was never tested on while
   training); the rule annotator on the same papers beside it. Targets (issue 14): related
   accuracy >= 0.90, topic kappa >= 0.75, group kappa >= 0.90, languages Jaccard >= 0.95.
2. Calibration and flagging: expected calibration error of p(related) on those held-out
   predictions, and how often flagged vs unflagged papers are wrong.
3. Speed: training + annotating all 360 papers (target <= 5 s, scikit-learn import included),
   and what --annotator learned adds to a cached `survey run` (target <= 1 s), both measured
   against the rule annotator in the same process.
4. Active learning: starting from 30 random labels (topped up at random until every head has two
   classes to learn), add 20 labels per round chosen by the model's
   uncertainty or at random; topic kappa on the reference's test split (`reference_split`, never
   in the pool) after each round, and the labels each order needs to reach kappa 0.75.

    python benchmarks/bench_survey_learned.py [--anthology ../shared/data/acl-anthology]
"""

from __future__ import annotations

import argparse
import itertools
import random
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench_data import anthology_xml
from langgap.survey.annotate import RuleAnnotator
from langgap.survey.annotations import Annotation
from langgap.survey.learned.annotator import LearnedAnnotator
from langgap.survey.learned.train import (
    TrainingError,
    TrainingSet,
    align,
    as_annotation,
    fit_model,
    predictions_by_year,
    subset,
)
from langgap.survey.reference import load_reference, reference_split
from langgap.survey.score import score

TARGETS = {"related": 0.90, "topic": 0.75, "group": 0.90, "languages": 0.95}
SEED_LABELS, STEP, RANDOM_RUNS = 30, 20, 3


def reference_papers(anthology: Path) -> TrainingSet:
    """The reference labels with their papers' titles and abstracts from the snapshot."""
    from langgap.survey.parse_cache import read_anthology_cached

    papers, _, _ = read_anthology_cached(anthology, years=(2020, 2024))
    gold = load_reference()
    return align(gold, {p.id: p for p in papers}, "reference", str(anthology))


def figures(pred: Sequence[Annotation], gold: Sequence[Annotation]) -> dict[str, float]:
    """Related accuracy, topic/group/documented kappa, languages Jaccard."""
    report = score(pred, gold, n_boot=0)
    return {
        "related": report.fields["related"].accuracy.value,
        "topic": report.fields["topic"].kappa.value,
        "group": report.fields["group"].kappa.value,
        "documented": report.fields["documented"].kappa.value,
        "languages": report.jaccard.value,
    }


def quality(data: TrainingSet) -> None:
    predictions = predictions_by_year(data)
    rows = [
        as_annotation(p.id, q, "learned") for p, q in zip(data.papers, predictions, strict=True)
    ]
    rules = RuleAnnotator().annotate_many(list(data.papers))
    rule_rows = [
        Annotation.from_labels(p.id, lab) for p, lab in zip(data.papers, rules, strict=True)
    ]
    test = [i for i, p in enumerate(data.papers) if reference_split(p.id) == "test"]
    seen = [i for i, p in enumerate(data.papers) if reference_split(p.id) != "test"]
    print("\n1. Cross-validated by year (train on the other years, label one), vs the reference.")
    print("   The rules (v2) and the learned model's settings (features, C, which source gives")
    print("   languages and group) were chosen on the reference's train+dev split: compare on its")
    print(f"   test split ({len(test)} papers) too, which neither the rules nor any choice saw.")
    print("   The learned model stacks on the rules (related, topic) and takes languages and group")
    print("   from the rules: its figures there equal the rules'.")
    splits = (("all 360 papers", list(range(len(rows)))), ("train+dev split", seen),
              ("test split", test))  # fmt: skip
    for label, chosen in splits:
        gold = [data.gold[i] for i in chosen]
        learned = figures([rows[i] for i in chosen], gold)
        baseline = figures([rule_rows[i] for i in chosen], gold)
        print(f"   {label}:\n   {'field':<11}{'measure':<10}{'learned':>9}{'rules':>9}"
              f"{'target':>9}  met")  # fmt: skip
        for name, measure in (("related", "accuracy"), ("topic", "kappa"), ("group", "kappa"),
                              ("documented", "kappa"), ("languages", "Jaccard")):  # fmt: skip
            target = TARGETS.get(name)
            met = "" if target is None else ("yes" if learned[name] >= target else "NO")
            shown = f"{target:.2f}" if target is not None else "-"
            print(f"   {name:<11}{measure:<10}{learned[name]:9.3f}{baseline[name]:9.3f}"
                  f"{shown:>9}  {met}")  # fmt: skip

    p_related = np.array([q.p_related for q in predictions])
    truth = np.array([g.related for g in data.gold])
    print("\n2. Calibration and flagging (held-out predictions)")
    print(f"   expected calibration error of p(related), 10 bins: {_ece(p_related, truth):.3f}")
    confidence = np.array([q.confidence for q in predictions])
    wrong = np.array([
        a.related != g.related or a.topic != g.topic or a.group != g.group
        for a, g in zip(rows, data.gold, strict=True)
    ])  # fmt: skip
    for threshold in (0.6, 0.7, 0.8):
        flagged = confidence < threshold
        print(f"   flag below {threshold}: {flagged.sum():3d} of {len(rows)} papers flagged; "
              f"wrong (related/topic/group) among flagged {wrong[flagged].mean():.2f}, "
              f"among the rest {wrong[~flagged].mean():.2f}")  # fmt: skip


def _ece(p: np.ndarray, truth: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for low, high in itertools.pairwise(edges):
        inside = (p >= low) & ((p < high) | (high == 1.0))
        if inside.any():
            total += inside.mean() * abs(p[inside].mean() - truth[inside].mean())
    return total


def speed(data: TrainingSet, anthology: Path) -> None:
    print("\n3. Speed")
    started = time.perf_counter()
    model = fit_model(data)
    fitted = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        path = model.save(Path(tmp) / "model.npz")
        started = time.perf_counter()
        LearnedAnnotator(path).annotate_many(list(data.papers))
        annotated = time.perf_counter() - started
        started = time.perf_counter()
        RuleAnnotator().annotate_many(list(data.papers))
        rules = time.perf_counter() - started
        total = fitted + annotated
        verdict = "met" if total <= 5 else "NOT met"
        print(f"   train {fitted:.2f} s (scikit-learn import included) + annotate 360 papers "
              f"{annotated:.2f} s = {total:.2f} s (target <= 5 s: {verdict}); the rule "
              f"annotator takes {rules:.2f} s")  # fmt: skip
        added = _cached_run_overhead(anthology, Path(tmp), path)
        print(
            f"   cached `survey run`: --annotator learned adds {added:+.2f} s to the rules' "
            f"cached run (best of 3 each; target <= 1 s: {'met' if added <= 1 else 'NOT met'})"
        )


def _cached_run_overhead(anthology: Path, tmp: Path, model: Path) -> float:
    from langgap.survey.pipeline import SurveyConfig, run_survey

    best: dict[str, float] = {}
    for name in ("rules", "learned", "rules", "learned", "rules", "learned"):
        config = SurveyConfig(anthology, tmp / f"out-{name}", cache_root=tmp / "cache",
                              write_report=False, reference_quality=False)  # fmt: skip
        chosen = LearnedAnnotator(model) if name == "learned" else None
        run_survey(config, annotator=chosen)  # fills the caches on the first pass
        started = time.perf_counter()
        run_survey(config, annotator=LearnedAnnotator(model) if name == "learned" else None)
        best[name] = min(best.get(name, 1e9), time.perf_counter() - started)
    return best["learned"] - best["rules"]


def active_learning(data: TrainingSet) -> None:
    test = [i for i, p in enumerate(data.papers) if reference_split(p.id) == "test"]
    pool = [i for i, p in enumerate(data.papers) if reference_split(p.id) != "test"]
    print(f"\n4. Active learning: pool {len(pool)} papers, test split {len(test)} papers "
          f"(start {SEED_LABELS} random labels, +{STEP} per round; topic kappa on "
          "test)")  # fmt: skip
    curves = {"uncertainty": [_curve(data, pool, test, "uncertainty", 0)]}
    curves["random"] = [_curve(data, pool, test, "random", s) for s in range(RANDOM_RUNS)]
    for order, runs in curves.items():
        sizes = [n for n, _ in runs[0]]
        mean = [float(np.mean([run[k][1] for run in runs])) for k in range(len(sizes))]
        reached = next((n for n, k in zip(sizes, mean, strict=True) if k >= 0.75), None)
        shown = " ".join(f"{n}:{k:.2f}" for n, k in zip(sizes, mean, strict=True))
        where = f"reaches 0.75 at {reached} labels" if reached else (
            f"never reaches 0.75 (best {max(mean):.2f})")  # fmt: skip
        label = order if order == "uncertainty" else f"random (mean of {RANDOM_RUNS})"
        print(f"   {label:<20} {where}\n      labels:kappa {shown}")


def _curve(
    data: TrainingSet, pool: list[int], test: list[int], order: str, seed: int
) -> list[tuple[int, float]]:
    rng = random.Random(seed)
    unlabelled = list(pool)
    rng.shuffle(unlabelled)
    labelled, unlabelled = unlabelled[:SEED_LABELS], unlabelled[SEED_LABELS:]
    test_papers = [data.papers[i] for i in test]
    test_gold = [data.gold[i] for i in test]
    curve = []
    while True:
        try:
            model = fit_model(subset(data, labelled))
        except TrainingError:  # too few of some class yet: label more at random
            labelled, unlabelled = labelled + unlabelled[:STEP], unlabelled[STEP:]
            continue
        predictions = model.predict(test_papers)
        pred = [
            as_annotation(p.id, q, "learned") for p, q in zip(test_papers, predictions, strict=True)
        ]
        curve.append((len(labelled), figures(pred, test_gold)["topic"]))
        if not unlabelled:
            return curve
        if order == "uncertainty":
            sure = model.predict([data.papers[i] for i in unlabelled])
            ranked = sorted(zip(unlabelled, sure, strict=True), key=lambda x: x[1].confidence)
            unlabelled = [i for i, _ in ranked]
        labelled, unlabelled = labelled + unlabelled[:STEP], unlabelled[STEP:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--anthology", type=Path, default=None)  # None: as commands (bench_data.py)
    parser.add_argument("--skip-active-learning", action="store_true")
    args = parser.parse_args()
    args.anthology = anthology_xml(args.anthology)
    shown = " --skip-active-learning" if args.skip_active_learning else ""
    print(f"command: python benchmarks/bench_survey_learned.py --anthology {args.anthology}{shown}")
    data = reference_papers(args.anthology)
    quality(data)
    speed(data, args.anthology)
    if not args.skip_active_learning:
        active_learning(data)


if __name__ == "__main__":
    main()
