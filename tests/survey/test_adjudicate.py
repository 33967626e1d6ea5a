"""Merging annotators, adjudicating disagreements, and the sheet → import → adjudicate CLI."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
import typer
from typer.testing import CliRunner

from langgap.survey import cli_annotation
from langgap.survey.adjudicate import (
    MergeResult,
    apply_adjudication,
    merge,
    read_gold,
    write_adjudication_sheet,
)
from langgap.survey.annotations import Annotation, write_annotations
from langgap.survey.pipeline import PAPER_COLUMNS
from langgap.survey.sheet_import import SheetError, SheetProblem


def ann(paper: str, who: str, topic: str = "jailbreaking", langs: tuple[str, ...] = ("eng",),
        notes: str = "") -> Annotation:  # fmt: skip
    group = "english_only" if langs == ("eng",) else "multilingual"
    return Annotation(paper, who, True, langs, group, topic, True, notes=notes)  # type: ignore[arg-type]


RECORDS = [
    ann("p1", "A"), ann("p1", "B", notes="clear"),  # agree
    ann("p2", "A", "privacy"), ann("p2", "B", "policy"),  # topic differs
    ann("p3", "A", langs=("ben", "eng")), ann("p3", "B"),  # languages and group differ
    ann("p4", "C", "hallucination"),  # single
]  # fmt: skip


def test_merge_agreement_single_and_disputes() -> None:
    result = merge(RECORDS)
    gold = {a.paper_id: a for a in result.gold}
    assert set(gold) == {"p1", "p4"}
    assert (gold["p1"].decided_by, gold["p1"].annotator, gold["p1"].notes) == (
        "agreement", "gold", "B: clear",
    )  # fmt: skip
    assert gold["p4"].decided_by == "C" and gold["p4"].topic == "hallucination"
    assert [(d.paper_id, d.fields) for d in result.disputes] == [
        ("p2", ("topic",)), ("p3", ("languages", "group")),
    ]  # fmt: skip
    with pytest.raises(ValueError, match="'A' labelled paper 'p1' twice"):
        merge([*RECORDS, ann("p1", "A")])


def fill(path: Path, values: dict[str, dict[str, object]]) -> Path:
    """Write decisions into an adjudication .xlsx, by paper id and column, as a person would."""
    book = openpyxl.load_workbook(path)
    sheet = book["adjudication"]
    header = [c.value for c in sheet[1]]
    for row in range(2, sheet.max_row + 1):
        for column, value in values.get(str(sheet.cell(row, 1).value), {}).items():
            sheet.cell(row, header.index(column) + 1, value)
    book.save(path)
    return path


def test_adjudication_sheet_and_apply(tmp_path: Path) -> None:
    result = merge(RECORDS)
    csv_path, xlsx_path = write_adjudication_sheet(tmp_path / "adjudication", result, {"p2": "T2"})
    with csv_path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["paper_id"] for r in rows] == ["p2", "p3"]
    assert (rows[0]["title"], rows[0]["to_resolve"], rows[0]["topic_1"], rows[0]["topic_2"]) == (
        "T2", "topic", "privacy", "policy",
    )  # fmt: skip
    assert rows[1]["annotator_1"] == "A" and rows[1]["languages_1"] == "ben;eng"
    assert all(r[f"resolved_{f}"] == "" for r in rows for f in ("topic", "languages"))
    sheet = openpyxl.load_workbook(xlsx_path)["adjudication"]
    assert sheet.freeze_panes == "A2" and len(sheet.data_validations.dataValidation) == 4
    fill(xlsx_path, {
        "p2": {"resolved_topic": "policy", "adjudicator": "Zoe"},
        "p3": {"resolved_languages": "Bengali, English", "resolved_group": "multilingual",
               "adjudicator": "Zoe", "notes": "abstract names both"},
    })  # fmt: skip
    gold = apply_adjudication(result, xlsx_path, tmp_path / "gold.csv")
    by_id = {a.paper_id: a for a in gold}
    assert [a.paper_id for a in gold] == ["p1", "p2", "p3", "p4"]
    assert (by_id["p2"].topic, by_id["p2"].decided_by) == ("policy", "Zoe")
    assert by_id["p3"].languages == ("ben", "eng") and by_id["p3"].topic == "jailbreaking"
    assert by_id["p3"].notes == "abstract names both"
    assert read_gold(tmp_path / "gold.csv") == gold


def test_unresolved_and_invalid_decisions_are_errors(tmp_path: Path) -> None:
    result = merge(RECORDS)
    _, xlsx_path = write_adjudication_sheet(tmp_path / "adjudication", result)
    fill(xlsx_path, {
        "p2": {"resolved_topic": "jailbreak"},  # typo, and no adjudicator
        "p3": {"resolved_languages": "Bengali", "adjudicator": "Zoe"},  # group left unresolved
    })  # fmt: skip
    with pytest.raises(SheetError) as caught:
        apply_adjudication(result, xlsx_path)
    where = {(p.row, p.column): p for p in caught.value.problems}
    assert set(where) == {(2, "adjudicator"), (2, "resolved_topic"), (3, "resolved_group")}
    assert "'jailbreaking'" in where[(2, "resolved_topic")].fix
    assert "unresolved" in where[(3, "resolved_group")].message
    assert "A: multilingual / B: english_only" in where[(3, "resolved_group")].message


def test_missing_rows_and_conflicts_with_gold(tmp_path: Path) -> None:
    result = merge(RECORDS)
    csv_path, _ = write_adjudication_sheet(tmp_path / "adj", result)
    lines = csv_path.read_text(encoding="utf-8-sig").splitlines()
    csv_path.write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")  # p3's row deleted
    with pytest.raises(SheetError, match="adjudicator is empty"):
        apply_adjudication(result, csv_path)
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    rows[0].update(resolved_topic="policy", adjudicator="Zoe")
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(SheetError, match="disputed paper 'p3' has no row"):
        apply_adjudication(result, csv_path)
    partial = write_annotations(tmp_path / "gold.partial.csv", [*result.gold, ann("p2", "gold")])
    with pytest.raises(SheetError, match="'p2' is already in the gold set"):
        apply_adjudication(partial, csv_path)
    write_annotations(partial, result.gold)
    assert [a.paper_id for a in apply_adjudication(partial, csv_path)] == ["p1", "p2", "p4"]
    assert isinstance(MergeResult().gold, list)


# --- the CLI, end to end -------------------------------------------------------------------


@pytest.fixture
def runner_app(monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setattr(cli_annotation.console, "width", 400)  # no folding inside table cells
    app = typer.Typer()
    cli_annotation.register(app)
    return app


def _papers(out: Path, kept: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "papers.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(PAPER_COLUMNS), restval="")
        writer.writeheader()
        writer.writerows(
            {"id": f"p{i:02}", "title": f"T{i}", "related": "true", "languages": "eng"}
            for i in range(kept)
        )


def _label_csv(path: Path, topic_for: dict[str, str]) -> None:
    """Fill an annotator's CSV sheet: English, jailbreaking unless `topic_for` says otherwise."""
    with path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row.update(related="yes", languages="English", group="english_only", documented="y",
                   topic=topic_for.get(row["paper_id"], "jailbreaking"))  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_cli_sheet_import_adjudicate(runner_app: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _papers(out, 20)
    runner = CliRunner()
    made = runner.invoke(
        runner_app, ["sheet", str(out), "--annotators", "A,B,C,D", "--overlap", "3", "--pairs", "4"]
    )
    assert made.exit_code == 0, made.output
    sheets = out / "sheets"
    assert {p.name for p in sheets.iterdir()} >= {"A.csv", "A.xlsx", "D.xlsx", "plan.json"}
    first_pair = sorted(set(_ids(sheets / "A.csv")) & set(_ids(sheets / "B.csv")))
    disputed = first_pair[0]
    for name in "ABCD":
        _label_csv(sheets / f"{name}.csv", {disputed: "privacy"} if name == "B" else {})
    partial = runner.invoke(runner_app, ["import", str(sheets / "A.csv"), "--out", str(out)])
    assert partial.exit_code == 0, partial.output
    assert "warning: pair A+B: only A imported, so their 3 shared papers" in partial.output
    paths = [str(sheets / f"{name}.csv") for name in "ABCD"]
    imported = runner.invoke(runner_app, ["import", *paths, "--out", str(out)])
    assert imported.exit_code == 0, imported.output
    assert "warning" not in imported.output
    assert "1 to adjudicate" in imported.output
    assert len(list(csv.DictReader((out / "annotations.csv").open()))) == 20 + 4 * 3
    assert len(list(csv.DictReader((out / "gold.partial.csv").open()))) == 19
    fill(out / "adjudication.xlsx", {disputed: {"resolved_topic": "privacy", "adjudicator": "Zoe"}})
    done = runner.invoke(
        runner_app, ["adjudicate", str(out / "adjudication.xlsx"), "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    gold = {r["paper_id"]: r for r in csv.DictReader((out / "gold.csv").open())}
    assert len(gold) == 20 and gold[disputed]["decided_by"] == "Zoe"
    assert gold[disputed]["topic"] == "privacy"
    assert {r["decided_by"] for r in gold.values()} == {"agreement", "A", "B", "C", "D", "Zoe"}


def _ids(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig") as handle:
        return [row["paper_id"] for row in csv.DictReader(handle)]


def test_cli_import_reports_problems_and_writes_nothing(
    runner_app: typer.Typer, tmp_path: Path
) -> None:
    sheet = tmp_path / "A.csv"
    sheet.write_text(
        "paper_id,related,languages,group,topic,documented\n"
        "p1,true,[Bengali],non_english,jailbreaking,true\n"
        "p2,true,English,english_only,toxicity,true\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(runner_app, ["import", str(sheet), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "'[Bengali]'" in result.output  # brackets survive: no rich markup
    assert "did you mean 'toxicity_bias'" in result.output
    assert "nothing was written" in result.output
    assert not (tmp_path / "o").exists()


def test_cli_errors(runner_app: typer.Typer, tmp_path: Path) -> None:
    _papers(tmp_path, 10)
    runner = CliRunner()
    few = runner.invoke(runner_app, ["sheet", str(tmp_path), "--annotators", "A,B,C,D"])
    assert few.exit_code == 2 and "need 80 kept papers; only 10" in few.output
    dup = runner.invoke(runner_app, ["sheet", str(tmp_path), "--annotators", "A,A", "--pairs", "0"])
    assert dup.exit_code == 2 and "duplicate annotator name 'A'" in dup.output
    unknown = runner.invoke(
        runner_app,
        ["sheet", str(tmp_path), "--annotators", "A,B", "--pairs", "A+Q", "--overlap", "2"],
    )
    assert unknown.exit_code == 2 and "'Q' is not an annotator" in unknown.output
    no_gold = runner.invoke(
        runner_app, ["adjudicate", str(tmp_path / "x.xlsx"), "--out", str(tmp_path)]
    )
    assert no_gold.exit_code == 2 and "gold.partial.csv not found" in no_gold.output


def test_problem_formats_location() -> None:
    problem = SheetProblem("a.csv", 3, "topic", "topic is 'x'", "use policy")
    assert str(problem) == "a.csv:3 [topic]: topic is 'x'. Fix: use policy"
