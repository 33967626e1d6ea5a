"""`langgap analyze directions`: where refusal lives, per language and layer."""

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
    parse_layers,
    require_data,
)
from langgap.cli_options import DEFAULT_DEVICE, DEFAULT_DTYPE, DeviceOption, DtypeOption


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
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("analyze-directions"),
) -> None:
    """Refusal direction per language and layer, its quality, and cross-language cosines."""
    settings = {k: v for k, v in locals().items() if k != "out"} | {"out": str(out)}
    require_data("polyrefuse", data_dir)  # before the model: missing data fails in seconds
    from langgap.analyze.common.activations import ActivationError, capture, last_k
    from langgap.analyze.common.experiment import write_config
    from langgap.analyze.common.models import ModelLoadError
    from langgap.analyze.directions.report import write_directions_report
    from langgap.analyze.directions.run import DirectionError, refusal_directions
    from langgap.evaluate.benchmarks import BenchmarkError

    try:
        chosen_layers = parse_layers(layers)
        loaded = load_on_device(model, device, dtype, settings, data_dir)
        prompts = lab_prompts(
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
    shared = [lang for lang, c in dirs.counts.items() if not c.select_disjoint]
    if shared:
        console.print(
            f"warning: one held-out prompt per class for {', '.join(shared)}: the best layer "
            "is chosen on the reported prompts there (raise --n-per-class or --holdout)",
            style="yellow",
            soft_wrap=True,
            markup=False,
        )
    console.print(
        f"best layer {dirs.best_layer()}; wrote {len(paths)} files to {out}", markup=False
    )


def register(app: typer.Typer) -> None:
    """Add `directions` to the `langgap analyze` app."""
    app.command()(directions)
