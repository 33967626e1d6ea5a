"""`langgap probe KIND --benchmark … --out FILE` on the real MultiJail data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from langgap.cli import app
from langgap.evaluate.probe_cli import parse_params

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def test_parse_params() -> None:
    assert parse_params(["ratio=0.4", "languages=en,bn", "level=word"]) == {
        "ratio": 0.4,
        "languages": ["en", "bn"],
        "level": "word",
    }


@pytest.mark.skipif(not (DATA / "multijail").is_dir(), reason="../shared/data/multijail absent")
def test_probe_writes_paired_variants(tmp_path: Path) -> None:
    out = tmp_path / "cs.jsonl"
    args = ["probe", "codeswitch", "--data-dir", str(DATA), "--out", str(out),
            "--languages", "en,bn", "--limit", "10", "--param", "languages=en,bn",
            "--param", "ratio=0.5", "--seed", "3"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    first = out.read_text(encoding="utf-8")
    samples = [json.loads(line) for line in first.splitlines()]
    assert len(samples) == 10
    assert {s["metadata"]["variant"] for s in samples} == {"codeswitch-word"}
    assert len({s["metadata"]["pair_id"] for s in samples}) == 10
    assert all(s["metadata"]["params"]["seed"] == 3 for s in samples)
    assert CliRunner().invoke(app, args).exit_code == 0
    assert out.read_text(encoding="utf-8") == first  # same seed, same output
    bad = CliRunner().invoke(app, ["probe", "nope", "--data-dir", str(DATA), "--out", str(out)])
    assert bad.exit_code == 2 and "known probes" in bad.output
