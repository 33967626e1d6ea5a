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


def _survey_run(anthology: Path, out: Path) -> None:
    args = ["survey", "run", "--anthology", str(anthology), "--out", str(out),
            "--years", "2020-2024", "--no-report"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output


def test_survey_sheet_writes_where_out_says_and_beside_the_run_by_default(
    anthology_fixture: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    _survey_run(anthology_fixture, run)
    runner = CliRunner()
    base = [
        "survey",
        "sheet",
        str(run),
        "--annotators",
        "ana,ben",
        "--pairs",
        "1",
        "--overlap",
        "4",
    ]
    elsewhere = tmp_path / "for-annotators"
    assert runner.invoke(app, [*base, "--out", str(elsewhere)]).exit_code == 0
    assert (elsewhere / "ana.csv").exists() and (elsewhere / "plan.json").exists()
    assert not (run / "sheets").exists()
    assert runner.invoke(app, base).exit_code == 0
    assert (run / "sheets" / "ben.xlsx").exists()


def test_boot_is_now_n_boot_and_the_old_spelling_says_so(
    anthology_fixture: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    _survey_run(anthology_fixture, run)
    gold = ["survey", "score", "--gold", "reference", "--out", str(run)]
    runner = CliRunner()
    new = runner.invoke(app, [*gold, "--n-boot", "20"])
    assert new.exit_code == 0, new.output
    assert "deprecated" not in new.output
    old = runner.invoke(app, [*gold, "--boot", "20"])
    assert old.exit_code == 0 and "--boot here is deprecated" in old.output
    assert "use --n-boot" in old.output
    both = runner.invoke(app, [*gold, "--boot", "20", "--n-boot", "30"])
    assert both.exit_code == 2 and "give only --n-boot" in both.output
    assert "--boot" not in runner.invoke(app, ["survey", "agree", "--help"]).output


def test_eval_run_takes_benchmarks_positionally_or_with_the_benchmark_option() -> None:
    runner = CliRunner()
    none = runner.invoke(app, ["eval", "run", "-m", "mockllm/model"])
    assert none.exit_code == 2 and "name at least one benchmark" in none.output
    no_model = runner.invoke(app, ["eval", "run", "--benchmark", "multijail"])
    assert no_model.exit_code == 2 and "-m/--model" in no_model.output
    help_text = runner.invoke(app, ["eval", "run", "--help"]).output
    assert "--benchmark" in help_text
