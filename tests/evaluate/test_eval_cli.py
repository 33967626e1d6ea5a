"""`langgap eval run`: one eval set over benchmarks × models, against a local stub server."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai.log import list_eval_logs, read_eval_log
from typer.testing import CliRunner

from langgap.evaluate.cli import app
from langgap.evaluate.run import RunOptions, build_tasks, eval_set_kwargs

from ._eval_stub import ScriptedStub, serving

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
runner = CliRunner()


@pytest.fixture
def data_dir() -> str:
    """The real benchmarks (../shared/data), skipped when absent."""
    if not (SHARED_DATA / "multijail").is_dir():
        pytest.skip(f"MultiJail not found at {SHARED_DATA / 'multijail'} (../shared/data)")
    return str(SHARED_DATA)


def test_run_two_models_in_one_eval_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: str
) -> None:
    stub = ScriptedStub()
    with serving(stub, monkeypatch) as model:
        args = ["run", "multijail", "-m", model, "-m", model.replace("stub-model", "second"),
                "--languages", "en,bn", "--languages", "sw", "--limit", "2", "--data-dir",
                data_dir, "--log-dir", str(tmp_path / "logs"), "--display", "none",
                "--max-tokens", "32"]  # fmt: skip
        result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert stub.requests == 2 * 3 * 2  # models × languages × prompts
    logs = [read_eval_log(info.name) for info in list_eval_logs(str(tmp_path / "logs"))]
    assert sorted(log.eval.model for log in logs) == [
        "openai-api/stub/second",
        "openai-api/stub/stub-model",
    ]
    assert all(log.status == "success" and len(log.samples or []) == 6 for log in logs)
    assert all(log.eval.config.log_images is False for log in logs)
    assert "success" in result.output


def test_unknown_benchmark_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "nosuchbench", "-m", "mockllm/model",
                                 "--log-dir", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 2
    assert "unknown benchmark" in result.output


def test_unknown_judge_is_a_clear_error(tmp_path: Path) -> None:
    args = ["run", "multijail", "-m", "mockllm/model", "--judge", "vibes", "--log-dir",
            str(tmp_path)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "unknown judge" in result.output


def test_eval_set_settings_keep_overhead_low_and_errors_contained() -> None:
    kwargs = eval_set_kwargs(RunOptions(["multijail"], ["m"], max_connections=16, retries=3))
    assert kwargs["log_samples"] is True  # the report needs the verdicts
    assert kwargs["log_images"] is False and kwargs["score_display"] is False
    assert kwargs["fail_on_error"] is False and kwargs["retry_on_error"] == 3
    assert kwargs["max_connections"] == 16 and kwargs["max_samples"] == 32


def test_model_judge_is_attached_and_named(data_dir: str) -> None:
    options = RunOptions(["multijail"], ["m"], languages=["en"], limit=1, judge="llm",
                         data_dir=data_dir)  # fmt: skip
    [task] = build_tasks(options)
    assert task.name.endswith("_llm")
    assert eval_set_kwargs(RunOptions(["x"], ["m"], judge="llm", judge_model="j"))[
        "model_roles"
    ] == {"grader": "j"}


def test_report_rejects_two_threshold_sources(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path), "--minimum", "80", "--adaptive",
                                 "relative-to-english"])  # fmt: skip
    assert result.exit_code == 2


def test_rerun_says_which_errored_samples_it_asked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: str
) -> None:
    down, failing = [True], set[str]()

    def fail(key: str) -> bool:  # the first prompt asked fails while the server is "down"
        if down[0] and (not failing or key in failing):
            failing.add(key)
            return True
        return False

    stub = ScriptedStub(fail=fail)
    with serving(stub, monkeypatch, name="clireask") as model:
        args = ["run", "multijail", "-m", model, "--languages", "en", "--limit", "3",
                "--data-dir", data_dir, "--log-dir", str(tmp_path / "logs"), "--display", "none",
                "--retries", "0", "--max-retries", "0"]  # fmt: skip
        first = runner.invoke(app, args)
        down[0] = False
        kept = runner.invoke(app, [*args, "--no-retry-errored"])
        second = runner.invoke(app, args)
    # errored samples make a non-zero exit (issue 16 #2); the rerun that answers them is clean
    assert first.exit_code == 1 and "1 sample(s) errored" in first.output, first.output
    assert "Asked" not in kept.output and "1 sample(s) errored" in kept.output, kept.output
    assert second.exit_code == 0, second.output
    assert "Asked 1 errored sample(s) of the earlier run again" in second.output
    assert "errored after retries" not in second.output
    assert sorted(stub.answered) == sorted(set(stub.answered)) and len(stub.answered) == 3
