"""Reading filled sheets: normalisation through the registry, and every kind of bad input."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from langgap.survey.pipeline import PAPER_COLUMNS
from langgap.survey.sheet_import import (
    SheetError,
    SheetProblem,
    import_sheets,
    parse_bool,
    read_sheet,
)
from langgap.survey.sheets import make_sheets

HEADER = ["paper_id", "title", "related", "languages", "group", "topic", "documented", "notes"]


def csv_sheet(
    path: Path, rows: list[list[str]], header: list[str] = HEADER, bom: bool = False
) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def xlsx_sheet(path: Path, rows: list[list[object]], header: list[str] = HEADER) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "labels"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_papers(out: Path, kept: int) -> None:
    """A minimal OUT/papers.csv with `kept` related papers."""
    with (out / "papers.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(PAPER_COLUMNS), restval="")
        writer.writeheader()
        writer.writerows({"id": f"p{i}", "title": f"T{i}", "related": "true"} for i in range(kept))


def problems_of(path: Path) -> list[SheetProblem]:
    with pytest.raises(SheetError) as caught:
        read_sheet(path)
    return caught.value.problems


GOOD = [
    ["p1", "T1", "true", "Bangla; zh; Chinese", "multilingual", "jailbreaking", "yes", "ok"],
    ["p2", "T2", "Y", "Hinglish", "multilingual", "toxicity_bias", "0", ""],
    ["p3", "T3", "no", "", "", "", "", "food safety"],
    ["p4", "T4", "1", "English", "english_only", "Hallucination", "N", ""],
    ["p5", "T5", "TRUE", "sw / Swahili and yo", "Multilingual", "privacy", "false", ""],
]


def test_reads_and_normalises_a_csv(tmp_path: Path) -> None:
    records = read_sheet(csv_sheet(tmp_path / "alice.csv", GOOD))
    by_id = {r.paper_id: r for r in records}
    assert [r.annotator for r in records] == ["alice"] * 5
    assert by_id["p1"].languages == ("ben", "zho") and by_id["p1"].documented is True
    assert by_id["p1"].notes == "ok"
    assert by_id["p2"].languages == ("eng", "hin")  # Hinglish counts as both
    assert (by_id["p3"].related, by_id["p3"].languages, by_id["p3"].topic) == (
        False, (), "not_safety",
    )  # fmt: skip
    assert by_id["p4"].topic == "hallucination" and by_id["p4"].documented is False
    assert by_id["p5"].languages == ("swa", "yor") and by_id["p5"].group == "multilingual"
    assert read_sheet(tmp_path / "alice.csv", annotator="Alice B.")[0].annotator == "Alice B."


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("No", False), ("Y", True), ("n", False), ("1", True), (0, False),
     (True, True), ("maybe", None), ("", None)],
)  # fmt: skip
def test_parse_bool(text: object, expected: bool | None) -> None:
    assert parse_bool(text) is expected


def test_every_bad_row_is_named_and_the_sheet_contributes_nothing(tmp_path: Path) -> None:
    rows = [
        GOOD[0],
        ["p2", "T2", "maybe", "English", "english_only", "policy", "true", ""],
        ["p3", "T3", "true", "Bnagla", "non_english", "policy", "true", ""],
        ["p4", "T4", "true", "", "english_only", "policy", "true", ""],
        ["p5", "T5", "true", "English", "english_only", "toxicity", "true", ""],
        ["p6", "T6", "true", "English", "english_only", "jailbreak", "true", ""],
        ["p7", "T7", "true", "Bengali; English", "non_english", "policy", "true", ""],
        ["", "T8", "true", "English", "english_only", "policy", "", ""],
    ]
    problems = problems_of(csv_sheet(tmp_path / "bob.csv", rows))
    where = {(p.row, p.column) for p in problems}
    assert where == {
        (3, "related"), (4, "languages"), (5, "languages"), (6, "topic"), (7, "topic"),
        (8, "group"), (9, "paper_id"), (9, "documented"),
    }  # fmt: skip
    text = {(p.row, p.column): f"{p.message} | {p.fix}" for p in problems}
    assert "Bangla" in text[(4, "languages")]  # the registry's suggestion
    assert "'toxicity_bias'" in text[(6, "topic")]
    assert "'jailbreaking'" in text[(7, "topic")]
    assert "write 'multilingual'" in text[(8, "group")]
    assert all(p.file.endswith("bob.csv") and p.fix for p in problems)
    with pytest.raises(SheetError) as caught:
        read_sheet(tmp_path / "bob.csv")
    assert str(caught.value).count("bob.csv:") == len(problems)  # all of them, not the first


def test_renamed_and_missing_columns(tmp_path: Path) -> None:
    header = ["Paper ID", "related", "langs", "group", "Topic", "documentd"]
    problems = problems_of(csv_sheet(tmp_path / "c.csv", [["p1"] * 6], header=header))
    fixes = {p.column: p.fix for p in problems}
    assert set(fixes) == {"languages", "documented"}  # 'Paper ID' and 'Topic' are accepted
    assert fixes["documented"] == "rename column 'documentd' to 'documented'"
    assert all(p.row == 1 for p in problems)
    assert "expected: paper_id, related" in problems[0].message
    assert "found: paper_id, related, langs" in problems[0].message


def test_boms_semicolons_and_blank_trailing_rows(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")  # European Excel
        writer.writerow(HEADER)
        writer.writerows(GOOD[:2])
        writer.writerows([[""] * 8, ["  "] * 8, []])
    assert [r.paper_id for r in read_sheet(path)] == ["p1", "p2"]
    xlsx = xlsx_sheet(
        tmp_path / "e.xlsx", [*GOOD[:1], [None] * 8, ["", " "]], ["\ufeffpaper_id", *HEADER[1:]]
    )
    assert [r.paper_id for r in read_sheet(xlsx)] == ["p1"]


def test_duplicate_ids_name_both_rows(tmp_path: Path) -> None:
    problems = problems_of(csv_sheet(tmp_path / "f.csv", [GOOD[0], GOOD[1], GOOD[0]]))
    assert [(p.row, p.column) for p in problems] == [(4, "paper_id")]
    assert "rows 2 and 4" in problems[0].message


def test_excel_dates_and_numbers_where_text_is_expected(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        [dt.datetime(2023, 1, 5), "T", "true", "English", "english_only", "policy", "true"],
        [20231, "T", "true", "English", "english_only", "policy", "true"],
        ["p3", "T", True, 7, "english_only", "policy", 1],
    ]
    problems = problems_of(xlsx_sheet(tmp_path / "g.xlsx", rows))
    assert [(p.row, p.column) for p in problems] == [
        (2, "paper_id"),
        (3, "paper_id"),
        (4, "languages"),
    ]
    assert "a date/time (2023-01-05" in problems[0].message
    assert "a number (20231)" in problems[1].message
    assert "format the column as Text" in problems[0].fix
    rewritten = csv_sheet(tmp_path / "h.csv", [["2.02E+13", *GOOD[0][1:]]])
    assert "Excel rewrote" in problems_of(rewritten)[0].message


def test_merged_cells_are_named(tmp_path: Path) -> None:
    path = xlsx_sheet(tmp_path / "m.xlsx", [GOOD[0], GOOD[1], GOOD[3]])
    book = openpyxl.load_workbook(path)
    book["labels"].merge_cells("F2:F3")  # topic of p1 and p2
    book.save(path)
    problems = problems_of(path)
    assert [(p.row, p.column) for p in problems] == [(2, "F2:F3")]
    assert "merged" in problems[0].message and "unmerge" in problems[0].fix.lower()


def test_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "x.xlsx").write_bytes(b"not a zip")
    assert "not a readable .xlsx" in problems_of(tmp_path / "x.xlsx")[0].message
    (tmp_path / "l.csv").write_bytes("paper_id\n\xe9".encode("latin-1"))
    assert "UTF-8" in problems_of(tmp_path / "l.csv")[0].fix
    assert problems_of(tmp_path / "absent.csv")[0].message == "file not found"
    (tmp_path / "empty.csv").write_text("")
    assert "empty" in problems_of(tmp_path / "empty.csv")[0].message


def test_xlsx_round_trip_from_make_sheets(tmp_path: Path) -> None:
    write_papers(tmp_path, kept=12)
    plan = make_sheets(tmp_path, ["A", "B"], overlap=4, pairs=1)
    path = tmp_path / "sheets" / "A.xlsx"
    book = openpyxl.load_workbook(path)
    sheet = book["labels"]
    header = [c.value for c in sheet[1]]
    col = {name: header.index(name) + 1 for name in header}
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row, col["related"], "true")
        sheet.cell(row, col["languages"], "Bengali; English")
        sheet.cell(row, col["group"], "multilingual")
        sheet.cell(row, col["topic"], "jailbreaking")
        sheet.cell(row, col["documented"], True)  # Excel's own boolean
    book.save(path)
    records = read_sheet(path)
    assert [r.paper_id for r in records] == list(plan.assignments["A"])
    assert {(r.annotator, r.languages, r.group, r.documented) for r in records} == {
        ("A", ("ben", "eng"), "multilingual", True)
    }


def test_import_sheets_keeps_good_sheets_and_reports_bad_ones(tmp_path: Path) -> None:
    good = csv_sheet(tmp_path / "ann.csv", GOOD)
    bad = csv_sheet(
        tmp_path / "bo.csv", [GOOD[0], ["p9", "T", "true", "Klingonese?", "", "", "", ""]]
    )
    (tmp_path / "sub").mkdir()
    again = csv_sheet(tmp_path / "sub" / "ann.csv", GOOD)
    result = import_sheets([good, bad, again])
    assert list(result.annotations) == ["ann"] and len(result.all_annotations) == 5
    assert result.failed == [str(bad), str(again)]
    assert {p.row for p in result.problems if p.file == str(bad)} == {3}
    assert any("already imported" in p.message for p in result.problems)


def test_unlisted_languages_count_in_the_disagreement_check(tmp_path: Path) -> None:
    """Two sheets naming the same languages but different "+N" parts disagree on languages."""
    from langgap.survey.adjudicate import merge

    row = ["true", "", "multilingual", "jailbreaking", "yes", ""]
    ana = csv_sheet(
        tmp_path / "ana.csv",
        [
            ["q1", "T1", row[0], "eng;+9", *row[2:]],
            ["q2", "T2", row[0], "eng;+?", *row[2:]],
            ["q3", "T3", row[0], "deu;eng;+3", *row[2:]],
            ["q4", "T4", row[0], "hin;eng", *row[2:]],
        ],
    )
    ben = csv_sheet(
        tmp_path / "ben.csv",
        [
            ["q1", "T1", row[0], "English; +9", *row[2:]],  # same, written differently
            ["q2", "T2", row[0], "eng;+12", *row[2:]],  # named agree, unlisted differ
            ["q3", "T3", row[0], "deu;eng", *row[2:]],  # the +3 is missing
            ["q4", "T4", row[0], "hin;eng;+?", *row[2:]],
        ],
    )
    result = import_sheets([ana, ben])
    assert not result.problems
    merged = merge(result.all_annotations)
    assert [a.paper_id for a in merged.gold] == ["q1"]
    assert merged.gold[0].unlisted == ("+9",)
    disputes = {d.paper_id: d.fields for d in merged.disputes}
    assert disputes == {"q2": ("languages",), "q3": ("languages",), "q4": ("languages",)}
