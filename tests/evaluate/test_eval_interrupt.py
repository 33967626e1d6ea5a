"""Ctrl-C during `langgap eval run` (issue 16 #1): Inspect's eval set reports success with no
logs after an interruption; langgap reads the folder, says how many samples did not run and exits
130 (SIGINT), and the same command resumes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.support.stub_server import StubProcess

REFUSAL = "I'm sorry, but I can't help with that."


def _command(log_dir: Path) -> list[str]:
    return [
        sys.executable, "-c", "from langgap.cli import app; app()", "eval", "run", "multijail",
        "-m", "openai-api/stub/x", "--languages", "en", "--limit", "12", "--max-connections",
        "1", "--log-dir", str(log_dir), "--display", "plain",
    ]  # fmt: skip


def _default_sigint() -> None:
    """A child inherits an ignored SIGINT (as from a shell's background job, or a test run that
    ignores it) and Python then never raises KeyboardInterrupt: start it as a terminal would."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs POSIX signals")
def test_sigint_exits_130_and_names_what_did_not_run(tmp_path: Path) -> None:
    log_dir = tmp_path / "logs"
    src = str(Path(__file__).parents[2] / "src")
    # slow replies (12 x 2 s at one connection): the signal always lands mid-run, even on a
    # loaded machine; the resume then runs against an instant server with the same model name
    with StubProcess(REFUSAL, latency=2.0) as stub:
        env = dict(os.environ, STUB_BASE_URL=stub.base_url, STUB_API_KEY="none")
        env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
        run = subprocess.Popen(_command(log_dir), env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               preexec_fn=_default_sigint)  # fmt: skip
        deadline = time.monotonic() + 120
        while not list(log_dir.glob("*.eval")) and time.monotonic() < deadline:
            time.sleep(0.2)  # Inspect writes the log as the run starts
        time.sleep(2.5)  # a sample or two answered, most still to come
        run.send_signal(signal.SIGINT)
        output, _ = run.communicate(timeout=120)
    assert run.returncode == 130, output[-2000:]
    assert "samples not run; rerun the same command to resume" in output
    assert "successfully" not in output  # Inspect's "Completed all tasks in … successfully"
    _report_agrees_with_run(log_dir, output)

    with StubProcess(REFUSAL) as stub:
        env.update(STUB_BASE_URL=stub.base_url)
        done = subprocess.run(_command(log_dir), env=env, capture_output=True, text=True,
                              timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]
    assert "success" in done.stdout and "interrupted" not in done.stdout


def _report_agrees_with_run(log_dir: Path, output: str) -> None:
    """The report over the SIGINT'd log counts what the run said: samples in flight at the
    signal (logged with a CancelledError) did not run, and none errored."""
    from langgap.evaluate.coverage import incomplete_runs, total
    from langgap.evaluate.results import log_files, results_from_logs

    found = re.search(r"interrupted: (\d+) of (\d+) samples not run", output)
    assert found, output[-2000:]
    not_run, planned = map(int, found.groups())
    rows = results_from_logs([log_dir])
    assert not [row.error for row in rows if row.errored]
    (coverage,) = incomplete_runs(log_files([log_dir]), rows).values()
    assert (total(coverage).ran, total(coverage).planned) == (planned - not_run, planned)
