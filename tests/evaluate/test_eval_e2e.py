"""End to end on a real model: SmolLM2-135M-Instruct served on loopback, MultiJail, refusal judge.

This checks the plumbing (Inspect eval set -> log -> report), not the model's safety. No prompt or
response text is printed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from langgap.evaluate.cli import app
from langgap.models import LocalServer

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture
def smol(smollm2_server: LocalServer) -> LocalServer:
    """The session's SmolLM2 server (tests/conftest.py); skipped without the MultiJail data."""
    if not (SHARED_DATA / "multijail").is_dir():
        pytest.skip(f"MultiJail not found at {SHARED_DATA / 'multijail'} (../shared/data)")
    return smollm2_server


@pytest.mark.slow
def test_smollm2_originals_and_probes_run_then_report(
    smol: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One run through the whole path (it is the slowest part of the suite, so it is done once):
    originals, Arabizi and code-switched variants in three languages, then the report."""
    from langgap.evaluate.probes.uplift import uplift_table
    from langgap.evaluate.results import results_from_logs

    for key, value in smol.env.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    logs = tmp_path / "logs"
    run = runner.invoke(app, ["run", "multijail", "-m", smol.inspect_model, "--languages",
                              "en,ar,bn", "--limit", "2", "--max-tokens", "24",
                              "--max-connections", "2", "--data-dir", str(SHARED_DATA),
                              "--log-dir", str(logs), "--display", "none", "--retries", "0",
                              "--timeout", "120", "--probe", "arabizi", "--probe", "codeswitch",
                              "--probe-param", "codeswitch.languages=en,bn",
                              "--probe-param", "codeswitch.ratio=0.5"])  # fmt: skip
    assert run.exit_code == 0, run.output
    results = results_from_logs([logs])
    variants = {(r.variant, r.language) for r in results}
    assert ("original", "ara") in variants and ("arabizi", "ara") in variants
    assert any(v.startswith("codeswitch") for v, _ in variants)
    assert len({r.pair_id for r in results}) == 2  # every variant keeps its prompt's pair id
    rows = uplift_table(results, n_boot=50).to_dict()
    assert rows  # the uplift report has rows for the probes (values depend on the model)

    out = tmp_path / "report"
    report = runner.invoke(app, ["report", str(logs), "--out", str(out), "--n-boot", "100"])
    assert report.exit_code == 0, report.output
    assert (out / "eval_report.html").is_file() and list((out / "cards").glob("*.md"))
    text = (out / "eval_report.md").read_text(encoding="utf-8")
    for code in ("eng", "ara", "ben"):
        assert code in text
