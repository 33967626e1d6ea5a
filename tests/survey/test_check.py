"""`langgap survey check`: does a document name its language (PASS / WARN / FAIL)?"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from langgap.survey.check import CheckInputError, check_document
from langgap.survey.cli_fulltext import register


def make_pdf(pages: list[str]) -> bytes:
    """A small multi-page PDF with one text block per page."""
    fpdf = pytest.importorskip("fpdf", reason="test PDFs are generated with fpdf2")
    pytest.importorskip("pypdf", reason="reading PDFs needs pypdf")
    pdf = fpdf.FPDF()
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


PDF_PAGES = [
    "Jailbreaks in Practice\nAbstract\nWe attack chat models.",
    "3 Data\nWe collect 500 prompts written in English.\n"
    "References\nLee. 2022. A German corpus. German German.",
]


def test_pdf_pass_with_page_and_line(tmp_path: Path) -> None:
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(make_pdf(PDF_PAGES))
    result = check_document(pdf)
    assert result.verdict == "PASS" and result.suggestion is None
    assert [u.code for u in result.languages] == ["eng"]
    place = result.languages[0].places[0]
    assert (place.page, place.line) == (2, 2)
    assert "[English]" in place.context
    assert result.ignored_in_references == 3  # German in the references does not count
    assert "p2 line 2" in result.render()
    assert not (tmp_path / "paper.pdf.text.json").exists()  # no cache beside a user's paper


def test_text_file_with_only_a_dataset_warns(tmp_path: Path) -> None:
    doc = tmp_path / "paper.md"
    doc.write_text(
        "# Attacks\n\nWe evaluate on MultiJail.\n\n## References\n\nA French corpus.\n",
        encoding="utf-8",
    )
    result = check_document(str(doc))
    assert result.verdict == "WARN"
    assert result.datasets == ("MultiJail",)
    assert result.suggestion is not None
    assert result.suggestion.startswith("We evaluate on MultiJail, which covers English, Chinese")
    assert "(ISO 639-3: eng, zho" in result.suggestion
    assert result.ignored_in_references == 1
    assert result.languages[0].places[0].line == 3


def test_tex_comments_do_not_count(tmp_path: Path) -> None:
    doc = tmp_path / "paper.tex"
    doc.write_text("We attack chat models. % TODO: say the data is English\n", encoding="utf-8")
    assert check_document(doc).verdict == "FAIL"


def test_literal_strings() -> None:
    fail = check_document("We attack chat models and measure refusals.")
    assert fail.verdict == "FAIL"
    assert fail.suggestion is not None and "English (ISO 639-3: eng)" in fail.suggestion
    claim = check_document("Our attack works across 30 languages.")
    assert claim.verdict == "WARN" and "30 languages" in (claim.suggestion or "")
    ok = check_document("We red-team models in Swahili.")
    assert ok.verdict == "PASS" and ok.languages[0].name == "Swahili"
    assert ok.languages[0].places[0].where() == "line 1, col 23"


def test_unreadable_inputs_get_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CheckInputError, match="no such file"):
        check_document("missing-paper.pdf")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(make_pdf(PDF_PAGES)[:300])
    with pytest.raises(CheckInputError, match=r"broken\.pdf"):
        check_document(broken)


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command("other")
    def other() -> None:  # a second command keeps `check` a subcommand, as in `langgap survey`
        """Unused."""

    return app


def test_cli_exit_codes_and_json(tmp_path: Path) -> None:
    runner = CliRunner()
    app = _app()
    passed = runner.invoke(app, ["check", "We use English prompts."])
    assert passed.exit_code == 0 and "PASS" in passed.output
    failed = runner.invoke(app, ["check", "We use prompts."])
    assert failed.exit_code == 1 and "Suggested sentence" in failed.output
    warned = runner.invoke(app, ["check", "We use MultiJail.", "--allow-warn", "--json"])
    assert warned.exit_code == 0
    data = json.loads(warned.output)
    assert data["verdict"] == "WARN" and data["datasets"] == ["MultiJail"]
    missing = runner.invoke(app, ["check", str(tmp_path / "nope.pdf")])
    assert missing.exit_code == 2
