"""RIS reader: tag mapping, record lines, and records that are broken or stray."""

from __future__ import annotations

from pathlib import Path

import pytest

from langgap.survey.sources.errors import SourceError
from langgap.survey.sources.ris import read_ris

DATA = Path(__file__).resolve().parents[1] / "data"


def test_reads_records_and_maps_tags() -> None:
    papers, _ = read_ris(DATA / "papers.ris")
    assert [p.id for p in papers] == [
        "rahman-etal-2024-multilingual",
        "papers:16",  # no ID tag: file stem and line
        "papers:25",
        "papers:34",
        "papers:51",
    ]
    jailbreak, toxicity, food, redteam, survey = papers
    assert jailbreak.title.endswith("Safety Fails in Bengali and Swahili")
    assert jailbreak.abstract is not None and jailbreak.abstract.endswith("English prompts.")
    assert "  " not in jailbreak.abstract  # continuation lines are joined
    assert jailbreak.authors == ("Anna Müller", "Tanvir Rahman", "Grace Otieno")
    assert (jailbreak.year, jailbreak.venue_type) == (2024, "conference")
    assert (jailbreak.volume, jailbreak.venues) == ("2024.acl-long", ("acl",))
    assert jailbreak.doi == "10.18653/v1/2024.acl-long.101"
    assert jailbreak.url == "https://aclanthology.org/2024.acl-long.101/"
    assert jailbreak.source == "papers.ris:1"
    # A1 authors, BT booktitle, Y1 date and N2 abstract are the alternative tags.
    assert toxicity.authors == ("John Smith", "Mary Jones")
    assert (toxicity.year, toxicity.venue_type) == (2024, "workshop")
    assert toxicity.abstract is not None and "English-only" in toxicity.abstract
    # T1 title, JO journal, DA date.
    assert (food.title, food.year, food.venue_type) == (
        "Predicting Food Safety Violations from Restaurant Reviews",
        2023,
        "journal",
    )
    assert food.booktitle == "Transactions of the Association for Computational Linguistics"
    assert food.doi == "10.1162/tacl_a_00999"
    assert redteam.abstract is None and redteam.venue_type == "conference"
    assert (survey.year, survey.venue_type) == (None, "unknown")


def test_broken_records_become_issues_in_line_order() -> None:
    _, issues = read_ris(DATA / "papers.ris")
    assert [i.line for i in issues] == [41, 46, 51]
    untitled, stray, undated = issues
    assert "no title" in untitled.message and "TI" in untitled.fix
    assert "'TY - JOUR'" in stray.message and "two spaces" in stray.fix
    assert "'forthcoming'" in undated.message and "kept" in undated.message


def test_record_without_end_and_duplicate_ids(tmp_path: Path) -> None:
    path = tmp_path / "cut.ris"
    path.write_bytes(
        b"\xef\xbb\xbfTY  - JOUR\r\nID  - x\r\nTI  - Safety A\r\nPY  - 2020\r\nER  - \r\n"
        b"TY  - JOUR\r\nID  - x\r\nTI  - Safety B\r\nPY  - 2021\r\nER  - \r\n"
        b"TY  - JOUR\r\nTI  - Cut short\r\nPY  - 2022\r\n"
    )
    papers, issues = read_ris(path)
    assert [p.title for p in papers] == ["Safety A"]  # the BOM does not hide the first TY
    assert [(i.line, "already used" in i.message) for i in issues] == [(6, True), (11, False)]
    assert "ER" in issues[1].fix


def test_not_utf8_is_fatal_with_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.ris"
    path.write_bytes(b"TY  - JOUR\nTI  - Caf\xe9\nER  - \n")
    with pytest.raises(SourceError, match=r"latin1\.ris: line 2 is not UTF-8"):
        read_ris(path)
