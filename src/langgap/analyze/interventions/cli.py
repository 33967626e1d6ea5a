"""`langgap analyze intervene`: each language's refusal direction ablated or added everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from langgap.analyze.common.cli import (
    DataDirOption,
    LanguagesOption,
    ModelOption,
    console,
    fail,
    lab_prompts,
    load_on_device,
    parse_languages,
    require_data,
)
from langgap.cli_options import DEFAULT_DEVICE, DEFAULT_DTYPE, DeviceOption, DtypeOption


def intervene(
    model: ModelOption = "smollm2",
    directions_dir: Annotated[
        Path, typer.Option("--directions", help="Folder written by `analyze directions`.")
    ] = Path("analyze-directions"),
    mode: Annotated[
        str, typer.Option(help="ablate (harmful prompts) or add (harmless prompts).")
    ] = "ablate",
    layer: Annotated[int | None, typer.Option(help="Layer (default: the best one).")] = None,
    alpha: Annotated[float, typer.Option(help="Scale of the added direction (add mode).")] = 4.0,
    alpha_relative: Annotated[
        float | None,
        typer.Option(
            help="Scale as a multiple of the mean residual norm at the layer (replaces --alpha)."
        ),
    ] = None,
    ablation_points: Annotated[
        str,
        typer.Option(
            help="Ablation: 'all-writes' projects the direction out of every write to the "
            "residual stream (after attention and after each block, as Arditi et al.); "
            "'block-outputs' only before the first block and after each block (the old rule)."
        ),
    ] = "all-writes",
    ablation_kind: Annotated[
        str,
        typer.Option(
            help="Ablation: 'zero' projects the direction out (Arditi et al.); 'affine' sets its "
            "component to the value in the source language's harmless mean activation at each "
            "captured layer's output (ACE, Marshall et al. 2024; needs --ablation-points "
            "block-outputs)."
        ),
    ] = "zero",
    ablation_tail: Annotated[
        int,
        typer.Option(
            help="Ablation: edit only each prompt's last K positions (where the directions are "
            "fitted) and the generated tokens; 0: every position."
        ),
    ] = 0,
    ablation_keep_sink: Annotated[  # 10x: run.MASSIVE_RATIO (run imports torch: not at start-up)
        bool,
        typer.Option(
            help="Ablation: leave positions with a massive activation (norm over 10x their "
            "sequence's median: the attention sink, e.g. SmolLM2's first token) alone; "
            "projecting a direction out of that huge vector moves every later attention pattern."
        ),
    ] = False,
    languages: LanguagesOption = "all",
    n: Annotated[int, typer.Option(help="Prompts per target language.")] = 8,
    split: Annotated[
        str, typer.Option(help="PolyRefuse split; a language it lacks uses the next one.")
    ] = "test",
    max_new_tokens: int = 24,
    batch_size: int = 16,
    seed: int = 0,
    device: DeviceOption = DEFAULT_DEVICE,
    dtype: DtypeOption = DEFAULT_DTYPE,
    data_dir: DataDirOption = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("analyze-intervene"),
) -> None:
    """Source × target transfer: each language's direction applied to every language's prompts."""
    settings = {k: v for k, v in locals().items() if k != "out"} | {"out": str(out)}
    if mode == "add":  # addition uses no ablation choice: do not record one as if it applied
        for unused in ("ablation_points", "ablation_kind", "ablation_tail", "ablation_keep_sink"):
            settings.pop(unused)
    from langgap.analyze.common.activations import ActivationError
    from langgap.analyze.common.experiment import write_config
    from langgap.analyze.common.models import ModelLoadError, resolve_device, resolve_dtype
    from langgap.analyze.directions.run import DirectionError, fitted_ids, load_directions
    from langgap.analyze.interventions.report import write_transfer_report
    from langgap.analyze.interventions.run import check_ablation, transfer_matrix
    from langgap.evaluate.benchmarks import BenchmarkError

    # the options first: a misspelt choice is reported before any data or network check
    if mode not in ("ablate", "add"):
        raise fail(ValueError(f"unknown mode {mode!r}; available: ablate, add"))
    try:
        points, kind = check_ablation(ablation_points, ablation_kind, ablation_tail, mode)
    except ValueError as error:
        raise fail(error) from error
    require_data("polyrefuse", data_dir)  # before the model: missing data fails in seconds
    try:
        resolve_dtype(dtype, resolve_device(device))  # a bad device fails before any reading
        dirs = load_directions(directions_dir)
        if mode == "ablate" and kind == "affine":  # before the model loads
            dirs.require_harmless_mean(directions_dir)
        chosen = parse_languages(languages) or dirs.languages
        loaded = load_on_device(model, device, dtype, settings, data_dir)
        fitted = fitted_ids(directions_dir)
        drawn = lab_prompts(
            chosen, n, split, data_dir, seed, loaded, settings, fitted=fitted or frozenset()
        )
        if fitted is None:  # directions from before their prompt ids were recorded
            settings["fitting_overlap"] = "unknown"
            console.print(
                f"warning: {directions_dir} does not record which prompts fitted its directions "
                "(config.json has no prompt_ids), so these prompts may include them; rerun "
                "`langgap analyze directions` to have them left out",
                style="yellow", markup=False, soft_wrap=True,
            )  # fmt: skip
        prompts = [p for p in drawn if p.harmful == (mode == "ablate")]
        at = dirs.best_layer() if layer is None else layer
        dirs.layer_index(at)  # a layer that was not captured fails here, naming those that were
        if alpha_relative is not None:
            alpha = settings["alpha"] = dirs.relative_alpha(at, alpha_relative)
        console.print(f"{mode} at layer {at}: {len(prompts)} prompts", markup=False)
        result = transfer_matrix(
            loaded.model,
            loaded.tokenizer,
            dirs,
            prompts,
            layer=at,
            mode="ablate" if mode == "ablate" else "add",
            alpha=alpha,
            max_new_tokens=max_new_tokens,
            batch_size=batch_size,
            ablation_points=points,
            ablation_kind=kind,
            ablation_tail=ablation_tail,
            ablation_keep_sink=ablation_keep_sink,
        )
    except (ActivationError, DirectionError, ModelLoadError, BenchmarkError) as error:
        raise fail(error) from error
    for warning in result.warnings():
        console.print(f"warning: {warning}", style="yellow", markup=False, soft_wrap=True)
    write_config(out, "langgap analyze intervene", settings)
    paths = write_transfer_report(result, out)
    console.print(f"wrote {len(paths)} files to {out}", markup=False)


def register(app: typer.Typer) -> None:
    """Add `intervene` to the `langgap analyze` app."""
    app.command()(intervene)
