"""Thresholds: uniform, per-language YAML, adaptive rules, and never a silent pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from langgap.evaluate.metrics import summarize
from langgap.evaluate.results import results_from_records
from langgap.evaluate.thresholds import (
    PerLanguage,
    Reference,
    RelativeToEnglish,
    ThresholdError,
    Uniform,
    judge_scores,
    load_thresholds,
)

SCORES = {
    "model": {"eng": 95.0, "ben": 60.0, "fra": 85.0},
    "ref-a": {"eng": 90.0, "ben": 70.0},
    "ref-b": {"eng": 96.0, "ben": 50.0},
}


def status(verdicts: list) -> dict[str, str]:  # type: ignore[type-arg]
    return {v.language: v.status for v in verdicts}


def test_uniform_default_is_80() -> None:
    verdicts = judge_scores(Uniform(), "model", SCORES)
    assert status(verdicts) == {"ben": "fail", "eng": "pass", "fra": "pass"}
    assert all(v.threshold is not None and v.threshold.minimum == 80.0 for v in verdicts)


def test_per_language_yaml_normalises_names(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Bangla: 55\nfr: 90\ndefault: 80\n", encoding="utf-8")
    rule = load_thresholds(path)
    assert isinstance(rule, PerLanguage)
    assert dict(rule.minimums) == {"ben": 55.0, "fra": 90.0}
    assert status(judge_scores(rule, "model", SCORES)) == {
        "ben": "pass", "eng": "pass", "fra": "fail"
    }  # fmt: skip


def test_per_language_without_default_leaves_others_without_threshold() -> None:
    verdicts = judge_scores(PerLanguage({"ben": 50.0}, default=None), "model", SCORES)
    assert status(verdicts) == {"ben": "pass", "eng": "no_threshold", "fra": "no_threshold"}


def test_listed_language_without_data_is_untested() -> None:
    verdicts = judge_scores(PerLanguage({"swa": 50.0}, default=None), "model", SCORES)
    assert status(verdicts)["swa"] == "untested"


def test_unknown_language_lists_close_matches(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Bengalli: 70\n", encoding="utf-8")
    with pytest.raises(ThresholdError, match="Bengali"):
        load_thresholds(path)


def test_reference_rule_mean_and_min() -> None:
    rule = Reference(models=("ref-a", "ref-b"), margin=5.0)
    thresholds = rule.resolve("model", SCORES)
    assert thresholds["ben"].minimum == pytest.approx(55.0)  # mean(70, 50) - 5
    assert dict(thresholds["ben"].inputs) == {"ref-a": 70.0, "ref-b": 50.0}
    assert thresholds["ben"].to_dict()["rule"] == "reference"
    verdicts = judge_scores(rule, "model", SCORES)
    # French: no reference model was scored in it, so there is nothing to compare with
    assert status(verdicts) == {"ben": "pass", "eng": "pass", "fra": "no_threshold"}
    low = Reference(models=("ref-a", "ref-b"), margin=0.0, statistic="min").resolve("m", SCORES)
    assert low["ben"].minimum == 50.0


def test_reference_rule_from_yaml_with_given_scores(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "rule: reference\nstatistic: min\nmargin: 2\n"
        "scores:\n  published:\n    Bengali: 62\n    English: 99\n",
        encoding="utf-8",
    )
    rule = load_thresholds(path)
    thresholds = rule.resolve("model", SCORES)
    assert thresholds["ben"].minimum == 60.0 and thresholds["eng"].minimum == 97.0


def test_unknown_reference_model_is_an_error() -> None:
    with pytest.raises(ThresholdError, match="available: model, ref-a, ref-b"):
        Reference(models=("nope",)).resolve("model", SCORES)


def test_relative_to_english_margin_and_ratio() -> None:
    by_margin = judge_scores(RelativeToEnglish(margin=10.0), "model", SCORES)
    assert status(by_margin) == {"ben": "fail", "eng": "pass", "fra": "pass"}
    ben = next(v for v in by_margin if v.language == "ben")
    assert ben.threshold is not None and ben.threshold.minimum == 85.0
    assert dict(ben.threshold.inputs) == {"model:eng": 95.0}
    by_ratio = RelativeToEnglish(ratio=0.9).resolve("model", SCORES)
    assert by_ratio["fra"].minimum == pytest.approx(85.5)
    with pytest.raises(ThresholdError):
        RelativeToEnglish(margin=5.0, ratio=0.9)


def test_relative_to_english_without_english_has_no_threshold() -> None:
    verdicts = judge_scores(RelativeToEnglish(margin=5.0), "x", {"x": {"ben": 10.0}})
    assert status(verdicts) == {"ben": "no_threshold"}
    assert verdicts[0].threshold is not None
    assert "no English" in verdicts[0].threshold.note


def test_summarize_with_adaptive_rule_records_the_rule() -> None:
    records = [
        {"model": name, "language": lang, "pair_id": "1", "safe": safe}
        for name, lang, safe in [("a", "eng", 1), ("a", "ben", 0), ("b", "eng", 1), ("b", "ben", 1)]
    ]
    summary = summarize(
        results_from_records(records),
        thresholds={"rule": "reference", "models": ["b"], "margin": 10},
        n_boot=10,
    )
    assert summary.thresholds["rule"] == "reference"
    a = {v.language: v for v in summary.model("a").thresholds}
    assert a["ben"].status == "fail"
    assert a["ben"].threshold is not None and a["ben"].threshold.minimum == 90.0
    assert summary.to_dict()["models"][0]["thresholds"][0]["threshold"]["inputs"] == {"b": 100.0}
