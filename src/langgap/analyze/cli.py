"""`langgap analyze …`: refusal directions, interventions, influence, transfer, checkpoints.

Heavy libraries (torch, transformers) load when a command runs, not when `langgap --help` does.
Every command writes config.json (settings, seeds, versions) beside its JSON, figures and
Markdown summary; none prints or stores prompt text.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from langgap.analyze.cli_refusal import register as register_refusal
from langgap.analyze.compare.cli import register as register_compare
from langgap.analyze.influence.cli import register as register_influence
from langgap.analyze.transfer.cli import register as register_transfer
from langgap.cli_options import DEFAULT_DEVICE, DEFAULT_DTYPE, DeviceOption, DtypeOption

if TYPE_CHECKING:
    from langgap.analyze.common.activations import Prompt
    from langgap.analyze.common.models import LoadedModel

console = Console(stderr=True)
app = typer.Typer(
    help="Crosslingual safety lab: where refusal lives per language, and what moves it.",
    no_args_is_help=True,
)

ModelOption = Annotated[
    str,
    typer.Option(
        "--model", "-m", help="Local HF folder, hub name, 'smollm2' or 'smollm2-refusal'."
    ),
]
LanguagesOption = Annotated[
    str, typer.Option(help="Comma-separated languages (any code or name), or 'all'.")
]
DataDirOption = Annotated[
    Path | None,
    typer.Option(help="Folder holding polyrefuse/ (default: `langgap data where polyrefuse`)."),
]


def parse_languages(value: str) -> list[str] | None:
    """'all' → None (every language the data has); else the comma-separated list."""
    items = [v.strip() for v in value.split(",") if v.strip()]
    return None if not items or items == ["all"] else items


def parse_layers(value: str) -> list[int] | None:
    """'all' → None; else comma-separated layer numbers."""
    if value.strip() in ("", "all"):
        return None
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError as exc:
        raise typer.BadParameter(f"layers must be 'all' or numbers like 4,8,12: {value}") from exc


def fail(error: Exception) -> typer.Exit:
    """Print a bad-input error (no traceback) and give the exit to raise."""
    console.print(f"error: {error}", style="red", markup=False, soft_wrap=True)
    return typer.Exit(2)


def load_on_device(model: str, device: str, dtype: str, settings: dict[str, Any]) -> LoadedModel:
    """The model on the resolved device and dtype (recorded in `settings`)."""
    from langgap.analyze.common.models import load_model, resolve_device, resolve_dtype

    settings["device"] = run_on = resolve_device(device)
    weights = resolve_dtype(dtype, run_on)
    settings["dtype"] = str(weights).removeprefix("torch.")
    return load_model(model, device=run_on, dtype=weights)


def _prompts(
    languages: list[str] | None,
    n: int,
    split: str,
    data_dir: Path | None,
    seed: int,
    loaded: LoadedModel,
    settings: dict[str, Any],
) -> list[Prompt]:
    """Prompts per language from `split`, or from the next split that has the language; never
    one that tuned the model (a refusal model's manifest lists them). Records what it did."""
    from langgap.analyze.common.data import benchmark_languages, prompts_any_split
    from langgap.analyze.common.refusal_model import tuned_ids

    chosen = languages or benchmark_languages(split=None, data_dir=data_dir)
    order = [split, *(s for s in ("train", "test", "val") if s != split)]
    exclude = tuned_ids(loaded.path)
    prompts, used = prompts_any_split(
        chosen, n, splits=order, data_dir=data_dir, seed=seed, exclude=exclude
    )
    settings["splits_used"] = used
    settings["excluded_tuning_prompts"] = len(exclude)
    return prompts


@app.command()
def directions(
    model: ModelOption = "smollm2",
    languages: LanguagesOption = "eng,deu,ara,zho,jpn,rus",
    n_per_class: Annotated[int, typer.Option(help="Harmful and harmless prompts each.")] = 32,
    layers: Annotated[str, typer.Option(help="'all' or e.g. 4,8,12.")] = "all",
    positions: Annotated[int, typer.Option(help="Last k prompt tokens, averaged.")] = 3,
    split: Annotated[
        str,
        typer.Option(
            help="PolyRefuse split (train, val, test); a language it lacks uses the next."
        ),
    ] = "train",
    holdout: Annotated[float, typer.Option(help="Share kept out to score quality.")] = 0.25,
    batch_size: int = 16,
    seed: int = 0,
    device: DeviceOption = DEFAULT_DEVICE,
    dtype: DtypeOption = DEFAULT_DTYPE,
    save_activations: Annotated[bool, typer.Option(help="Also write activations.pt.")] = False,
    data_dir: DataDirOption = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("analyze-out/directions"),
) -> None:
    """Refusal direction per language and layer, its quality, and cross-language cosines."""
    settings = {k: v for k, v in locals().items() if k != "out"} | {"out": str(out)}
    from langgap.analyze.common.activations import ActivationError, capture, last_k
    from langgap.analyze.common.experiment import write_config
    from langgap.analyze.common.models import ModelLoadError
    from langgap.analyze.directions.report import write_directions_report
    from langgap.analyze.directions.run import DirectionError, refusal_directions
    from langgap.evaluate.benchmarks import BenchmarkError

    try:
        chosen_layers = parse_layers(layers)
        loaded = load_on_device(model, device, dtype, settings)
        prompts = _prompts(
            parse_languages(languages), n_per_class, split, data_dir, seed, loaded, settings
        )
        console.print(f"capturing {len(prompts)} prompts through {model}", markup=False)
        acts = capture(
            loaded.model,
            loaded.tokenizer,
            prompts,
            layers=chosen_layers,
            positions=last_k(positions),
            batch_size=batch_size,
            reduce="mean",
        )
        dirs = refusal_directions(acts, holdout=holdout, seed=seed)
    except (ActivationError, DirectionError, ModelLoadError, BenchmarkError) as error:
        raise fail(error) from error
    write_config(out, "langgap analyze directions", settings)
    if save_activations:
        acts.save(out / "activations.pt")
    paths = write_directions_report(dirs, out)
    best = dirs.best_layer()
    console.print(f"best layer {best}; wrote {len(paths)} files to {out}", markup=False)


@app.command()
def intervene(
    model: ModelOption = "smollm2",
    directions_dir: Annotated[
        Path, typer.Option("--directions", help="Folder written by `analyze directions`.")
    ] = Path("analyze-out/directions"),
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
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("analyze-out/intervene"),
) -> None:
    """Source × target transfer: each language's direction applied to every language's prompts."""
    settings = {k: v for k, v in locals().items() if k != "out"} | {"out": str(out)}
    from langgap.analyze.common.activations import ActivationError
    from langgap.analyze.common.experiment import write_config
    from langgap.analyze.common.models import ModelLoadError, resolve_device, resolve_dtype
    from langgap.analyze.directions.report import write_transfer_report
    from langgap.analyze.directions.run import DirectionError, load_directions
    from langgap.analyze.interventions.run import transfer_matrix
    from langgap.evaluate.benchmarks import BenchmarkError

    if mode not in ("ablate", "add"):
        raise fail(ValueError(f"unknown mode {mode!r}; available: ablate, add"))
    try:
        resolve_dtype(dtype, resolve_device(device))  # a bad device fails before any reading
        dirs = load_directions(directions_dir)
        chosen = parse_languages(languages) or dirs.languages
        loaded = load_on_device(model, device, dtype, settings)
        drawn = _prompts(chosen, n, split, data_dir, seed, loaded, settings)
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
        )
    except (ActivationError, DirectionError, ModelLoadError, BenchmarkError) as error:
        raise fail(error) from error
    for warning in result.warnings():
        console.print(f"warning: {warning}", style="yellow", markup=False, soft_wrap=True)
    write_config(out, "langgap analyze intervene", settings)
    paths = write_transfer_report(result, out)
    console.print(f"wrote {len(paths)} files to {out}", markup=False)


register_influence(app)
register_transfer(app)
register_compare(app)
register_refusal(app)
