"""The documented `langgap analyze directions` / `intervene` lines, read from the docs at test
time and run end to end in the docs' order on the tiny model (in place of `smollm2`) with small
limits appended; which documented commands run where, and why the others do not, is in
tests/test_documented_runs.py."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from langgap.cli import app

from ..test_documented_runs import ANALYZE, lines_run

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
# few prompts, two token positions and one generated token: the command path, not the science
SMALL = {
    "directions": ("--n-per-class", "2", "--positions", "2"),
    "intervene": ("--n", "1", "--max-new-tokens", "1"),
}


@pytest.mark.slow  # reads PolyRefuse in ../shared/data; ~20 s of CPU
def test_documented_analyze_lines_run_on_the_tiny_model(
    tiny_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not (SHARED_DATA / "polyrefuse").is_dir():
        pytest.skip(f"PolyRefuse not found at {SHARED_DATA / 'polyrefuse'} (../shared/data absent)")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    lines = lines_run(*ANALYZE)
    assert lines
    for line in lines:
        tokens = [str(tiny_folder) if t == "smollm2" else t for t in shlex.split(line)[1:]]
        args = [*tokens, *SMALL[tokens[1]], "--data-dir", str(SHARED_DATA)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, f"`{line}` failed:\n{result.output}"
    assert list(tmp_path.rglob("directions.json"))
