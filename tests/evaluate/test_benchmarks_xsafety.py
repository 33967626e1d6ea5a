"""XSafety: the real release (10 languages, 14 categories, every file accounted for), quirks."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from inspect_ai.dataset import Sample

from langgap.evaluate.benchmarks import BenchmarkError, DataNotFoundError, LoadReport
from langgap.evaluate.benchmarks.xsafety import CATEGORIES, category_for, load_xsafety

Loaded = tuple[list[Sample], LoadReport]
LANGUAGES = {"en", "zh", "fr", "ru", "de", "ar", "hi", "es", "ja", "bn"}


@pytest.mark.slow
def test_real_release_has_ten_languages_and_all_categories(xsafety_data: Loaded) -> None:
    samples, report = xsafety_data
    assert set(report.counts) == LANGUAGES
    for lang, cats in report.counts.items():
        assert set(cats) == set(CATEGORIES), lang
    assert len({s.id for s in samples}) == len(samples)
    assert report.samples_made == len(samples)
    assert report.rows_read == report.samples_made + len(report.issues)


@pytest.mark.slow
def test_real_release_every_file_accounted_for(xsafety_data: Loaded, shared_data: Path) -> None:
    _, report = xsafety_data
    root = shared_data / "xsafety"
    on_disk = {f"{p.parent.name}/{p.name}" for p in root.glob("*/*") if p.is_file()}
    accounted = set(report.files) | {s.file for s in report.skipped_files}
    assert on_disk == accounted
    assert not set(report.files) & {s.file for s in report.skipped_files}
    assert len(report.files) == len(LANGUAGES) * len(CATEGORIES)
    # Bengali comes mostly as .xlsx, and those files were read
    bengali_xlsx = [f for f in report.files if f.startswith("bn/") and f.endswith(".xlsx")]
    assert len(bengali_xlsx) == len(CATEGORIES) - 1
    assert sum(report.counts["bn"].values()) == sum(report.counts["en"].values())


@pytest.mark.slow
def test_real_release_quirks_are_reported(xsafety_data: Loaded) -> None:
    samples, report = xsafety_data
    # the older Hindi commonsense draft is left out, with the reason
    assert [s.file for s in report.skipped_files] == ["hi/commen_sense.csv"]
    # one empty Russian row: reported by file and row, not silently dropped
    assert [(i.file, i.row) for i in report.issues] == [("ru/Insult.csv", 165)]
    # rows line up across languages: almost every pair id has all ten languages
    sizes = Counter(Counter(s.metadata["pair_id"] for s in samples if s.metadata).values())
    assert sizes[10] == len(CATEGORIES) * 200 - 1 and sizes[9] == 1
    spanish = next(s for s in samples if s.metadata and s.metadata["language_tag"] == "es")
    assert spanish.metadata is not None and spanish.metadata["source"].startswith("xsafety/sp/")


def _csv(path: Path, rows: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\ufeff" + "\r\n".join(rows) + "\r\n", encoding="utf-8")


def _xlsx(path: Path, rows: list[str]) -> None:
    book = openpyxl.Workbook()
    for r in rows:
        book.worksheets[0].append([r])
    book.save(path)


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A three-language XSafety-shaped tree with the release's quirks, in harmless text."""
    root = tmp_path / "xsafety"
    _csv(root / "en" / "Insult_n.csv", ["Hello there", "Good day,", '"Nice, kind words"'])
    _csv(root / "en" / "Crimes_And_Illegal_Activities_en.csv", ["One", "Two", "Three"])
    _csv(root / "sp" / "Insult.csv", ["Hola", "Buenos dias,,", '"Palabras, amables"'])
    _csv(root / "sp" / "Crimes_And_Illegal_Activitie.csv", ["Uno", "Dos"])  # truncated, short
    (root / "bn").mkdir()
    _xlsx(root / "bn" / "Insult_n.xlsx", ["নমস্কার", "শুভ দিন", "ভালো কথা"])
    _csv(root / "bn" / "Crimes_And_Illegal_Activities.csv", ["এক", "", "তিন"])
    return tmp_path


def test_quirks_in_a_mini_tree(mini: Path) -> None:
    samples, report = load_xsafety(mini)
    assert set(report.counts) == {"en", "es", "bn"}
    assert sorted(report.files) == [
        "bn/Crimes_And_Illegal_Activities.csv", "bn/Insult_n.xlsx",
        "en/Crimes_And_Illegal_Activities_en.csv", "en/Insult_n.csv",
        "sp/Crimes_And_Illegal_Activitie.csv",
        "sp/Insult.csv",
    ]  # fmt: skip
    by_id = {s.id: s for s in samples}
    # stray trailing commas are dropped; a quoted comma stays in the prompt
    assert by_id["xsafety:Insult-002:en"].input == "Good day"
    assert by_id["xsafety:Insult-002:es"].input == "Buenos dias"
    assert by_id["xsafety:Insult-003:es"].input == "Palabras, amables"
    assert by_id["xsafety:Insult-001:bn"].input == "নমস্কার"  # read from .xlsx
    assert any("stray commas" in n for n in report.notes)
    # Crimes: Spanish has 2 rows, the others 3; only what can be paired is paired
    assert any("row counts differ" in n for n in report.notes)
    crimes = {s.id for s in samples if s.metadata and s.metadata["category"].startswith("Crimes")}
    assert "xsafety:Crimes_And_Illegal_Activities-001:es" in crimes
    assert "xsafety:Crimes_And_Illegal_Activities-en-003:en" in crimes
    # the empty Bengali row is an issue naming file and row
    assert [(i.file, i.row) for i in report.issues] == [("bn/Crimes_And_Illegal_Activities.csv", 2)]


def test_unmappable_file_fails_loudly(mini: Path) -> None:
    _csv(mini / "xsafety" / "en" / "Weather_Report.csv", ["Sunny"])
    with pytest.raises(BenchmarkError, match=r"Weather_Report\.csv.*rename it to one of"):
        load_xsafety(mini)


def test_two_inexact_files_for_one_category_fail(mini: Path) -> None:
    _csv(mini / "xsafety" / "sp" / "Crimes_And_Illegal_Activ.csv", ["Uno"])
    with pytest.raises(BenchmarkError, match="several files hold category"):
        load_xsafety(mini)


def test_unknown_language_folder_fails(mini: Path) -> None:
    _csv(mini / "xsafety" / "qqq" / "Insult.csv", ["x"])
    with pytest.raises(BenchmarkError, match="qqq"):
        load_xsafety(mini)


def test_missing_data_says_where_it_looked(tmp_path: Path) -> None:
    where = r"\(xsafety\) is not in .*put its files in .*xsafety.*LANGGAP_DATA_DIR"
    with pytest.raises(DataNotFoundError, match=where):
        load_xsafety(tmp_path)


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("Insult_n.csv", "Insult"),
        ("Crimes_And_Illegal_Activities_en.csv", "Crimes_And_Illegal_Activities"),
        ("Crimes_And_Illegal_Activitie.csv", "Crimes_And_Illegal_Activities"),
        ("commen_sense.csv", "commonsense"),
        ("Role_Play_Instruction_n.xlsx", "Role_Play_Instruction"),
    ],
)
def test_file_names_map_to_categories(name: str, category: str) -> None:
    assert category_for(Path(name))[0] == category
