"""Several benchmarks: each runs the requested languages it has; the pairs left out are listed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from langgap.evaluate.benchmarks import BenchmarkError
from langgap.evaluate.cli import app
from langgap.evaluate.run import RunOptions, plan_tasks

from ._eval_stub import ScriptedStub, serving

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
runner = CliRunner()


@pytest.fixture
def data_dir() -> str:
    """The real benchmarks (../shared/data), skipped when absent."""
    for folder in ("multijail", "xsafety"):
        if not (SHARED_DATA / folder).is_dir():
            pytest.skip(f"{folder} not found at {SHARED_DATA / folder} (../shared/data)")
    return str(SHARED_DATA)


def _languages(task: object) -> set[str]:
    return {s.metadata["language_tag"] for s in task.dataset if s.metadata}  # type: ignore[attr-defined]


def test_each_benchmark_runs_the_languages_it_has(data_dir: str) -> None:
    """The README's example: XSafety has no Swahili or Javanese, MultiJail has all four."""
    options = RunOptions(["multijail", "xsafety"], ["m"], languages=["en", "bn", "sw", "jv"],
                         limit=1, data_dir=data_dir)  # fmt: skip
    tasks, not_run = plan_tasks(options)
    assert not_run == ("xsafety:jv", "xsafety:sw")
    multijail, xsafety = tasks
    assert _languages(multijail) == {"en", "bn", "sw", "jv"}
    assert _languages(xsafety) == {"en", "bn"}
    assert all(t.metadata and t.metadata["languages_not_run"] == list(not_run) for t in tasks)


def test_a_benchmark_with_none_of_the_languages_is_left_out(data_dir: str) -> None:
    options = RunOptions(["multijail", "xsafety"], ["m"], languages=["sw", "jv"], limit=1,
                         data_dir=data_dir)  # fmt: skip
    tasks, not_run = plan_tasks(options)
    assert [(t.metadata or {}).get("benchmark") for t in tasks] == ["multijail"]
    assert not_run == ("xsafety:jv", "xsafety:sw")


def test_a_language_in_no_benchmark_is_an_error(data_dir: str) -> None:
    options = RunOptions(["multijail", "xsafety"], ["m"], languages=["en", "yo"], limit=1,
                         data_dir=data_dir)  # fmt: skip
    with pytest.raises(BenchmarkError, match=r"no benchmark has yo; their languages: multijail"):
        plan_tasks(options)
    single = RunOptions(["xsafety"], ["m"], languages=["en", "sw"], limit=1, data_dir=data_dir)
    with pytest.raises(BenchmarkError, match="xsafety has no Swahili"):
        plan_tasks(single)  # one benchmark: a language it lacks is in none of them


def test_pairs_left_out_are_listed_once_in_the_output_and_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: str
) -> None:
    logs = tmp_path / "logs"
    with serving(ScriptedStub(), monkeypatch) as model:
        args = ["run", "multijail", "xsafety", "-m", model, "--languages", "en,sw", "--limit",
                "1", "--data-dir", data_dir, "--log-dir", str(logs), "--display", "none",
                "--max-tokens", "16"]  # fmt: skip
        result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    line = "Not run, the benchmark lacks the language: xsafety: Swahili (sw)"
    assert result.output.count(line) == 1
    out = tmp_path / "out"
    report = runner.invoke(app, ["report", str(logs), "--out", str(out)])
    assert report.exit_code == 0, report.output
    assert report.output.count(line) == 1
    assert (out / "eval_report.md").read_text(encoding="utf-8").count(line) == 1
    summary = json.loads((out / "eval_summary.json").read_text(encoding="utf-8"))
    assert summary["languages_not_run"] == [{"benchmark": "xsafety", "language": "sw"}]
