"""The generic loader: wide and long tables in every format, and every bad-input path."""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl
import pytest

from langgap.evaluate.benchmarks import (
    BenchmarkError,
    DataNotFoundError,
    TableFormat,
    load_benchmark,
    load_table,
)


def test_wide_csv_normalises_language_columns(prompts_dir: Path) -> None:
    samples, report = load_table(prompts_dir / "wide.csv")
    assert set(report.counts) == {"en", "bn", "sw"}  # "Swahili" column -> sw
    meta = {s.id: s.metadata for s in samples}
    assert meta["wide:p1:sw"] is not None
    assert meta["wide:p1:sw"]["language"] == "swa"
    assert meta["wide:p1:en"]["harmful"] is False and meta["wide:p2:en"]["harmful"] is True
    assert meta["wide:p1:en"]["category"] == "cooking" and meta["wide:p3:en"]["category"] is None
    assert meta["wide:p1:bn"]["source"] == "wide.csv:2"
    assert next(s for s in samples if s.id == "wide:p2:en").input == "Where is the station, please?"
    # the empty Swahili cell is an issue naming file, row and column
    assert [(i.file, i.row, i.field) for i in report.issues] == [("wide.csv", 4, "Swahili")]


def test_wide_tsv_without_optional_columns(prompts_dir: Path) -> None:
    samples, report = load_table(prompts_dir / "wide.tsv", TableFormat(name="greetings"))
    assert [s.id for s in samples] == [
        "greetings:p1:en", "greetings:p1:de", "greetings:p2:en", "greetings:p2:de"
    ]  # fmt: skip
    assert report.benchmark == "greetings" and not report.issues


def test_long_jsonl_pairs_by_id(prompts_dir: Path) -> None:
    samples, report = load_table(prompts_dir / "long.jsonl")
    assert sorted(s.id for s in samples) == ["long:q1:bn", "long:q1:en", "long:q2:en", "long:q2:sw"]
    split = {s.id: s.metadata["split"] for s in samples if s.metadata}
    assert split["long:q2:sw"] == "test" and split["long:q1:en"] is None
    assert not report.issues


def test_long_json_with_configured_columns(prompts_dir: Path) -> None:
    fmt = TableFormat(layout="long", id_column="qid")  # lang/prompt found by their usual names
    samples, _ = load_table(prompts_dir / "long.json", fmt)
    assert sorted(s.id for s in samples) == ["long:a:en", "long:a:fr", "long:b:fr"]


def test_xlsx_wide(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.worksheets[0]
    for row in (["id", "English", "ja"], ["k1", "Hello", "こんにちは"], [None, None, None]):
        sheet.append(row)
    book.save(tmp_path / "sheet.xlsx")
    samples, report = load_table(tmp_path / "sheet.xlsx")
    assert [s.id for s in samples] == ["sheet:k1:en", "sheet:k1:ja"]
    assert report.rows_read == 1


def test_unknown_language_column_lists_close_matches(prompts_dir: Path) -> None:
    with pytest.raises(
        BenchmarkError, match=r"bad_language_column\.csv: column 'Bengalee'.*Bengali"
    ):
        load_table(prompts_dir / "bad_language_column.csv")
    # leaving the column out is the documented fix
    fmt = TableFormat(ignore_columns=("Bengalee",))
    samples, _ = load_table(prompts_dir / "bad_language_column.csv", fmt)
    assert [s.id for s in samples] == ["bad_language_column:p1:en"]


def test_missing_column_names_file_column_and_columns_found(prompts_dir: Path) -> None:
    path = prompts_dir / "missing_text_column.csv"
    with pytest.raises(
        BenchmarkError, match=r"missing_text_column\.csv.*text column.*id, language, prompt_txt"
    ):
        load_table(path, TableFormat(layout="long"))
    with pytest.raises(BenchmarkError, match=r"no category column 'topic'; columns found: id"):
        load_table(path, TableFormat(category_column="topic"))
    samples, _ = load_table(path, TableFormat(text_column="prompt_txt"))
    assert [s.id for s in samples] == ["missing_text_column:p1:en"]


def test_unparsable_csv_rows_are_reported_not_dropped(prompts_dir: Path) -> None:
    samples, report = load_table(prompts_dir / "bad_rows.csv")
    assert sorted(s.id for s in samples) == ["bad_rows:p1:bn", "bad_rows:p1:en", "bad_rows:p4:bn"]
    assert [(i.row, i.field) for i in report.issues] == [
        (3, "harmful"), (4, None), (5, "id"), (6, "en"),
    ]  # fmt: skip
    assert all(i.file == "bad_rows.csv" and i.fix for i in report.issues)


def test_unparsable_jsonl_lines_are_reported(prompts_dir: Path) -> None:
    samples, report = load_table(prompts_dir / "bad_rows.jsonl")
    assert [s.id for s in samples] == ["bad_rows:r1:en"]
    reasons = {i.row: i.message for i in report.issues}
    assert set(reasons) == {2, 3, 4, 5, 6}
    assert reasons[2].startswith("not valid JSON") and reasons[3] == "not a JSON object"
    assert "Klingon" in reasons[4]  # close match offered for an unknown language value
    assert report.rows_read == 6


def test_bad_files(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"a": 1}', encoding="utf-8")
    with pytest.raises(BenchmarkError, match="expected a JSON list"):
        load_table(tmp_path / "x.json")
    (tmp_path / "x.parquet").write_bytes(b"")
    with pytest.raises(BenchmarkError, match="unsupported file type"):
        load_table(tmp_path / "x.parquet")
    (tmp_path / "latin1.csv").write_bytes("id,en\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(BenchmarkError, match=r"latin1\.csv: not UTF-8"):
        load_table(tmp_path / "latin1.csv")
    with pytest.raises(DataNotFoundError, match="hf:owner/name"):
        load_table(tmp_path / "absent.csv")


def test_hub_id_needs_the_datasets_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "datasets", None)  # as if it were not installed
    with pytest.raises(BenchmarkError, match="needs the `datasets` library"):
        load_table("hf:owner/name")


def test_load_benchmark_accepts_a_path_and_rejects_unknown_names(prompts_dir: Path) -> None:
    samples, report = load_benchmark(prompts_dir / "wide.csv", languages=["Bengali"])
    assert {s.metadata["language_tag"] for s in samples if s.metadata} == {"bn"}
    assert report.selected == len(samples) == 3
    with pytest.raises(BenchmarkError, match=r"unknown benchmark 'multijale'.*multijail"):
        load_benchmark("multijale")
