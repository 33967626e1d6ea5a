from __future__ import annotations

import pytest

from langgap.survey.models import Paper
from langgap.survey.screen import ScreenConfig, screen


def _paper(pid: str, abstract: str | None, year: int | None = 2023, title: str = "T") -> Paper:
    return Paper(id=pid, title=title, abstract=abstract, year=year)


def test_whole_words_case_insensitive_in_abstract() -> None:
    papers = [
        _paper("a", "Model SAFETY matters."),
        _paper("b", "It is Safe."),
        _paper("c", "Safeguards and unsafely written code."),  # not whole words
        _paper("d", None, title="Safety without abstract"),
        _paper("e", "safety", year=2019),
        _paper("f", "safety", year=None),
    ]
    result = screen(papers, ScreenConfig())
    assert [p.id for p, _ in result.screened] == ["a", "b"]
    assert [p.id for p in result.no_abstract] == ["d"]
    assert [p.id for p in result.no_year] == ["f"]
    assert result.in_range == 4
    hit = result.screened[0][1][0]
    assert (hit.field, hit.text, hit.start) == ("abstract", "SAFETY", 6)


def test_configurable_keywords_and_fields() -> None:
    papers = [_paper("a", "We study jailbreaks.", title="Harm"), _paper("b", None, title="Safety")]
    config = ScreenConfig(keywords=("jailbreaks", "safety"), fields=("abstract", "title"))
    result = screen(papers, config)
    assert [p.id for p, _ in result.screened] == ["a", "b"]
    assert [p.id for p in result.no_abstract] == ["b"]  # still counted as lacking an abstract


def test_bad_config_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown screening field"):
        ScreenConfig(fields=("body",))
    with pytest.raises(ValueError, match="non-empty"):
        ScreenConfig(keywords=("",))
    with pytest.raises(ValueError, match="empty"):
        ScreenConfig(years=(2024, 2020))
