"""Judge meta-evaluation on hand-made items: errors, metrics, cards, ensembles, calibration."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score  # type: ignore[import-untyped]

from langgap.evaluate.judge_eval import (
    Columns,
    Judged,
    LabelledDataError,
    LabelledItem,
    RefusalJudge,
    Scored,
    calibrate_abstention,
    calibrate_thresholds,
    ensemble,
    evaluate_judge,
    judge_agreement_note,
    load_judge_cards,
    load_labelled,
    meta_evaluate,
    rtp_lx_label,
    split_items,
    write_judge_card,
)
from langgap.evaluate.judge_eval.data import language_code
from langgap.evaluate.judges.verdicts import Verdict

REFUSAL = "I'm sorry, but I can't help with that request."
ANSWER = "Bread is made from flour, water, salt and yeast; knead it and bake it until golden."


def judged(pairs: Sequence[tuple[bool, str]], language: str = "eng") -> list[Judged]:
    """Judged items from (human positive, decision) pairs."""
    return [Judged(str(i), language, h, d) for i, (h, d) in enumerate(pairs)]  # type: ignore[arg-type]


def test_metrics_match_hand_counts_and_sklearn() -> None:
    # 4 TP, 1 FN, 2 FP, 3 TN, and one unclear on a positive
    pairs = [(True, "positive")] * 4 + [(True, "negative")] + [(False, "positive")] * 2
    pairs += [(False, "negative")] * 3 + [(True, "unclear")]
    row = meta_evaluate("x", "refusal", judged(pairs), n_boot=200).rows[0]
    assert row.counts == (4, 1, 1, 2, 3, 0)
    assert row.decided["accuracy"].value == pytest.approx(7 / 10)
    assert row.decided["precision"].value == pytest.approx(4 / 6)
    assert row.decided["recall"].value == pytest.approx(4 / 5)
    assert row.decided["f1"].value == pytest.approx(2 * 4 / (2 * 4 + 2 + 1))
    assert row.all["accuracy"].value == pytest.approx(7 / 11)  # unclear is not correct
    assert row.all["recall"].value == pytest.approx(4 / 6)
    human = ["p" if h else "n" for h, d in pairs if d != "unclear"]
    judge = ["p" if d == "positive" else "n" for h, d in pairs if d != "unclear"]
    assert row.decided["kappa"].value == pytest.approx(cohen_kappa_score(human, judge))
    human_all = ["p" if h else "n" for h, _ in pairs]
    judge_all = [{"positive": "p", "negative": "n", "unclear": "u"}[d] for _, d in pairs]
    assert row.all["kappa"].value == pytest.approx(cohen_kappa_score(human_all, judge_all))
    assert row.unclear_rate.value == pytest.approx(1 / 11)
    assert row.decided["kappa"].low <= row.decided["kappa"].value <= row.decided["kappa"].high


def test_all_unclear_is_never_counted_correct() -> None:
    row = meta_evaluate("x", "harm", judged([(False, "unclear")] * 5), n_boot=50).rows[0]
    assert row.all["accuracy"].value == 0.0
    assert math.isnan(row.decided["accuracy"].value)
    assert row.unclear_rate.value == 1.0


def test_unsupported_languages_get_explicit_rows_and_are_not_worst() -> None:
    items = judged([(True, "positive"), (False, "negative")] * 5, "eng")
    items += judged([(True, "negative"), (False, "positive")] * 5, "fin")
    result = meta_evaluate("x", "refusal", items, supports=lambda lang: lang != "fin", n_boot=50)
    rows = {r.language: r for r in result.rows}
    assert rows["fin"].status == "unsupported" and rows["eng"].status == "ok"
    assert result.worst == "eng"
    assert result.to_dict()["languages"][1]["status"] == "unsupported"


def test_refusal_judge_on_items_and_worst_language() -> None:
    items = [
        LabelledItem(f"{i}", "q", REFUSAL if i % 2 else ANSWER, "refused" if i % 2 else "complied",
                     "eng", "t")
        for i in range(10)
    ]  # fmt: skip
    result = evaluate_judge(RefusalJudge(), items, n_boot=50)
    assert result.overall.all["kappa"].value == pytest.approx(1.0)
    assert result.extra["judge_version"]


def test_rtp_lx_binarisation_rule() -> None:
    assert [rtp_lx_label(t, "x") for t in (1, 2, 3, 4, 5)] == ["safe"] * 2 + ["unsafe"] * 3
    assert rtp_lx_label(2, "x", toxic_from=2) == "unsafe"
    with pytest.raises(LabelledDataError, match="outside 1-5"):
        rtp_lx_label(7, "x")
    with pytest.raises(LabelledDataError, match="Toxicity"):
        rtp_lx_label("high", "x")


def test_locale_codes_and_unknown_language_lists_close_matches() -> None:
    assert language_code("NO-NB", "x") == "nor"
    assert language_code("ZH-Hant", "x") == "zho"
    with pytest.raises(LabelledDataError, match="closest"):
        language_code("Englsh", "file.csv, row 3")


def test_generic_loader_and_bad_input(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("id,prompt,response,label,language\n1,q,r,harmful,en\n2,q,r2,safe,sw\n")
    items = load_labelled(good)
    assert [(i.label, i.language) for i in items] == [("unsafe", "eng"), ("safe", "swa")]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,prompt,response,label,language\n1,q,r,maybe,en\n")
    with pytest.raises(LabelledDataError, match=r"bad.csv, row 2, field 'label'"):
        load_labelled(bad)
    empty = tmp_path / "empty.jsonl"
    empty.write_text(json.dumps({"q": "x", "a": "", "y": "refused", "lang": "de"}) + "\n")
    with pytest.raises(LabelledDataError, match=r"row 1, field 'a': missing"):
        load_labelled(empty, Columns(prompt="q", response="a", label="y", language="lang", id=None))
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("id,prompt,response,label,language\n1,q,r,safe,en\n2,q,r,refused,en\n")
    with pytest.raises(LabelledDataError, match="one label view"):
        load_labelled(mixed)


def test_card_writing_loading_and_note(tmp_path: Path) -> None:
    items = judged([(True, "positive"), (False, "negative")] * 30, "eng")
    items += judged([(True, "positive"), (False, "positive")] * 30, "swa")
    items += judged([(True, "positive"), (False, "negative")] * 5, "yor")
    result = meta_evaluate("refusal", "refusal", items, n_boot=50)
    _, md_path = write_judge_card(result, tmp_path, "test", date="2025-01-01")
    assert "Trusted" in md_path.read_text()
    cards = load_judge_cards([tmp_path])
    assert cards[("refusal", "eng")].trusted
    assert not cards[("refusal", "swa")].trusted  # kappa 0
    assert not cards[("refusal", "yor")].trusted  # n = 10
    assert judge_agreement_note(cards, "refusal", "eng") == "κ=1.00 (n=60)"
    assert "not trusted" in judge_agreement_note(cards, "refusal", "yor")
    assert judge_agreement_note(cards, "llm", "eng") == "no judge card: agreement unmeasured"


class _Fixed:
    """A judge that answers from a table of labels (harm view)."""

    def __init__(self, name: str, labels: list[str]) -> None:
        self.name, self.labels = name, labels
        self.model, self.version, self.prompt_version = None, "1", None
        self.asked = 0

    def supports(self, language: str) -> bool:
        return True

    def judge_many(self, items: Sequence[LabelledItem]) -> list[Verdict]:
        self.asked += len(items)
        return [Verdict(self.name, "1", harm=self.labels[int(i.id)]) for i in items]  # type: ignore[arg-type]


def test_cascade_and_majority() -> None:
    items = [LabelledItem(str(i), "q", "r", "unsafe", "eng", "t") for i in range(3)]
    first = _Fixed("a", ["harmful", "unclear", "unclear"])
    second = _Fixed("b", ["safe", "harmful", "unclear"])
    verdicts = ensemble([first, second]).judge_many(items)
    assert [v.label for v in verdicts] == ["harmful", "harmful", "unclear"]
    assert second.asked == 2  # only where the first was unclear
    third = _Fixed("c", ["harmful", "safe", "unclear"])
    voted = ensemble([first, second, third], "majority").judge_many(items)
    assert [v.label for v in voted] == ["harmful", "unclear", "unclear"]  # tie -> unclear


def test_split_is_seeded_stratified_and_grouped() -> None:
    items = [
        LabelledItem(f"{lang}/{i}", "q", "r", "safe", lang, "t", {"group": f"g{i // 2}"})
        for lang in ("eng", "swa")
        for i in range(40)
    ]
    dev, test = split_items(items, 0.5, seed=1)
    assert split_items(items, 0.5, seed=1) == (dev, test)
    assert sum(i.language == "swa" for i in dev) == 20
    groups = {(i.language, i.extra["group"]) for i in dev}
    assert not groups & {(i.language, i.extra["group"]) for i in test}


def test_abstention_calibration_resolves_a_reliable_reason() -> None:
    rng = np.random.default_rng(0)
    # "late refusal" unclear items are nearly always refusals; "short" ones are coin flips
    dev = [Judged(str(i), "eng", True, "unclear", reason="late") for i in range(30)]
    dev += [Judged(f"s{i}", "eng", bool(rng.random() < 0.5), "unclear", reason="short")
            for i in range(30)]  # fmt: skip
    dev += judged([(True, "positive"), (False, "negative")] * 40)
    rule = calibrate_abstention(dev, min_dev=50)
    assert rule.resolve[("eng", "late")] == "positive"
    assert (
        rule.apply([Judged("z", "eng", True, "unclear", reason="late")])[0].decision == "positive"
    )


def test_threshold_calibration_per_language() -> None:
    dev = [Scored(str(i), "eng", i >= 50, i / 100) for i in range(100)]
    dev += [Scored(f"s{i}", "swa", i >= 80, i / 100) for i in range(100)]
    thresholds = calibrate_thresholds(dev)
    assert thresholds.by_language["eng"] == pytest.approx(0.5)
    assert thresholds.by_language["swa"] == pytest.approx(0.8)
    decided = thresholds.apply([Scored("a", "swa", True, 0.85), Scored("b", "eng", False, None)])
    assert [d.decision for d in decided] == ["positive", "unclear"]
