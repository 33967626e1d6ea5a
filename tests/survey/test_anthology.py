from __future__ import annotations

from pathlib import Path

import pytest

from langgap.survey.parse_cache import read_anthology_cached
from langgap.survey.sources.anthology import locate, read_anthology, read_venues, venue_type
from langgap.survey.sources.errors import SourceError


def test_reads_inner_text_year_and_venue_type(anthology_fixture: Path) -> None:
    papers, issues = read_anthology(anthology_fixture)
    by_id = {p.id: p for p in papers}
    first = by_id["2023.acl-long.1"]
    assert first.title == "Multilingual Jailbreak Challenges in Large Language Models"
    assert first.abstract is not None and "in Bengali and Swahili bypass" in first.abstract
    assert first.year == 2023
    assert first.venue_type == "conference"
    assert first.url == "https://aclanthology.org/2023.acl-long.1"
    assert first.doi == "10.0/x.1"
    assert first.source == "2023.acl.xml#2023.acl-long.1"
    assert by_id["2023.acl-long.5"].abstract == (
        "We parse sentences with graph neural networks. The O(n^2) parser is fast."
    )
    assert by_id["2023.acl-long.4"].abstract is None
    assert by_id["2022.woah-1.1"].venue_type == "workshop"  # non-top-level venue
    assert by_id["2024.trustnlp-1.1"].venue_type == "workshop"  # <venue>ws</venue>
    assert by_id["2021.tacl-1.1"].venue_type == "journal"
    assert by_id["2021.mystery-1.1"].venue_type == "unknown"  # unknown venue is not a crash
    assert len(issues) == 1


def test_malformed_file_is_reported_with_line_and_skipped(anthology_fixture: Path) -> None:
    _, issues = read_anthology(anthology_fixture)
    (issue,) = issues
    assert issue.file.endswith("2023.broken.xml")
    assert issue.line is not None and issue.line > 1
    assert "malformed XML" in issue.message


def test_strict_makes_malformed_file_fatal(anthology_fixture: Path) -> None:
    with pytest.raises(SourceError, match=r"2023\.broken\.xml:\d+"):
        read_anthology(anthology_fixture, strict=True)
    with pytest.raises(SourceError, match=r"2023\.broken\.xml"):
        read_anthology_cached(anthology_fixture, strict=True, use_cache=False)


def test_locate_accepts_checkout_layouts(tmp_path: Path, anthology_fixture: Path) -> None:
    assert locate(anthology_fixture).xml_dir == anthology_fixture / "xml"
    assert locate(anthology_fixture / "xml").venues_dir == anthology_fixture / "yaml" / "venues"
    with pytest.raises(SourceError, match="--anthology PATH"):
        locate(tmp_path)


def test_venue_rules(anthology_fixture: Path) -> None:
    venues = read_venues(anthology_fixture / "yaml" / "venues")
    assert venue_type(["acl"], venues) == "conference"
    assert venue_type(["woah"], venues) == "workshop"
    assert venue_type(["tacl"], venues) == "journal"
    assert venue_type(["nope"], venues) == "unknown"
    assert venue_type(["acl", "ws"], venues) == "workshop"


def test_cache_reuses_unchanged_files_and_reparses_changed(
    tmp_path: Path, anthology_fixture: Path
) -> None:
    import shutil

    root = tmp_path / "anthology"
    shutil.copytree(anthology_fixture, root)
    cache = tmp_path / "cache"
    first, issues, parsed = read_anthology_cached(root, cache_root=cache, workers=1)
    assert parsed == 5 and len(issues) == 1
    second, issues2, parsed2 = read_anthology_cached(root, cache_root=cache, workers=1)
    assert parsed2 == 1  # only the malformed file, which is never cached
    assert [p.id for p in second] == [p.id for p in first]
    assert second == first and len(issues2) == 1
    target = root / "xml" / "2022.woah.xml"
    target.write_text(target.read_text().replace("Chinese hate", "Chinese online hate"))
    third, _, parsed3 = read_anthology_cached(root, cache_root=cache, workers=1)
    assert parsed3 == 2
    assert any("Chinese online hate" in (p.abstract or "") for p in third)


def test_parallel_parse_equals_serial(shared_anthology: Path, tmp_path: Path) -> None:
    serial, _, _ = read_anthology_cached(
        shared_anthology, years=(2024, 2024), use_cache=False, workers=1
    )
    parallel, _, _ = read_anthology_cached(
        shared_anthology, years=(2024, 2024), use_cache=False, workers=2
    )
    assert serial == parallel
    assert len(serial) > 1000
