"""Annotation sheets: the paired-overlap design, blind mode, XLSX layout and design errors."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from langgap.survey.pipeline import PAPER_COLUMNS, SurveyConfig, run_survey
from langgap.survey.sheets import (
    SHEET_COLUMNS,
    SUGGESTION_COLUMNS,
    default_pairs,
    make_sheets,
)

ABCD = ["A", "B", "C", "D"]


def write_papers(out: Path, kept: int, dropped: int = 0) -> Path:
    """A synthetic OUT/papers.csv with `kept` related and `dropped` unrelated papers."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "papers.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(PAPER_COLUMNS), restval="")
        writer.writeheader()
        for i in range(kept + dropped):
            writer.writerow(
                {
                    "id": f"2023.acl-long.{i}",
                    "year": "2023",
                    "title": f"Paper {i} on jailbreaks",
                    "abstract": f"We attack models in Bengali and English ({i}).",
                    "url": f"https://aclanthology.org/2023.acl-long.{i}",
                    "related": "true" if i < kept else "false",
                    "languages": "ben;eng",
                    "group": "multilingual",
                    "topic": "jailbreaking",
                    "documented": "true",
                }
            )
    return path


def test_default_pairs_balance_annotators() -> None:
    assert default_pairs(ABCD, 4) == [("A", "B"), ("C", "D"), ("A", "C"), ("B", "D")]
    five = default_pairs(list("ABCDE"), 5)
    assert len(set(five)) == 5
    assert set(Counter(m for pair in five for m in pair).values()) == {2}
    with pytest.raises(ValueError, match="3 distinct pairs"):
        default_pairs(list("ABC"), 4)


def test_four_pairs_of_twenty_design(tmp_path: Path) -> None:
    write_papers(tmp_path, kept=200, dropped=15)
    plan = make_sheets(tmp_path, ABCD, overlap=20, pairs=4, seed=7)
    assert [p.annotators for p in plan.pairs] == [("A", "B"), ("C", "D"), ("A", "C"), ("B", "D")]
    overlaps = [set(p.paper_ids) for p in plan.pairs]
    assert all(len(s) == 20 for s in overlaps)
    assert len(set().union(*overlaps)) == 80  # each pair has its own, distinct subset
    for pair in plan.pairs:
        for member in pair.annotators:
            assert set(pair.paper_ids) <= set(plan.assignments[member])
    # 200 kept: 80 paired, 120 single, 30 each; each annotator is in two pairs (40 overlap).
    assert {name: len(ids) for name, ids in plan.assignments.items()} == dict.fromkeys(ABCD, 70)
    labels = Counter(i for ids in plan.assignments.values() for i in ids)
    assert len(labels) == 200  # every kept paper, no unrelated one
    assert sum(1 for n in labels.values() if n == 2) == 80
    assert all(n in (1, 2) for n in labels.values())
    saved = json.loads((tmp_path / "sheets" / "plan.json").read_text())
    assert saved["seed"] == 7 and saved["pairs"][0]["annotators"] == ["A", "B"]
    assert saved["annotators"]["A"] == list(plan.assignments["A"])


def test_same_seed_same_plan_and_other_seed_differs(tmp_path: Path) -> None:
    write_papers(tmp_path, kept=100)
    first = make_sheets(tmp_path, ABCD, overlap=10, seed=3).assignments
    again = make_sheets(tmp_path, ABCD, overlap=10, seed=3).assignments
    other = make_sheets(tmp_path, ABCD, overlap=10, seed=4).assignments
    assert first == again and first != other


def test_sheet_files_with_suggestions_and_xlsx_layout(tmp_path: Path) -> None:
    write_papers(tmp_path, kept=100)
    plan = make_sheets(tmp_path, ABCD, overlap=10)
    with (tmp_path / "sheets" / "A.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == (*SHEET_COLUMNS, *SUGGESTION_COLUMNS)
    assert [r["paper_id"] for r in rows] == list(plan.assignments["A"])
    assert rows[0]["suggested_languages"] == "ben;eng" and rows[0]["related"] == ""
    book = openpyxl.load_workbook(tmp_path / "sheets" / "A.xlsx")
    assert book.sheetnames == ["labels", "instructions"]
    sheet = book["labels"]
    header = [c.value for c in sheet[1]]
    assert header == [*SHEET_COLUMNS, *SUGGESTION_COLUMNS]
    assert sheet.freeze_panes == "A2" and all(c.font.bold for c in sheet[1])
    abstract = header.index("abstract") + 1
    assert sheet.cell(row=2, column=abstract).alignment.wrap_text
    lists = {
        str(v.sqref).split(":")[0][0]: v.formula1 for v in sheet.data_validations.dataValidation
    }
    letter = {name: openpyxl.utils.get_column_letter(i + 1) for i, name in enumerate(header)}
    assert lists[letter["related"]] == '"true,false"'
    assert "toxicity_bias" in lists[letter["topic"]] and "multilingual" in lists[letter["group"]]
    assert letter["documented"] in lists
    help_text = " ".join(str(c.value) for row in book["instructions"].iter_rows() for c in row)
    for topic in ("jailbreaking", "toxicity_bias", "hallucination", "privacy", "policy",
                  "alignment", "not_safety"):  # fmt: skip
        assert topic in help_text


def test_blind_hides_suggestions(tmp_path: Path) -> None:
    write_papers(tmp_path, kept=50)
    make_sheets(tmp_path, ABCD, overlap=5, blind=True)
    with (tmp_path / "sheets" / "B.csv").open(encoding="utf-8-sig") as handle:
        assert tuple(csv.DictReader(handle).fieldnames or ()) == SHEET_COLUMNS
    header = [c.value for c in openpyxl.load_workbook(tmp_path / "sheets" / "B.xlsx")["labels"][1]]
    assert not any(str(name).startswith("suggested_") for name in header)
    assert json.loads((tmp_path / "sheets" / "plan.json").read_text())["blind"] is True


def test_explicit_pairs(tmp_path: Path) -> None:
    write_papers(tmp_path, kept=30)
    plan = make_sheets(tmp_path, ["ann", "bo", "cy"], overlap=5, pairs=[("ann", "cy")])
    assert [p.annotators for p in plan.pairs] == [("ann", "cy")]
    assert len(plan.assignments["bo"]) == 25 // 3


def test_design_errors_name_numbers_and_fix(tmp_path: Path) -> None:
    write_papers(tmp_path, kept=50, dropped=40)
    with pytest.raises(
        ValueError, match=r"need 80 kept papers; only 50 .*--overlap \(at most 12\)"
    ):
        make_sheets(tmp_path, ABCD)
    with pytest.raises(ValueError, match="duplicate annotator name 'a'"):
        make_sheets(tmp_path, ["A", "B", "a"], overlap=2, pairs=1)
    with pytest.raises(ValueError, match="'E' is not an annotator"):
        make_sheets(tmp_path, ABCD, overlap=2, pairs=[("A", "E")])
    with pytest.raises(ValueError, match="given twice"):
        make_sheets(tmp_path, ABCD, overlap=2, pairs=[("A", "B"), ("B", "A")])
    with pytest.raises(ValueError, match="run `langgap survey run"):
        make_sheets(tmp_path / "elsewhere", ABCD)
    assert not (tmp_path / "sheets").exists()  # nothing written by a failed plan


def test_sheets_from_the_real_pipeline(anthology_fixture: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_survey(
        SurveyConfig(
            anthology=anthology_fixture, out=out, cache_root=tmp_path / "cache", write_report=False
        )
    )
    plan = make_sheets(out, ["A", "B"], overlap=2, pairs=1)
    covered = {i for ids in plan.assignments.values() for i in ids}
    assert len(covered) == 5  # the fixture's kept papers (rules v2 drop 2022.woah-1.1)
    assert set(plan.pairs[0].paper_ids) <= set(plan.assignments["A"]) & set(plan.assignments["B"])
