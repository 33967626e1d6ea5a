"""Tests for scoring labels against gold, the label-quality report sections and `survey score`."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from sklearn.metrics import cohen_kappa_score
from typer import Typer
from typer.testing import CliRunner

from langgap.survey.agreement import agreement
from langgap.survey.annotations import Annotation, write_annotations
from langgap.survey.models import TOPICS
from langgap.survey.report import write_survey_report
from langgap.survey.score import read_rule_labels, score
from langgap.survey.sheet_io import SheetError

EVIL = "<script>alert(1)</script>"


def ann(
    paper_id: str,
    annotator: str,
    related: bool,
    languages: tuple[str, ...],
    group: str,
    topic: str,
    documented: bool,
) -> Annotation:
    """A compact Annotation constructor for hand-made cases."""
    return Annotation(paper_id, annotator, related, languages, group, topic, documented)  # type: ignore[arg-type]


GOLD = [
    ann("p1", "gold", True, ("eng",), "english_only", "jailbreaking", True),
    ann("p2", "gold", True, ("eng", "zho"), "multilingual", "privacy", True),
    ann("p3", "gold", False, (), "english_only", "not_safety", False),
    ann("p4", "gold", True, ("swa",), "non_english", "policy", True),
    ann("p5", "gold", True, ("ara", "eng"), "multilingual", "jailbreaking", False),
]
PRED = [
    ann("p1", "rules", True, ("eng",), "english_only", "jailbreaking", True),  # all right
    ann("p2", "rules", True, ("zho",), "non_english", "jailbreaking", True),  # 3 wrong
    ann("p3", "rules", True, (), "english_only", "not_safety", False),  # related wrong
    ann("p5", "rules", True, ("ara", "eng", "fra"), "multilingual", "jailbreaking", False),
    ann("p9", "rules", True, ("eng",), "english_only", "policy", True),  # not in gold
]


def test_hand_made_scores() -> None:
    report = score(PRED, GOLD, n_boot=200, evidence={"p2": f"topic: {EVIL}"})
    assert (report.gold_papers, report.scored, report.unscored) == (5, 4, 1)
    assert report.missing == ("p4",)  # counted and named, never dropped in silence
    fields = report.fields
    assert fields["related"].accuracy.value == pytest.approx(3 / 4)
    assert fields["topic"].accuracy.value == pytest.approx(3 / 4)
    assert fields["group"].accuracy.value == pytest.approx(3 / 4)
    assert fields["documented"].accuracy.value == 1.0
    assert fields["topic"].accuracy.n == 4
    gold_topics = ["jailbreaking", "privacy", "not_safety", "jailbreaking"]
    pred_topics = ["jailbreaking", "jailbreaking", "not_safety", "jailbreaking"]
    assert fields["topic"].kappa.value == pytest.approx(cohen_kappa_score(gold_topics, pred_topics))
    # Languages: gold pairs eng, eng, zho, ara, eng = 5; predicted eng, zho, ara, eng, fra = 5;
    # true positives eng(p1), zho(p2), ara(p5), eng(p5) = 4.
    assert report.precision.value == pytest.approx(4 / 5)
    assert report.recall.value == pytest.approx(4 / 5)
    assert report.f1.value == pytest.approx(4 / 5)
    # Jaccard: 1, 1/2, empty/empty = 1, 2/3.
    assert report.jaccard.value == pytest.approx((1 + 0.5 + 1 + 2 / 3) / 4)
    per = {s.code: s for s in report.languages}
    assert (per["eng"].support, per["eng"].recall, per["eng"].precision) == (3, 2 / 3, 1.0)
    assert per["fra"].support == 0 and per["fra"].predicted == 1 and per["fra"].precision == 0.0
    # Confusion matrices: rows gold, columns predicted, labels in fixed order.
    topic = report.confusion["topic"]
    assert topic.labels == TOPICS
    row = topic.counts[TOPICS.index("privacy")]
    assert row[TOPICS.index("jailbreaking")] == 1 and sum(row) == 1
    assert report.confusion["related"].labels == ("false", "true")
    assert report.confusion["related"].counts == ((0, 1), (0, 3))
    assert report.confusion["group"].counts[2] == (0, 1, 1)  # multilingual gold: p2 wrong, p5 right
    # Worst errors: most wrong fields first, with gold, predicted and evidence.
    first = report.errors[0]
    assert first.paper_id == "p2" and first.wrong == ("languages", "group", "topic")
    assert first.gold["topic"] == "privacy" and first.predicted["topic"] == "jailbreaking"
    assert first.evidence == f"topic: {EVIL}"
    assert [e.paper_id for e in report.errors] == ["p2", "p3", "p5"]


def test_intervals_and_json(tmp_path: Path) -> None:
    report = score(PRED, GOLD, n_boot=300, seed=1)
    for e in (report.fields["topic"].accuracy, report.f1, report.jaccard):
        assert e.low <= e.value <= e.high and e.n == 4
    assert score(PRED, GOLD, n_boot=300, seed=1).to_dict() == report.to_dict()
    paths = report.write(tmp_path)
    assert [p.name for p in paths] == ["label_quality.json", "label_quality.md"]
    data = json.loads(paths[0].read_text())
    assert data["missing"] == 1 and data["missing_ids"] == ["p4"]
    assert data["confusion"]["topic"]["labels"] == list(TOPICS)
    assert "Worst errors" in paths[1].read_text()


def test_degenerate_kappa_is_nan_not_a_crash() -> None:
    same = [ann(f"p{i}", "g", True, ("eng",), "english_only", "policy", True) for i in range(5)]
    report = score([ann(a.paper_id, "r", *_labels(a)) for a in same], same, n_boot=50)
    related = report.fields["related"]
    assert related.accuracy.value == 1.0
    assert related.kappa.to_dict()["value"] is None and "undefined" in related.kappa.note
    json.dumps(report.to_dict(), allow_nan=False)


def _labels(a: Annotation) -> tuple[bool, tuple[str, ...], str, str, bool]:
    return a.related, a.languages, a.group, a.topic, a.documented


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no gold paper has a prediction"):
        score(PRED[:1], GOLD[1:])
    with pytest.raises(ValueError, match="two labels for paper 'p1'"):
        score([PRED[0], PRED[0]], GOLD)


def test_report_sections_are_escaped(tmp_path: Path) -> None:
    from tests.survey.test_report import realistic_stats

    quality = score(PRED, GOLD, n_boot=50, evidence={"p2": EVIL}).to_dict()
    quality["annotator"] = EVIL
    records = [
        ann(f"p{i}", name, True, ("eng",), "english_only", TOPICS[(i + j) % 3], True)
        for i in range(6)
        for j, name in enumerate(("A", EVIL))
    ]
    agreed = agreement(records, n_boot=50).to_dict()
    write_survey_report(realistic_stats(), tmp_path, label_quality=quality, agreement=agreed)
    html = (tmp_path / "report.html").read_text()
    md = (tmp_path / "report.md").read_text()
    assert "Label quality" in html and "Inter-annotator agreement" in html
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Worst errors" in md and "Topic confusion matrix" in md
    assert not re.search(r"(?<!\\)<script", md) and r"\<script\>alert(1)" in md


def test_report_without_quality_is_unchanged(tmp_path: Path) -> None:
    from tests.survey.test_report import realistic_stats

    write_survey_report(realistic_stats(), tmp_path)
    assert "Label quality" not in (tmp_path / "report.md").read_text()


PAPERS_HEADER = [
    "id", "title", "related", "related_evidence", "languages", "group", "documented",
    "language_evidence", "topic", "topic_evidence", "annotator",
]  # fmt: skip


def write_papers_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    """A run's papers.csv with the columns the scorer reads."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=PAPERS_HEADER, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def papers_rows() -> list[dict[str, str]]:
    """papers.csv rows for PRED (the rule labels), with evidence on p2."""
    rows = []
    for a in PRED:
        rows.append(
            {
                "id": a.paper_id,
                "related": str(a.related).lower(),
                "languages": ";".join(a.languages),
                "group": a.group,
                "documented": str(a.documented).lower(),
                "topic": a.topic,
                "annotator": "rules",
                "topic_evidence": f"abstract[0:9] {EVIL!r}" if a.paper_id == "p2" else "",
            }
        )
    return rows


def test_read_rule_labels(tmp_path: Path) -> None:
    labels, evidence = read_rule_labels(write_papers_csv(tmp_path / "papers.csv", papers_rows()))
    assert labels == [
        Annotation(a.paper_id, "rules", *_labels(a))  # type: ignore[arg-type]
        for a in PRED
    ]
    assert evidence["p2"].startswith("topic: abstract[0:9]") and evidence["p1"] == ""
    bad = papers_rows()
    bad[1]["related"] = "maybe"
    bad[2]["languages"] = "Klingonese"
    with pytest.raises(SheetError) as caught:
        read_rule_labels(write_papers_csv(tmp_path / "bad.csv", bad))
    columns = {p.column for p in caught.value.problems}
    assert columns == {"related", "languages"}
    assert {p.row for p in caught.value.problems} == {3, 4}


def test_cli_score(tmp_path: Path) -> None:
    from langgap.survey.cli_quality import register

    app = Typer()
    register(app)
    gold = write_annotations(tmp_path / "gold.csv", GOLD)
    write_papers_csv(tmp_path / "papers.csv", papers_rows())
    runner = CliRunner()
    result = runner.invoke(
        app, ["score", "--gold", str(gold), "--out", str(tmp_path), "--n-boot", "50"]
    )
    assert result.exit_code == 0, result.output
    assert "p4" in result.output  # the gold paper without a prediction is named
    data = json.loads((tmp_path / "label_quality.json").read_text())
    assert data["scored"] == 4 and data["errors"][0]["evidence"].startswith("topic:")
    # Several annotators in one predictions file: the user must pick one.
    second = [replace(a, annotator="second") for a in GOLD]
    both = write_annotations(tmp_path / "annotations.csv", [*second, *GOLD])
    result = runner.invoke(app, ["score", "--gold", str(gold), "--pred", str(both)])
    assert result.exit_code == 2 and "--annotator" in result.output
    result = runner.invoke(
        app, ["score", "--gold", str(gold), "--pred", str(both), "--annotator", "second"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "label_quality.json").read_text())["errors"] == []
    missing = runner.invoke(app, ["score", "--gold", str(tmp_path / "[red]nope.csv"), "--out", "x"])
    assert missing.exit_code == 2 and "[red]nope.csv" in missing.output
