"""`langgap analyze directions` and `intervene` end to end on a tiny saved model and PolyRefuse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from langgap.cli import app

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
runner = CliRunner()


def _needs_polyrefuse() -> None:
    if not (SHARED_DATA / "polyrefuse").is_dir():
        pytest.skip(f"PolyRefuse not found at {SHARED_DATA / 'polyrefuse'} (../shared/data absent)")


def test_directions_then_intervene(tiny_folder: Path, tmp_path: Path) -> None:
    _needs_polyrefuse()
    out = tmp_path / "directions"
    args = ["analyze", "directions", "-m", str(tiny_folder), "--languages", "en,de",
            "--n-per-class", "4", "--positions", "2", "--data-dir", str(SHARED_DATA),
            "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "directions.json").read_text(encoding="utf-8"))
    assert summary["languages"] == ["deu", "eng"] and summary["layers"] == [0, 1, 2, 3]
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["settings"]["seed"] == 0 and config["settings"]["n_per_class"] == 4
    # English has no train split: both languages come from the first split that has them both
    assert config["settings"]["splits_used"] == {"eng": "test", "deu": "test"}
    assert "mixed_splits" not in config["settings"]
    assert (out / "report.md").is_file() and (out / "directions.safetensors").is_file()

    assert summary["best_layer_chosen_on"] == "select_auroc"
    # 4 per class leave one held-out prompt each: nothing to split, and it says so
    assert "the best layer is chosen on the reported prompts there" in result.output
    assert summary["selection_disjoint_from_report"] is False

    fitted = set(config["settings"]["prompt_ids"])  # the ids that fitted the directions
    assert len(fitted) == 16

    moved = tmp_path / "intervene"
    args = ["analyze", "intervene", "-m", str(tiny_folder), "--directions", str(out),
            "--layer", "2", "--n", "4", "--max-new-tokens", "2", "--data-dir", str(SHARED_DATA),
            "--out", str(moved)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    # the same English test prompts would be drawn again (same seed): those that fitted are not
    used = json.loads((moved / "config.json").read_text(encoding="utf-8"))["settings"]
    assert used["excluded_fitting_prompts"] == 16 and len(used["prompt_ids"]) == 16
    assert not fitted & set(used["prompt_ids"])
    matrix = json.loads((moved / "transfer_ablate_layer2.json").read_text(encoding="utf-8"))
    assert matrix["sources"] == ["deu", "eng"] and matrix["targets"] == ["deu", "eng"]
    assert matrix["layer"] == 2 and matrix["n_per_target"] == {"deu": 4, "eng": 4}
    assert matrix["ablation_points"] == "all-writes"  # attention outputs too, as Arditi et al.
    # a random model never refuses: the ablation's change is bounded by construction, and said
    assert matrix["baseline_refusal_rate"] == [0.0, 0.0]
    assert "warning: base refusal rate ≤ 5% in deu, eng" in result.output
    assert matrix["warnings"] and "bounded by construction" in matrix["warnings"][0]

    # addition scaled to the residual stream's mean norm at the layer (saved with the directions)
    added = tmp_path / "add"
    args = ["analyze", "intervene", "-m", str(tiny_folder), "--directions", str(out),
            "--mode", "add", "--layer", "2", "--alpha-relative", "0.5", "--n", "1",
            "--max-new-tokens", "1", "--data-dir", str(SHARED_DATA),
            "--out", str(added)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    norm = summary["residual_norm"][2]
    # directions that do not say which prompts fitted them: a warning, not a silent overlap
    config_path = out / "config.json"
    old = json.loads(config_path.read_text(encoding="utf-8"))
    del old["settings"]["prompt_ids"]
    config_path.write_text(json.dumps(old), encoding="utf-8")
    result = runner.invoke(app, [*args[:-1], str(tmp_path / "old")])
    assert result.exit_code == 0, result.output
    assert "does not record which prompts fitted its directions" in " ".join(result.output.split())
    config = json.loads((added / "config.json").read_text(encoding="utf-8"))
    assert config["settings"]["alpha"] == pytest.approx(0.5 * norm, rel=1e-4)


def test_bad_input_names_what_is_available(tiny_folder: Path, tmp_path: Path) -> None:
    _needs_polyrefuse()
    base = ["analyze", "directions", "-m", str(tiny_folder), "--n-per-class", "2",
            "--data-dir", str(SHARED_DATA), "--out", str(tmp_path)]  # fmt: skip
    result = runner.invoke(app, [*base, "--languages", "en", "--layers", "9"])
    assert result.exit_code == 2 and "layer" in result.output and "0" in result.output
    result = runner.invoke(app, [*base, "--languages", "en,bn"])
    assert result.exit_code == 2 and "Bengali" in result.output and "de" in result.output
    result = runner.invoke(app, ["analyze", "intervene", "-m", str(tiny_folder),
                                 "--directions", str(tmp_path / "none")])  # fmt: skip
    assert result.exit_code == 2 and "analyze directions" in result.output
    result = runner.invoke(app, ["analyze", "directions", "-m", str(tmp_path / "no" / "model")])
    assert result.exit_code == 2 and "no such model folder" in result.output


def test_a_language_missing_from_a_split_is_never_dropped_silently() -> None:
    _needs_polyrefuse()
    from langgap.analyze.common.data import benchmark_prompts, prompts_any_split
    from langgap.evaluate.benchmarks import BenchmarkError

    # PolyRefuse has no English train split and no Chinese harmless test split
    with pytest.raises(BenchmarkError, match=r"split 'train' has no prompts for eng \(harmful\)"):
        benchmark_prompts(["eng", "deu"], 2, split="train", data_dir=SHARED_DATA)
    with pytest.raises(BenchmarkError, match=r"zho \(harmless\)"):
        benchmark_prompts(["zho"], 2, split="test", data_dir=SHARED_DATA)
    with pytest.raises(BenchmarkError, match=r"no prompts for zho \(harmless\)"):  # [] = all
        benchmark_prompts([], 2, split="test", data_dir=SHARED_DATA)
    assert benchmark_prompts(["zho"], 2, split="test", data_dir=SHARED_DATA, required=(True,))
    prompts, used = prompts_any_split(["eng", "zho"], 2, data_dir=SHARED_DATA)
    assert used == {"eng": "test", "zho": "train"}
    with pytest.raises(BenchmarkError, match=r"no split \(test\) with both .* for zho"):
        prompts_any_split(["zho"], 2, splits=("test",), data_dir=SHARED_DATA)
    assert sorted((str(p.language), bool(p.harmful)) for p in prompts) == sorted(
        [("eng", True)] * 2 + [("eng", False)] * 2 + [("zho", True)] * 2 + [("zho", False)] * 2
    )


def test_out_defaults_follow_the_group_command_rule() -> None:
    import typer

    from langgap.analyze.cli import app as analyze_app

    commands = typer.main.get_command(analyze_app).commands  # type: ignore[attr-defined]
    defaults = {
        name: {p.name: p.default for p in commands[name].params}
        for name in ("directions", "intervene", "transfer", "compare")
    }
    for name in ("directions", "intervene", "transfer", "compare"):
        assert str(defaults[name]["out"]) == f"analyze-{name}"
    assert str(defaults["intervene"]["directions_dir"]) == "analyze-directions"
    assert defaults["transfer"]["n_boot"] == defaults["compare"]["n_boot"] == 1000
    help_text = runner.invoke(app, ["analyze", "transfer", "--help"]).output
    assert "--n-boot" in help_text and "--boot" not in help_text  # the old spelling is hidden


def test_every_model_option_offers_the_refusal_model_and_its_build_time() -> None:
    import typer

    from langgap.analyze.cli import app as analyze_app

    commands = typer.main.get_command(analyze_app).commands  # type: ignore[attr-defined]
    for name in ("directions", "intervene", "influence", "transfer"):
        (option,) = [p for p in commands[name].params if p.name == "model"]
        assert "'smollm2-refusal'" in option.help, name
        assert "the first use builds it, ~5 min on a 2-core CPU" in option.help, name


def test_directions_warns_when_no_split_has_every_language(
    tiny_folder: Path, tmp_path: Path
) -> None:
    _needs_polyrefuse()
    out = tmp_path / "mixed"
    # PolyRefuse: no English train or val split, no Chinese harmless test prompts
    args = ["analyze", "directions", "-m", str(tiny_folder), "--languages", "en,zh",
            "--n-per-class", "4", "--positions", "1", "--layers", "1",
            "--data-dir", str(SHARED_DATA), "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "no split has every language" in result.output
    settings = json.loads((out / "config.json").read_text(encoding="utf-8"))["settings"]
    assert settings["mixed_splits"] is True
    assert settings["splits_used"]["eng"] == "test" and settings["splits_used"]["zho"] != "test"


def _counted_polyrefuse_reads(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The data folders PolyRefuse is read from, one entry per read, from now on."""
    from typing import Any

    from langgap.evaluate import benchmarks

    reads: list[object] = []
    real = benchmarks.BENCHMARKS["polyrefuse"]

    def counted(data_dir: Any) -> Any:
        reads.append(data_dir)
        return real(data_dir)

    monkeypatch.setitem(benchmarks.BENCHMARKS, "polyrefuse", counted)
    return reads


def test_lab_prompts_reads_the_benchmark_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _needs_polyrefuse()
    from types import SimpleNamespace
    from typing import Any

    from langgap.analyze.common.cli import lab_prompts
    from langgap.analyze.common.data import prompts_any_split

    reads = _counted_polyrefuse_reads(monkeypatch)
    model: Any = SimpleNamespace(path=tmp_path)  # no manifest: nothing tuned it
    settings: dict[str, Any] = {}
    # train has no English: the next split (test) serves both languages
    prompts = lab_prompts(["eng", "deu"], 2, "train", SHARED_DATA, 0, model, settings)
    assert len(reads) == 1
    assert settings["splits_used"] == {"eng": "test", "deu": "test"}
    expected, _ = prompts_any_split(["eng", "deu"], 2, splits=["test"], data_dir=SHARED_DATA)
    assert [p.id for p in prompts] == [p.id for p in expected]
    # every language, no split with them all: each split tried, then the mixed draw; one read
    reads.clear()
    settings = {}
    lab_prompts(None, 1, "test", SHARED_DATA, 0, model, settings)
    assert len(reads) == 1 and settings["mixed_splits"]


def test_compare_influence_and_plain_draws_read_the_benchmark_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _needs_polyrefuse()
    from langgap.analyze.common.data import benchmark_prompts, read_benchmark
    from langgap.analyze.compare.run import comparison_prompts
    from langgap.analyze.influence.inputs import query_examples, training_examples
    from langgap.evaluate.benchmarks import BenchmarkError

    reads = _counted_polyrefuse_reads(monkeypatch)
    benchmark_prompts(["deu"], 2, data_dir=SHARED_DATA)
    assert len(reads) == 1  # both classes from one read
    reads.clear()
    comparison_prompts("all", 1, data_dir=SHARED_DATA)  # every language, each from any split
    assert len(reads) == 1
    queries = query_examples(None, "eng", 2, SHARED_DATA, 0)
    reads.clear()
    training_examples(None, "en,de,zh", 2, queries, SHARED_DATA, 0)  # English: no train split
    assert len(reads) == 1
    loaded = read_benchmark(data_dir=SHARED_DATA)
    with pytest.raises(BenchmarkError, match="give one"):
        benchmark_prompts(["deu"], 2, name="xsafety", loaded=loaded)


def test_the_refusal_model_reads_its_tuning_data_from_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # its tuning prompts decide the cache key, so even a cached build reads them: from --data-dir
    _needs_polyrefuse()
    from langgap.analyze.common import refusal_model
    from langgap.analyze.common.models import ModelLoadError

    seen: list[str | None] = []

    def build(config: refusal_model.RefusalModelConfig, **_: object) -> None:
        seen.append(config.data_dir)
        raise ModelLoadError("stopped here by the test")

    monkeypatch.setattr(refusal_model, "build_refusal_model", build)
    args = ["analyze", "directions", "-m", "smollm2-refusal", "--languages", "en",
            "--data-dir", str(SHARED_DATA), "--out", str(tmp_path / "out")]  # fmt: skip
    result = runner.invoke(app, args)
    assert "stopped here by the test" in result.output, result.output
    assert seen == [str(SHARED_DATA)]


def test_intervene_reports_a_misspelt_option_before_looking_for_data(tmp_path: Path) -> None:
    args = ["analyze", "intervene", "--ablation-kind", "nope", "--data-dir", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "unknown ablation kind 'nope' (--ablation-kind)" in " ".join(result.output.split())
