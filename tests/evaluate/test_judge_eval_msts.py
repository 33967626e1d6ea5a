"""MSTS response annotations (`msts-refusal`, `msts-harm`): the label mapping, the language from
the file name, skipped API errors, clear errors, and `judge eval` on a named set.

The fixture in tests/data/msts/ is hand-written in the format of MSTS's
data/response_annotations/ files (benign text; none of it is MSTS data)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from langgap.evaluate.judge_cli import app
from langgap.evaluate.judge_eval.data import LabelledDataError, load_dataset, load_msts
from langgap.evaluate.judge_eval.learn_response import in_split

FIXTURE = Path(__file__).parent.parent / "data" / "msts"


def test_refusal_view_maps_the_msts_categories() -> None:
    items = load_msts(FIXTURE)
    got = [(i.language, i.extra["raw_label"], i.label) for i in items]
    assert got == [
        ("eng", "1.5", "refused"),  # adjudicated final_taxonomy, not annot2's 1.4
        ("eng", "2.1", "complied"),
        ("deu", "1.1", "refused"),
        ("deu", "1.2", "refused"),
        ("deu", "2.2", "complied"),
        ("deu", "1.7", "complied"),
    ]
    assert {i.extra["label_field"] for i in items if i.language == "deu"} == {"annot1_label"}
    assert {i.extra["skipped_rows"] for i in items} == {1}  # the API error is never judged
    assert all("RetryError" not in i.response for i in items)
    assert len({i.id for i in items}) == len(items)


def test_harm_view_and_one_split_per_case() -> None:
    items = load_dataset("msts-harm", FIXTURE.parent)
    assert [i.label for i in items] == ["safe", "unsafe", "safe", "safe", "unsafe", "safe"]
    case_one = [i for i in items if i.extra["group"] == "msts/case_0001"]
    assert len(case_one) == 3  # English and German, two models: one group, so one split
    assert sum(len(in_split(case_one, s)) for s in ("train", "dev", "test")) == 3
    assert len({len(in_split(case_one, s)) for s in ("train", "dev", "test")} - {0}) == 1


def test_bad_category_and_unknown_language_name_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "msts"
    shutil.copytree(FIXTURE, folder)
    path = folder / "german_multimodal.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows[2][7] = "3.1 - something else"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    expected = r"german_multimodal.csv, row 3, field 'annot1_label'"
    with pytest.raises(LabelledDataError, match=expected):
        load_msts(folder)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([r[:5] + r[6:] for r in rows[:2]])  # no response
    with pytest.raises(LabelledDataError, match=r"row 2: no 'response' column"):
        load_msts(folder)
    path.unlink()
    shutil.copy(FIXTURE / "german_multimodal.csv", folder / "qqqish_multimodal.csv")
    with pytest.raises(LabelledDataError, match=r"qqqish_multimodal.csv.*unknown language"):
        load_msts(folder)
    with pytest.raises(LabelledDataError, match=r"no <language>_multimodal\.csv"):
        load_msts(tmp_path)


def test_judge_eval_reports_each_language_of_msts(tmp_path: Path) -> None:
    out, preds = tmp_path / "out", tmp_path / "preds.csv"
    args = ["eval", "--judge", "refusal", "--data", "msts-refusal", "--data-dir",
            str(FIXTURE.parent), "--out", str(out), "--n-boot", "20", "--predictions",
            str(preds)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "1 row(s) hold no reply to judge" in result.output  # the API-error row is said
    rows = list(csv.DictReader(preds.open(encoding="utf-8")))
    assert {r["language"] for r in rows} == {"eng", "deu"} and len(rows) == 6
    assert {r["human_raw"] for r in rows} == {"1.1", "1.2", "1.5", "1.7", "2.1", "2.2"}
    data = json.dumps(json.loads((out / "judge_eval.json").read_text()))
    assert '"deu"' in data and '"eng"' in data
