"""`langgap analyze intervene --ablation-kind/--ablation-tail` through the CLI on a tiny model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from langgap.cli import app

SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
runner = CliRunner()


def test_ablation_kind_and_tail_reach_the_transfer_matrix(
    tiny_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not (SHARED_DATA / "polyrefuse").is_dir():
        pytest.skip(f"PolyRefuse not found at {SHARED_DATA / 'polyrefuse'}")
    from safetensors.torch import load_file, save_file

    from langgap.analyze.interventions import run

    directions = tmp_path / "directions"
    args = ["analyze", "directions", "-m", str(tiny_folder), "--languages", "en,de",
            "--n-per-class", "4", "--positions", "2", "--layers", "1,2",
            "--data-dir", str(SHARED_DATA), "--out", str(directions)]  # fmt: skip
    assert runner.invoke(app, args).exit_code == 0
    calls: list[dict[str, Any]] = []
    real = run.transfer_matrix

    def recorded(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(run, "transfer_matrix", recorded)
    out = tmp_path / "affine"
    base = ["analyze", "intervene", "-m", str(tiny_folder), "--directions", str(directions),
            "--layer", "2", "--n", "1", "--max-new-tokens", "1",
            "--data-dir", str(SHARED_DATA)]  # fmt: skip
    affine = ["--ablation-kind", "affine", "--ablation-points", "block-outputs"]
    chosen = ["--ablation-tail", "2", "--ablation-keep-sink", "--out", str(out)]
    result = runner.invoke(app, [*base, *affine, *chosen])
    assert result.exit_code == 0, result.output
    (how,) = calls
    assert (how["ablation_kind"], how["ablation_tail"], how["ablation_points"]) == (
        "affine", 2, "block-outputs")  # fmt: skip
    assert how["ablation_keep_sink"] is True
    matrix = json.loads((out / "transfer_ablate_layer2.json").read_text(encoding="utf-8"))
    assert (matrix["ablation_kind"], matrix["ablation_tail"]) == ("affine", 2)
    assert matrix["ablation_keep_sink"] is True
    assert matrix["ablation_layers"] == [1, 2]
    settings = json.loads((out / "config.json").read_text(encoding="utf-8"))["settings"]
    assert (settings["ablation_kind"], settings["ablation_tail"]) == ("affine", 2)
    note = (out / "transfer_ablate_layer2.md").read_text(encoding="utf-8")
    assert "last 2 positions" in note and "attention sink) are left alone" in note

    # bad choices: one clear line each, before the model loads (transfer_matrix never runs)
    calls.clear()
    for extra, message in [
        (["--ablation-kind", "mean"], "unknown ablation kind 'mean'"),
        (["--ablation-tail", "-1"], "tail must be 0 (every position)"),
        (["--ablation-kind", "affine"], "--ablation-points block-outputs"),
    ]:
        result = runner.invoke(app, [*base, *extra, "--out", str(tmp_path / "bad")])
        assert result.exit_code == 2 and message in " ".join(result.output.split()), extra
    # directions saved before the harmless means were kept: zero ablation runs, affine explains
    tensors = directions / "directions.safetensors"
    save_file({"directions": load_file(str(tensors))["directions"]}, str(tensors))
    result = runner.invoke(app, [*base, *affine, "--out", str(tmp_path / "old")])
    assert result.exit_code == 2 and not calls
    output = " ".join(result.output.split())
    assert str(directions) in output and "rerun `langgap analyze directions`" in output
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "zero")])
    assert result.exit_code == 0, result.output
    assert calls[0]["ablation_kind"] == "zero" and calls[0]["ablation_tail"] == 0
    assert calls[0]["ablation_keep_sink"] is False
    # addition uses no ablation choice: config.json does not record one as if it applied
    result = runner.invoke(app, [*base, "--mode", "add", "--out", str(tmp_path / "add")])
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "add" / "config.json").read_text(encoding="utf-8"))
    unused = {"ablation_kind", "ablation_tail", "ablation_points", "ablation_keep_sink"}
    assert not unused & set(config["settings"])
