"""One meaning per option name: a judging or annotating model is never `--model` (docs/cli.md).

The old spellings still work for one release, with a notice that names the new one."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from langgap.cli import app
from langgap.cli_options import renamed


def _table(tmp_path: Path) -> Path:
    table = tmp_path / "labels.csv"
    rows = ["id,prompt,response,label,language", "1,q,\"I'm sorry, I can't.\",refused,en"]
    table.write_text("\n".join(rows) + "\n")
    return table


def test_renamed_prefers_the_new_spelling_and_refuses_two_different_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert renamed("a", None, old_name="--model", new_name="--judge-model") == "a"
    assert capsys.readouterr().err == ""
    assert renamed(None, "b", old_name="--model", new_name="--judge-model") == "b"
    assert "use --judge-model" in capsys.readouterr().err
    with pytest.raises(typer.BadParameter, match="give only --judge-model"):
        renamed("a", "b", old_name="--model", new_name="--judge-model")


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # rich does not wrap the error sentences


@pytest.mark.parametrize("command", ["eval", "calibrate"])
def test_judge_commands_name_the_judge_model_option(command: str, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["judge", command, "--judge", "llm", "--data", str(_table(tmp_path))]
    missing = runner.invoke(app, base)
    assert missing.exit_code == 2 and "--judge-model" in missing.output
    both = runner.invoke(app, [*base, "--judge-model", "mockllm/a", "--model", "mockllm/b"])
    assert both.exit_code == 2 and "give only --judge-model" in both.output
    help_text = runner.invoke(app, ["judge", command, "--help"]).output
    assert "--judge-model" in help_text and "--model " not in help_text


def test_survey_llm_annotator_names_its_model_option() -> None:
    runner = CliRunner()
    args = ["survey", "run", "--annotator", "llm", "--papers", "x.bib", "--out", "unused"]
    missing = runner.invoke(app, args)
    assert missing.exit_code == 2 and "--annotator-model" in missing.output
    assert "--annotator-model" in runner.invoke(app, ["survey", "run", "--help"]).output
