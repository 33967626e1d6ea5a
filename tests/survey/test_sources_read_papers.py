"""read_papers: one entry point that picks the reader by suffix or folder layout."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from langgap.survey.models import Paper
from langgap.survey.sources import anthology, has_anthology_xml, read_papers
from langgap.survey.sources.errors import SourceError, SourceIssue

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize("name", ["papers.bib", "papers.ris", "papers.csv"])
def test_dispatch_by_suffix(name: str) -> None:
    papers, issues = read_papers(DATA / name)
    titles = {p.title for p in papers}
    assert "Predicting Food Safety Violations from Restaurant Reviews" in titles
    assert any("Bengali and Swahili" in t for t in titles)
    assert issues and all(i.file.endswith(name) for i in issues)


def test_bib_gz_and_bibtex_suffixes(tmp_path: Path) -> None:
    packed = tmp_path / "anthology+abstracts.bib.gz"
    packed.write_bytes(gzip.compress((DATA / "papers.bib").read_bytes()))
    renamed = tmp_path / "refs.BibTeX"
    renamed.write_bytes((DATA / "papers.bib").read_bytes())
    assert len(read_papers(packed)[0]) == len(read_papers(renamed)[0]) == 5


def test_anthology_folder_goes_to_the_anthology_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Path] = []

    def fake(root: Path) -> tuple[list[Paper], list[SourceIssue]]:
        calls.append(root)
        return [], []

    monkeypatch.setattr(anthology, "read_anthology", fake)
    for layout in ("data/xml", "xml", "."):
        root = tmp_path / layout.replace("/", "_")
        (root / layout).mkdir(parents=True, exist_ok=True)
        (root / layout / "2024.acl.xml").write_text("<collection/>", encoding="utf-8")
        assert has_anthology_xml(root)
        read_papers(root)
    assert len(calls) == 3


def test_unknown_suffix_lists_formats(tmp_path: Path) -> None:
    path = tmp_path / "papers.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(SourceError, match=r"papers\.json.*'\.json'.*\.bib.*\.ris.*\.csv.*\.xlsx"):
        read_papers(path)


def test_missing_path_and_folder_without_xml(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        read_papers(tmp_path / "absent.bib")
    with pytest.raises(SourceError, match="no ACL Anthology XML"):
        read_papers(tmp_path)
