"""`langgap eval run` with bad input: one plain line naming the bad value and the fix, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai.log import list_eval_logs
from typer.testing import CliRunner, Result

from langgap.evaluate.cli import app

from ._eval_stub import ScriptedStub, serving

PROMPTS = Path(__file__).resolve().parents[1] / "data" / "prompts" / "wide.csv"
runner = CliRunner()


def _run(tmp_path: Path, *extra: str, model: str = "mockllm/model") -> Result:
    args = ["run", str(PROMPTS), "-m", model, "--log-dir", str(tmp_path / "logs"),
            "--display", "none", *extra]  # fmt: skip
    return runner.invoke(app, args)


def _one_line_error(result: Result) -> str:
    """The output ends in one `error: …` line: no traceback, no rich markup, no usage box."""
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("error: "), result.output
    assert sum("error" in line.casefold() for line in lines) == 1, result.output
    assert "Traceback" not in result.output and "[bold]" not in result.output
    assert "╭" not in result.output and "Usage:" not in result.output
    return lines[-1]


@pytest.mark.parametrize(
    ("languages", "named", "hint"),
    [
        ("xx,klingon", "'xx'", "--languages en,bn"),
        ("en,Bengli", "'Bengli'", "did you mean Bengali"),
    ],
)
def test_unknown_language_is_one_line_with_the_fix(
    tmp_path: Path, languages: str, named: str, hint: str
) -> None:
    line = _one_line_error(_run(tmp_path, "--languages", languages))
    assert "unknown language" in line and named in line and hint in line


def test_model_without_provider_lists_the_providers(tmp_path: Path) -> None:
    line = _one_line_error(_run(tmp_path, model="gpt-foo"))
    assert "'gpt-foo'" in line and "PROVIDER/MODEL" in line
    assert "openai-api" in line and "anthropic" in line and "mockllm" in line


def test_unknown_provider_names_it_and_suggests(tmp_path: Path) -> None:
    line = _one_line_error(_run(tmp_path, model="nosuch/model"))
    assert "unknown provider 'nosuch'" in line and "openai-api" in line
    assert "did you mean openai" in _one_line_error(_run(tmp_path, model="opnai/gpt-4o-mini"))


def test_missing_api_key_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("OPENAI_API_KEY", "AZUREAI_OPENAI_API_KEY", "AZURE_OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    line = _one_line_error(_run(tmp_path, "--languages", "en", model="openai/gpt-4o-mini"))
    assert "Fix: set the environment variable OPENAI_API_KEY" in line
    assert "export OPENAI_API_KEY=" in line


def test_corrupt_log_file_is_named_with_the_fix(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    bad = logs / "2024-01-01T00-00-00+00-00_wide_abc.eval"
    bad.write_bytes(b"not a zip file")
    line = _one_line_error(_run(tmp_path, "--languages", "en"))
    assert str(bad) in line and f"mv '{bad}' /tmp/" in line and "EOCD" in line


def test_report_over_a_folder_with_a_corrupt_log_names_it_with_the_fix(tmp_path: Path) -> None:
    """`eval report DIR` says what `eval run` says of a corrupt log: one line, the `mv` fix."""
    _run(tmp_path, "--languages", "en")  # a readable log beside the corrupt one
    assert list((tmp_path / "logs").glob("*.eval"))
    bad = tmp_path / "logs" / "2024-01-01T00-00-00+00-00_wide_abc.eval"
    bad.write_bytes(b"not a zip file")
    result = runner.invoke(app, ["report", str(tmp_path / "logs"), "--out", str(tmp_path / "out")])
    line = _one_line_error(result)
    assert str(bad) in line and f"mv '{bad}' /tmp/" in line


def test_rerun_with_other_arguments_suggests_an_option_that_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(ScriptedStub(), monkeypatch, name="dirty") as model:
        first = _run(tmp_path, "--languages", "en", "--max-tokens", "16", model=model)
        assert first.exit_code == 0, first.output
        line = _one_line_error(_run(tmp_path, "--languages", "bn", model=model))
        # the option the message suggests exists and lets both runs share the folder
        both = _run(tmp_path, "--languages", "bn", "--log-dir-allow-dirty", model=model)
    assert str(tmp_path / "logs") in line and "--log-dir-allow-dirty" in line
    assert both.exit_code == 0, both.output
    assert len(list_eval_logs(str(tmp_path / "logs"))) == 2


def test_a_server_that_does_not_answer_is_named_within_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing listening at the model's base URL: one probe request, one line naming the URL and
    the variable, exit 2 — not minutes of retries ending in 'Completed successfully' (#2)."""
    import socket
    import time

    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    monkeypatch.setenv("DOWNSTUB_BASE_URL", url)
    monkeypatch.setenv("DOWNSTUB_API_KEY", "none")
    started = time.monotonic()
    result = CliRunner().invoke(app, ["run", "multijail", "-m", "openai-api/downstub/x",
                                      "--languages", "en", "--limit", "2", "--log-dir",
                                      str(tmp_path / "logs")])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert url in result.output and "DOWNSTUB_BASE_URL" in result.output
    assert time.monotonic() - started < 20
