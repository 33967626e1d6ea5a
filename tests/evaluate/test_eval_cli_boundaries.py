"""Issue 16 #11: values outside their range are clear errors; retry options do what they say."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from langgap.evaluate.cli import app
from langgap.evaluate.thresholds import ThresholdError, as_rule, thresholds_from_dict

from ._eval_stub import ScriptedStub, serving

PROMPTS = Path(__file__).resolve().parents[1] / "data" / "prompts" / "wide.csv"
runner = CliRunner()


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--max-tokens", "0"),
        ("--limit", "0"),
        ("--max-connections", "0"),
        ("--retries", "-1"),
        ("--max-retries", "-1"),
        ("--timeout", "0"),
    ],
)
def test_run_rejects_values_out_of_range(tmp_path: Path, option: str, value: str) -> None:
    args = ["run", str(PROMPTS), "-m", "mockllm/model", "--log-dir", str(tmp_path / "logs"),
            option, value]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.output and "than or equal" in result.output
    assert not (tmp_path / "logs").exists()  # nothing ran


@pytest.mark.parametrize(
    ("option", "value"), [("--minimum", "-5"), ("--minimum", "180"), ("--margin", "-1")]
)
def test_report_rejects_minimums_that_are_not_percentages(
    tmp_path: Path, option: str, value: str
) -> None:
    result = runner.invoke(app, ["report", str(tmp_path), option, value])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.output and "than or equal" in result.output


@pytest.mark.parametrize(
    "data",
    [{"ben": 180}, {"ben": -5}, {"default": 101}, {"rule": "uniform", "minimum": 180},
     {"rule": "relative_to_english", "margin": 150}, {"rule": "relative_to_english", "ratio": 2}],
)  # fmt: skip
def test_threshold_files_reject_values_that_are_not_percentages(data: dict[str, object]) -> None:
    with pytest.raises(ThresholdError, match=r"0 to 100|ratio"):
        thresholds_from_dict(data)


def test_threshold_number_is_a_percentage() -> None:
    assert as_rule(80).describe() == {"rule": "uniform", "minimum": 80.0}
    with pytest.raises(ThresholdError, match="180"):
        as_rule(180)


def test_threshold_yaml_of_180_is_a_clear_report_error(tmp_path: Path) -> None:
    path = tmp_path / "thresholds.yaml"
    path.write_text("bn: 180\n", encoding="utf-8")
    result = runner.invoke(app, ["report", str(tmp_path), "--thresholds", str(path)])
    assert result.exit_code == 2 and "180" in result.output and "0 to 100" in result.output


@pytest.mark.parametrize(("max_retries", "retries", "requests"), [(1, 0, 2), (0, 1, 2), (0, 0, 1)])
def test_retry_options_set_the_request_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, max_retries: int, retries: int, requests: int
) -> None:
    """A server that always fails gets (max-retries + 1) x (retries + 1) requests per sample."""
    stub = ScriptedStub(fail=lambda key: True)
    with serving(stub, monkeypatch, name="retrycount") as model:
        args = ["run", str(PROMPTS), "-m", model, "--languages", "en", "--limit", "1",
                "--log-dir", str(tmp_path / "logs"), "--display", "none",
                "--max-retries", str(max_retries), "--retries", str(retries)]  # fmt: skip
        result = runner.invoke(app, args)
    assert "1 sample(s) errored" in result.output, result.output
    assert len(stub.failed) == requests


def test_retry_options_are_explained_in_help(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one line per option: the sentences are not wrapped
    text = " ".join(runner.invoke(app, ["run", "--help"]).output.split())
    assert "(max-retries + 1) x (retries + 1)" in text
    assert "max-retries + 1 requests per call" in text
