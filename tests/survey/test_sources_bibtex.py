"""BibTeX reader: field mapping, LaTeX clean-up, broken entries, gzip and the chunked read."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import pytest

from langgap.survey.sources import bibtex
from langgap.survey.sources.bibtex import latex_to_text, read_bibtex
from langgap.survey.sources.errors import SourceError

DATA = Path(__file__).resolve().parents[1] / "data"


def test_reads_good_entries_and_maps_fields() -> None:
    papers, _ = read_bibtex(DATA / "papers.bib")
    by_id = {p.id: p for p in papers}
    assert list(by_id) == [
        "rahman-etal-2024-multilingual",
        "smith-jones-2024-measuring",
        "chen-2023-food",
        "lee-2022-redteam",
        "undated-survey",
    ]  # the @proceedings volume record is not a paper
    jailbreak = by_id["rahman-etal-2024-multilingual"]
    assert jailbreak.title == (
        "Multilingual Jailbreak Attacks on LLMs: Safety Fails in Bengali and Swahili"
    )
    assert jailbreak.abstract is not None
    assert "aligned models" in jailbreak.abstract and "90% to 31%" in jailbreak.abstract
    assert jailbreak.year == 2024
    assert jailbreak.authors == ("Anna Müller", "Tanvir Rahman", "Grace Otieno")
    assert jailbreak.venue_type == "conference"
    assert jailbreak.volume == "2024.acl-long" and jailbreak.venues == ("acl",)
    assert jailbreak.booktitle.startswith("Proceedings of the 62nd Annual Meeting")
    assert jailbreak.url == "https://aclanthology.org/2024.acl-long.101/"
    assert jailbreak.doi == "10.18653/v1/2024.acl-long.101"
    assert jailbreak.source == "papers.bib:9"
    assert by_id["smith-jones-2024-measuring"].title.startswith("Measuring Toxicity & Bias")
    assert by_id["smith-jones-2024-measuring"].venue_type == "workshop"
    food = by_id["chen-2023-food"]
    assert (food.venue_type, food.booktitle) == (
        "journal",
        "Transactions of the Association for Computational Linguistics",
    )
    assert food.doi == "10.1162/tacl_a_00999"
    assert by_id["lee-2022-redteam"].abstract is None
    assert by_id["lee-2022-redteam"].venue_type == "conference"  # Findings is not a workshop
    assert by_id["undated-survey"].year is None
    assert by_id["undated-survey"].venue_type == "unknown"


def test_broken_entries_become_issues_with_lines() -> None:
    _, issues = read_bibtex(DATA / "papers.bib")
    assert [(i.line, i.file) for i in issues] == [(51, str(DATA / "papers.bib"))] * 1 + [
        (56, str(DATA / "papers.bib")),
        (61, str(DATA / "papers.bib")),
    ]
    unclosed, untitled, undated = issues
    assert "could not be parsed" in unclosed.message and "braces" in unclosed.fix
    assert "untitled-2024" in untitled.message and "title" in untitled.fix
    assert "'forthcoming'" in undated.message and "kept" in undated.message
    assert str(undated).startswith(f"{DATA / 'papers.bib'}:61: ")


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        ("{B}ERT and {LLM}s", "BERT and LLMs"),
        (r"\textit{aligned} \emph{models}", "aligned models"),
        (r"Toxicity \& Bias, 90\% \$5 a\_b", "Toxicity & Bias, 90% $5 a_b"),
        (r"M{\"u}ller, \'{\i}ñ, \v{S}ar\c{c}e, Bj{\o}rn, {\ss}", "Müller, íñ, Šarçe, Bjørn, ß"),
        (r"{\em Safety} first -- really --- yes", "Safety first – really — yes"),
        (r"$\alpha$-refusal \textsc{SafeBench}", "alpha-refusal SafeBench"),
        ("a\n   multi-line   title", "a multi-line title"),
        (r"\url{https://x.org/a_b}", "https://x.org/a_b"),
    ],
)
def test_latex_to_text(latex: str, text: str) -> None:
    assert latex_to_text(latex) == text


def test_gzip_file_reads_like_plain(tmp_path: Path) -> None:
    packed = tmp_path / "anthology+abstracts.bib.gz"
    packed.write_bytes(gzip.compress((DATA / "papers.bib").read_bytes()))
    plain = read_bibtex(DATA / "papers.bib")
    zipped = read_bibtex(packed)
    assert [p.title for p in zipped[0]] == [p.title for p in plain[0]]
    assert [i.line for i in zipped[1]] == [i.line for i in plain[1]]
    assert zipped[0][0].source == "anthology+abstracts.bib.gz:9"


def test_chunked_read_keeps_lines_strings_and_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "many.bib"
    head = '@string{woah = "Proceedings of the Workshop on Online Abuse and Harms"}\n\n'
    path.write_text(head + _entries(60) + _entry(7), encoding="utf-8")
    whole = read_bibtex(path)
    monkeypatch.setattr(bibtex, "CHUNK_CHARS", 2_000)  # forces ~30 chunks
    chunked = read_bibtex(path)
    assert chunked == whole
    papers, issues = chunked
    assert len(papers) == 60
    assert papers[1].booktitle == "Proceedings of the Workshop on Online Abuse and Harms"
    assert papers[1].venue_type == "workshop"  # the @string defined in the first chunk
    assert [p.source for p in papers[:2]] == ["many.bib:3", "many.bib:16"]
    assert len(issues) == 1 and "ku-etal-2024-p7" in issues[0].message


def test_missing_comma_is_an_issue_not_a_merged_field(tmp_path: Path) -> None:
    path = tmp_path / "comma.bib"
    path.write_text(
        "@inproceedings{a,\n  title = {Safety first}\n  year = {2024}\n}\n\n"
        "@inproceedings{b,\n  title = {Still read},\n  year = {2023},\n}\n",
        encoding="utf-8",
    )
    papers, issues = read_bibtex(path)
    assert [p.id for p in papers] == ["b"]
    assert issues[0].line == 2 and "'title'" in issues[0].message and "comma" in issues[0].fix


def test_duplicate_keys_and_fields(tmp_path: Path) -> None:
    path = tmp_path / "dup.bib"
    path.write_text(
        "@misc{a, title = {One}, year = 2024}\n@misc{a, title = {Two}, year = 2024}\n"
        "@misc{c, title = {Three}, title = {Again}, year = 2024}\n",
        encoding="utf-8",
    )
    papers, issues = read_bibtex(path)
    assert [p.title for p in papers] == ["One"]
    assert [i.line for i in issues] == [2, 3]
    assert "already used" in issues[0].message and "title" in issues[1].message


def test_not_utf8_is_fatal_with_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.bib"
    path.write_bytes(b"@misc{a,\n  title = {Caf\xe9},\n}\n")
    with pytest.raises(SourceError, match=r"latin1\.bib: line 2 is not UTF-8.*UTF-8"):
        read_bibtex(path)


def test_truncated_gzip_is_fatal(tmp_path: Path) -> None:
    path = tmp_path / "cut.bib.gz"
    path.write_bytes(gzip.compress(_entries(200).encode())[:3000])
    with pytest.raises(SourceError, match=r"damaged or incomplete.*download it again"):
        read_bibtex(path)


def test_missing_file_is_fatal(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        read_bibtex(tmp_path / "nope.bib")


def test_anthology_sized_export_reads_every_entry(tmp_path: Path) -> None:
    """5,000 entries shaped like anthology+abstracts.bib.gz (about 11 MB unzipped)."""
    path = tmp_path / "anthology+abstracts.bib.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write(_entries(5_000))
    clock = time.perf_counter()
    papers, issues = read_bibtex(path)
    seconds = time.perf_counter() - clock
    print(f"read 5,000 Anthology-style BibTeX entries in {seconds:.2f} s")
    assert len(papers) == 5_000 and not issues
    assert papers[-1].authors == ("Lun-Wei Ku", "André Müller", "Vivek Srikumar")


def _entries(n: int) -> str:
    return "".join(_entry(i) for i in range(1, n + 1))


def _entry(i: int, key: str | None = None) -> str:
    """One entry as the Anthology exports it (two spaces before "and", month as a macro)."""
    booktitle = "woah" if i % 2 == 0 else '"Proceedings of ACL 2024 (Volume 1: Long Papers)"'
    abstract = " ".join(["We study multilingual jailbreak safety in Bengali and Swahili."] * 12)
    return (
        f"@inproceedings{{{key or f'ku-etal-2024-p{i}'},\n"
        f'    title = "{{B}}ERT-based Safety Paper {i}",\n'
        '    author = "Ku, Lun-Wei  and\n      M{\\"u}ller, Andr{\\\'e}  and\n'
        '      Srikumar, Vivek",\n'
        f"    booktitle = {booktitle},\n"
        '    month = aug,\n    year = "2024",\n'
        f'    url = "https://aclanthology.org/2024.acl-long.{i}/",\n'
        f'    doi = "10.18653/v1/2024.acl-long.{i}",\n'
        f'    abstract = "{abstract}",\n'
        "}\n\n"
    )
