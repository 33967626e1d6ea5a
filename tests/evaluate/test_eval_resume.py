"""Resuming a killed run and surviving a failing server, through Inspect's eval-set semantics."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from inspect_ai.log import list_eval_logs, read_eval_log

from langgap.evaluate.preflight import RunError
from langgap.evaluate.report import select_logs
from langgap.evaluate.run import RunOptions, run_eval

from ._eval_stub import ScriptedStub, serving

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
LANGUAGES, LIMIT = "en,bn,sw", 8  # 24 samples


@pytest.fixture
def data_dir() -> str:
    """The real benchmarks (../shared/data), skipped when absent."""
    if not (SHARED_DATA / "multijail").is_dir():
        pytest.skip(f"MultiJail not found at {SHARED_DATA / 'multijail'} (../shared/data)")
    return str(SHARED_DATA)


def _command(model: str, log_dir: Path, data_dir: str) -> list[str]:
    return [sys.executable, "-m", "langgap.evaluate.cli", "run", "multijail", "-m", model,
            "--languages", LANGUAGES, "--limit", str(LIMIT), "--data-dir", data_dir,
            "--log-dir", str(log_dir), "--display", "none", "--max-connections", "2"]  # fmt: skip


def test_killed_run_resumes_without_redoing_samples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: str
) -> None:
    stub = ScriptedStub(answer_limit=10)  # answers 10 requests, then hangs like a stuck server
    log_dir = tmp_path / "logs"
    with serving(stub, monkeypatch) as model:
        cmd = _command(model, log_dir, data_dir)
        first = subprocess.Popen(cmd, env=os.environ.copy(), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)  # fmt: skip
        deadline = time.monotonic() + 120
        while len(stub.answered) < 10 and time.monotonic() < deadline:
            assert first.poll() is None, first.stderr.read().decode() if first.stderr else ""
            time.sleep(0.1)
        time.sleep(2.0)  # let Inspect record the answered samples; the rest hang
        first.kill()  # the harshest interruption: no chance to finish the log
        first.wait()
        before = set(stub.answered)
        assert len(before) == 10
        stub.release()
        second = subprocess.run(cmd, env=os.environ.copy(), capture_output=True, text=True,
                                timeout=180, check=False)  # fmt: skip
    assert second.returncode == 0, second.stdout + second.stderr
    after = stub.answered[10:]
    assert not before & set(after), "finished samples were requested again"
    assert len(stub.answered) == len(set(stub.answered)) == 24  # each prompt answered once
    [final] = [read_eval_log(str(p)) for p in select_logs([log_dir])]
    assert final.status == "success"
    ids = [s.id for s in final.samples or []]
    assert len(ids) == len(set(ids)) == 24 and not any(s.error for s in final.samples or [])
    assert len(list_eval_logs(str(log_dir))) >= 1


def test_server_errors_are_retried_then_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: str
) -> None:
    stub = ScriptedStub(fail=lambda key: int(key, 16) % 4 == 0)  # a fixed quarter of prompts
    with serving(stub, monkeypatch) as model:
        options = RunOptions(["multijail"], [model], languages=LANGUAGES.split(","), limit=LIMIT,
                             data_dir=data_dir, log_dir=str(tmp_path / "logs"), display="none",
                             retries=0, max_retries=1, timeout=30)  # fmt: skip
        outcome = run_eval(options)
    failing = set(stub.failed)
    assert failing, "the hash split should fail some prompts"
    assert all(stub.failed.count(key) >= 2 for key in failing)  # each was retried
    assert outcome.success  # errored samples do not stop the run
    [log] = outcome.logs
    assert log.total == 24 and log.errored == len(failing)
    assert len(stub.answered) == 24 - len(failing)


def test_rerun_asks_errored_samples_again_and_keeps_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: str
) -> None:
    failing_now = [True]  # the server is down for a quarter of the prompts, then recovers
    stub = ScriptedStub(fail=lambda key: failing_now[0] and int(key, 16) % 4 == 0)
    log_dir = tmp_path / "logs"
    # a provider name of its own: Inspect caches a model per name and settings across runs
    with serving(stub, monkeypatch, name="reasking") as model:
        options = RunOptions(["multijail"], [model], languages=LANGUAGES.split(","), limit=LIMIT,
                             data_dir=data_dir, log_dir=str(log_dir), display="none",
                             retries=0, max_retries=0, timeout=30)  # fmt: skip
        first = run_eval(options)
        failing = set(stub.failed)
        assert failing and first.logs[0].errored == len(failing)
        answered_first = list(stub.answered)
        failing_now[0] = False
        second = run_eval(options)
        unchanged = run_eval(options)  # nothing errored is left: nothing is asked
    assert second.reasked == len(failing) and unchanged.reasked == 0
    assert set(stub.answered[len(answered_first) :]) == failing, "only the errored were asked"
    assert len(stub.answered) == 24
    [final] = [read_eval_log(str(p)) for p in select_logs([log_dir])]
    assert final.status == "success" and len(final.samples or []) == 24
    assert not any(s.error for s in final.samples or [])
    assert second.errored == 0


def test_keep_errored_leaves_them_as_they_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: str
) -> None:
    stub = ScriptedStub(fail=lambda key: int(key, 16) % 4 == 0)
    with serving(stub, monkeypatch, name="keeping") as model:
        options = RunOptions(["multijail"], [model], languages=["en"], limit=LIMIT,
                             data_dir=data_dir, log_dir=str(tmp_path / "logs"), display="none",
                             retries=0, max_retries=0, timeout=30,
                             retry_errored=False)  # fmt: skip
        first = run_eval(options)
        requests = len(stub.answered) + len(stub.failed)
        second = run_eval(options)
    assert first.errored and second.errored == first.errored and second.reasked == 0
    assert len(stub.answered) + len(stub.failed) == requests


def test_a_run_where_every_sample_errored_counts_them_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: str
) -> None:
    stub = ScriptedStub(fail=lambda key: True)  # Inspect writes no results at all then
    with serving(stub, monkeypatch, name="alldown") as model:
        options = RunOptions(["multijail"], [model], languages=["en"], limit=4,
                             data_dir=data_dir, log_dir=str(tmp_path / "logs"), display="none",
                             retries=0, max_retries=0, timeout=30)  # fmt: skip
        outcome = run_eval(options)
    [log] = outcome.logs
    assert (log.total, log.completed, log.errored) == (4, 0, 4) and outcome.errored == 4


def test_a_log_of_another_selection_is_never_rewritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: str
) -> None:
    failing: set[str] = set()

    def fail(key: str) -> bool:  # the first prompt asked always fails
        if not failing or key in failing:
            failing.add(key)
            return True
        return False

    stub = ScriptedStub(fail=fail)
    log_dir = tmp_path / "logs"
    with serving(stub, monkeypatch, name="otherselection") as model:
        options = RunOptions(["multijail"], [model], languages=["en"], limit=3,
                             data_dir=data_dir, log_dir=str(log_dir), display="none",
                             retries=0, max_retries=0, timeout=30)  # fmt: skip
        assert run_eval(options).errored == 1
        [before] = list_eval_logs(str(log_dir))
        other = dataclasses.replace(options, limit=2)
        with pytest.raises(RunError, match="from a run with other arguments"):  # Inspect check
            run_eval(other)
    [after] = list_eval_logs(str(log_dir))
    assert after.name == before.name and after.mtime == before.mtime  # untouched
    assert not read_eval_log(after.name, header_only=True).invalidated
