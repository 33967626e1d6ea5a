"""`langgap analyze compare`: does safety survive language adaptation or fine-tuning?"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from langgap.analyze.common.cli import LayerSpecError, fail, parse_layer_spec, require_data
from langgap.cli_options import (
    DEFAULT_DEVICE,
    DEFAULT_DTYPE,
    DEFAULT_N_BOOT,
    DeviceOption,
    DtypeOption,
    NBootOption,
)

if TYPE_CHECKING:
    from langgap.analyze.common.activations import Prompt
    from langgap.analyze.compare.run import CheckpointComparison

console = Console()
errors = Console(stderr=True)


def compare(
    before: Annotated[
        str,
        typer.Option(
            "--before",
            help="Checkpoint before: HF folder, hub name, smollm2, or a peft adapter folder.",
        ),
    ],
    after: Annotated[str, typer.Option("--after", help="Checkpoint after (same kinds of spec).")],
    out: Annotated[
        Path, typer.Option("--out", help="Output folder; rerun with it to resume.")
    ] = Path("analyze-compare"),
    languages: Annotated[
        str, typer.Option(help="Comma-separated languages (any code or name), or `all`.")
    ] = "all",
    n: Annotated[int, typer.Option("--n", help="Harmful and harmless prompts per language.")] = 20,
    seed: Annotated[int, typer.Option(help="Prompt sampling, split and bootstrap seed.")] = 0,
    max_new_tokens: Annotated[int, typer.Option(help="New tokens per greedy reply.")] = 64,
    batch_size: Annotated[int, typer.Option(help="Prompts per forward pass.")] = 16,
    layers: Annotated[
        str, typer.Option(help="Layers to compare: `all`, or e.g. 0,4,8-11,-1.")
    ] = "all",
    last_k: Annotated[
        int, typer.Option(help="Mean over the prompt's last k (end-of-instruction) tokens.")
    ] = 3,
    holdout: Annotated[float, typer.Option(help="Held-out share for direction AUROC.")] = 0.25,
    n_boot: NBootOption = DEFAULT_N_BOOT,
    directions: Annotated[
        bool,
        typer.Option(
            "--directions/--no-directions", help="Compare refusal directions (same shapes)."
        ),
    ] = True,
    benchmark: Annotated[str, typer.Option(help="Labelled benchmark of prompts.")] = "polyrefuse",
    split: Annotated[
        str,
        typer.Option(
            help="Benchmark split; `any` (default): per language the first of test, val, train "
            "with harmful and harmless prompts; `none`: all rows."
        ),
    ] = "any",
    data_dir: Annotated[str | None, typer.Option(help="Folder holding the benchmarks.")] = None,
    adapter_base: Annotated[
        str | None, typer.Option(help="Base model for adapter specs (default: their config's).")
    ] = None,
    device: DeviceOption = DEFAULT_DEVICE,
    dtype: DtypeOption = DEFAULT_DTYPE,
    cache: Annotated[
        bool, typer.Option("--cache/--no-cache", help="Reuse finished parts under OUT/cache.")
    ] = True,
) -> None:
    """Compare two checkpoints language by language: refusal behaviour and refusal directions."""
    if last_k < 1:
        raise fail(f"--last-k must be at least 1 (the end-of-instruction tokens), got {last_k}")
    require_data(benchmark, data_dir)  # before torch and the model: missing data fails at once
    from langgap.analyze.common.models import ModelLoadError, resolve_device, resolve_dtype

    try:  # before the heavy imports: a bad device or dtype answers at once
        device = resolve_device(device)
        weights = resolve_dtype(dtype, device)
    except ModelLoadError as exc:
        raise fail(str(exc)) from exc
    from langgap.analyze.common.activations import ActivationError
    from langgap.analyze.common.activations import last_k as last_positions
    from langgap.analyze.common.checkpoints import CompareError, check_layers, peek_architecture
    from langgap.analyze.compare.report import write_compare_report
    from langgap.analyze.compare.run import compare_specs
    from langgap.analyze.directions.run import DirectionError
    from langgap.evaluate.benchmarks import BenchmarkError

    try:
        layer_list = parse_layer_spec(layers)
        peeked = peek_architecture(before, base=adapter_base) if directions else None
        if peeked is not None:  # a bad layer fails before any data or weights are read
            check_layers(layer_list, peeked.n_layers)
        prompts, source = _prompts(languages, n, benchmark, split, data_dir, seed)
        result = compare_specs(
            before,
            after,
            prompts,
            adapter_base=adapter_base,
            device=device,
            dtype=weights,
            layers=layer_list,
            positions=last_positions(last_k),
            max_new_tokens=max_new_tokens,
            batch_size=batch_size,
            seed=seed,
            n_boot=n_boot,
            holdout=holdout,
            directions=directions,
            cache_dir=out / "cache" if cache else None,
            source=source,
        )
    except (
        LayerSpecError,
        CompareError,
        ModelLoadError,
        BenchmarkError,
        ActivationError,
        DirectionError,
    ) as exc:
        raise fail(str(exc)) from exc
    for warning in result.warnings():
        errors.print(f"warning: {warning}", style="yellow", markup=False, soft_wrap=True)
    _print_summary(result, write_compare_report(result, out))


def _prompts(
    languages: str, n: int, benchmark: str, split: str, data_dir: str | None, seed: int
) -> tuple[list[Prompt], dict[str, Any]]:
    """The prompts both checkpoints answer, and where they came from (for the report)."""
    from langgap.analyze.compare.run import comparison_prompts

    wanted = [w.strip() for w in languages.split(",") if w.strip()] or ["all"]
    chosen_split = None if split.casefold() == "none" else split.casefold()
    prompts, splits = comparison_prompts(
        wanted, n, benchmark=benchmark, split=chosen_split, data_dir=data_dir, seed=seed
    )
    source: dict[str, Any] = {
        "benchmark": benchmark,
        "split": chosen_split,
        "splits": splits,
        "languages": wanted,
        "n_per_class": n,
        "seed": seed,
    }
    return prompts, source


def _print_summary(result: CheckpointComparison, paths: list[Path]) -> None:
    """What came from the cache, the headline, and the files written."""
    for role, parts in result.reused.items():
        if parts:
            console.print(f"{role}: reused {', '.join(parts)} from the cache", markup=False)
    console.print(result.headline, markup=False, highlight=False, soft_wrap=True)
    for path in paths:
        console.print(str(path), markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    """Add `compare` to the `analyze` app."""
    app.command("compare")(compare)
