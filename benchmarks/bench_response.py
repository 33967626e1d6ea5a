"""The response classifier against human labels it was not tuned on, its speed, and what the
cascade to a harm judge saves.

1. Do-Not-Answer human action labels, test split (questions split 60/20/20 by id; the model and
   the cue lists were fitted on train and checked on dev): strict refusal F1 (action 0), broad
   refusal F1 (actions 0, 1, 4), macro-F1 over five action groups (refused 0, refuted 1,
   cautioned/redirected 2-3, cannot_answer 4, complied/partial 5), and, as a reference, an
   English TF-IDF + logistic-regression model fitted on the same train split.
2. Every other human-labelled refusal set found under --extra-data-dir (XSTest, PolyGuardPrompts,
   MSTS), per language and split (same 60/20/20 rule by prompt id; MSTS by test case, so a case
   is in one split in every language): refusal F1 (declined vs answered), the worst language
   named. XSTest's dev split informed one rule of the earlier tree (an opening decline stays a
   decline; the logistic regression needs it no more and it was dropped); its test split was not
   used for any decision. PolyGuardPrompts was never used for any decision; MSTS's train split
   was read to write the non-English discouragement cues and fits the per-language decline
   models, its dev split chose among the cues and the models' settings (its test split was not
   used for any decision).
3. Speed: responses/s on the Do-Not-Answer responses (real model replies, ~630 characters), one
   core, best of 3 passes: per call (`classify_response`, one reply at a time) and in one batch
   (`classify_many`, what `judge eval` and the refusal judge's `judge_many` use); both give the
   same results. The target is 20,000/s.
4. Cascade: on Do-Not-Answer's harm view (and MSTS's, English and the other ten languages apart,
   when --extra-data-dir holds msts/), how many items a harm judge after the classifier is still
   asked about (a counting stand-in plays the harm judge: only the calls are measured).

    python benchmarks/bench_response.py [--data-dir ../shared/data] [--extra-data-dir DIR]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from bench_data import data_root
from langgap.evaluate.judge_eval.data import LabelledItem, load_dataset
from langgap.evaluate.judge_eval.ensemble import ensemble
from langgap.evaluate.judge_eval.learn_response import action_label, in_split
from langgap.evaluate.judge_eval.runner import RefusalJudge
from langgap.evaluate.judges.response import DECLINED, classify_many, classify_response
from langgap.evaluate.judges.verdicts import Verdict

GROUPS = {"redirected": "cautioned", "partial": "complied", "unclear": "unclear"}


def _f1(gold: Sequence[bool], pred: Sequence[bool]) -> float:
    return float(f1_score(gold, pred, zero_division=0))


def dna_figures(items: list[LabelledItem], split: str) -> dict[str, float]:
    """Strict/broad refusal F1 and macro-F1 of the classifier on one split."""
    chosen = in_split(items, split)
    gold = [action_label(i) for i in chosen]
    pred = [classify_response(i.response, i.language).action for i in chosen]
    grouped = [GROUPS.get(p, p) for p in pred]
    labels = sorted(set(gold))
    return {
        "n": len(chosen),
        "strict_f1": _f1([g == "refused" for g in gold], [p == "refused" for p in pred]),
        "broad_f1": _f1([g in DECLINED for g in gold], [p in DECLINED for p in pred]),
        "macro_f1": float(f1_score(gold, grouped, labels=labels, average="macro")),
        "unclear": sum(p == "unclear" for p in pred) / len(pred),
    }


def tfidf_reference(items: list[LabelledItem]) -> float:
    """Strict refusal F1 on test of an English word-n-gram model fitted on train (a ceiling
    reference for English lexical cues, not a multilingual judge)."""
    train, test = in_split(items, "train"), in_split(items, "test")
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x = vectorizer.fit_transform([i.response[:600] for i in train])
    model = LogisticRegression(max_iter=2000, C=4).fit(x, [action_label(i) for i in train])
    pred = model.predict(vectorizer.transform([i.response[:600] for i in test]))
    return _f1([action_label(i) == "refused" for i in test], [p == "refused" for p in pred])


def per_language(items: list[LabelledItem]) -> dict[str, tuple[int, float, float]]:
    """language -> (n, refusal F1 of declined vs answered, unclear share)."""
    out = {}
    for language in sorted({i.language for i in items}):
        chosen = [i for i in items if i.language == language]
        pred = [classify_response(i.response, i.language) for i in chosen]
        gold = [i.label == "refused" for i in chosen]
        decided = [
            (g, p.declined) for g, p in zip(gold, pred, strict=True) if p.action != "unclear"
        ]
        f1 = _f1([g for g, _ in decided], [p for _, p in decided]) if decided else float("nan")
        unclear = sum(p.action == "unclear" for p in pred) / len(pred)
        out[language] = (len(chosen), f1, unclear)
    return out


def cold_pass(responses: list[str]) -> float:
    """Responses per second of the first pass in this process (cue tables built on the way)."""
    start = time.perf_counter()
    for text in responses:
        classify_response(text, "eng")
    return len(responses) / (time.perf_counter() - start)


def speed(responses: list[str], repeats: int = 3) -> tuple[float, float]:
    """Responses per second (best of `repeats` passes): per call, and in one batch."""
    classify_response(responses[0], "eng")  # build the matchers and load the model
    languages = ["eng"] * len(responses)
    per_call = batch = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        for text in responses:
            classify_response(text, "eng")
        per_call = max(per_call, len(responses) / (time.perf_counter() - start))
        start = time.perf_counter()
        classify_many(responses, languages)
        batch = max(batch, len(responses) / (time.perf_counter() - start))
    return per_call, batch


class CountingHarmJudge:
    """Stands in for a harm judge in the cascade: counts the items it is asked about."""

    name, model, version, prompt_version = "counting", None, "0", None

    def __init__(self) -> None:
        self.asked = 0

    def supports(self, language: str) -> bool:
        """Every language."""
        return True

    def judge_many(self, items: Sequence[LabelledItem]) -> list[Verdict]:
        """One unclear harm verdict per item, counted."""
        self.asked += len(items)
        return [Verdict(self.name, self.version, harm="unclear") for _ in items]


def cascade_line(name: str, harm: list[LabelledItem]) -> str:
    """How often a harm judge after the classifier is asked, and what the skipped replies hold."""
    counting = CountingHarmJudge()
    ensemble([RefusalJudge(), counting], "cascade").judge_many(harm)
    saved = 1 - counting.asked / len(harm)
    verdicts = RefusalJudge().judge_many(harm)
    declined = sum(v.outcome == "refused" for v in verdicts)
    pairs = zip(verdicts, harm, strict=True)
    wrong = sum(v.outcome == "refused" and i.label == "unsafe" for v, i in pairs)
    unsafe = sum(i.label == "unsafe" for i in harm)
    return (
        f"on {name} ({len(harm)} items) the harm judge is asked {counting.asked} times; "
        f"{saved:.1%} of model calls saved ({declined} declined replies are safe without "
        f"asking; people labelled {wrong} of them harmful, of {unsafe} harmful in all)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None)  # None: as commands (bench_data.py)
    extra_help = "folder holding xstest/ (and polyguard-prompts/, msts/) as in SOURCES"
    parser.add_argument("--extra-data-dir", type=Path, default=None, help=extra_help)
    args = parser.parse_args()
    shown = vars(args) | {"data_dir": data_root(args.data_dir)}  # the folder searched first
    given = [f"--{k.replace('_', '-')} {v}" for k, v in shown.items() if v is not None]
    print("command: python benchmarks/bench_response.py " + " ".join(given))

    dna = load_dataset("dna-refusal-strict", args.data_dir)
    cold = cold_pass([i.response for i in dna])  # before anything else builds the cue tables
    print("\n1. Do-Not-Answer action labels (classifier fitted on train, checked on dev)")
    for split in ("train", "dev", "test"):
        f = dna_figures(dna, split)
        print(f"   {split:5s} n={f['n']:5.0f}  strict refusal F1 {f['strict_f1']:.3f}  "
              f"broad refusal F1 {f['broad_f1']:.3f}  macro-F1 (5 groups) {f['macro_f1']:.3f}  "
              f"unclear {f['unclear']:.3f}")  # fmt: skip
    print(f"   reference: English TF-IDF+LR fitted on train, strict F1 on test "
          f"{tfidf_reference(dna):.3f}")  # fmt: skip

    print("\n2. Other human-labelled refusal sets, per language (report the test split)")
    extra = args.extra_data_dir
    for name in ("xstest", "polyguard-refusal", "msts-refusal"):
        try:
            items = load_dataset(name, extra) if extra else []
        except ValueError as exc:
            print(f"   {name}: skipped ({exc})")
            continue
        if not items:
            print(f"   {name}: skipped (no --extra-data-dir)")
            continue
        for split in ("train", "dev", "test", "all"):
            figures = per_language(in_split(items, split))
            for language, (n, f1, unclear) in figures.items():
                print(f"   {name} ({split}) {language}: n={n:5d}  refusal F1 {f1:.3f}  "
                      f"unclear {unclear:.3f}")  # fmt: skip
            worst = min(figures, key=lambda k: figures[k][1])
            print(f"   {name} ({split}): worst language {worst} ({figures[worst][1]:.3f})")

    responses = [i.response for i in dna]
    mean = sum(map(len, responses)) / len(responses)
    per_call, batch = speed(responses)
    met = "met" if max(per_call, batch) >= 20_000 else "not met"
    print(f"\n3. Speed on {len(responses)} Do-Not-Answer responses (mean {mean:.0f} characters), "
          f"one core, best of 3: {per_call:,.0f} responses/s per call, {batch:,.0f}/s in one batch "
          f"(target 20,000/s: {met}); the first pass of a fresh process, which builds the cue "
          f"tables as it meets them, ran at {cold:,.0f}/s")  # fmt: skip

    harm = load_dataset("dna-harm", args.data_dir)
    print(f"\n4. Cascade refusal > harm judge: {cascade_line('Do-Not-Answer', harm)}")
    try:
        msts = load_dataset("msts-harm", extra) if extra else []
    except ValueError:
        msts = []  # reported as skipped in 2.
    english = [i for i in msts if i.language == "eng"]
    others = [i for i in msts if i.language != "eng"]
    for label, chosen in (("MSTS, English", english), ("MSTS, 10 other languages", others)):
        if chosen:
            print(f"   {cascade_line(label, chosen)}")


if __name__ == "__main__":
    main()
