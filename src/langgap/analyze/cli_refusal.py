"""`langgap analyze refusal-model`: build (or find cached) a refusal-tuned small model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from langgap.analyze.common.cli import MaxLengthOption, require_data
from langgap.cli_options import DEFAULT_DEVICE, DeviceOption

errors = Console(stderr=True, soft_wrap=True)  # progress lines name folders: keep them whole


def refusal_model(
    languages: Annotated[
        str, typer.Option(help="Languages to refuse in, comma-separated (any code or name).")
    ] = "eng,deu,ara",
    base: Annotated[
        str, typer.Option(help="Base model: 'smollm2' or a local Hugging Face folder.")
    ] = "smollm2",
    n_harmful: Annotated[int, typer.Option(help="Harmful tuning prompts per language.")] = 32,
    n_harmless: Annotated[int, typer.Option(help="Harmless tuning prompts per language.")] = 32,
    epochs: Annotated[float, typer.Option(help="Training epochs.")] = 3.0,
    lr: Annotated[float, typer.Option(help="Learning rate.")] = 1e-3,
    lora_r: Annotated[int, typer.Option(help="LoRA rank.")] = 8,
    max_length: MaxLengthOption = 384,
    seed: Annotated[int, typer.Option(help="Seed of prompt choice and training.")] = 0,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Folder holding polyrefuse/ (default: `langgap data where polyrefuse`)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Model folder to write (default: langgap's cache, keyed by settings)."),
    ] = None,
    device: DeviceOption = DEFAULT_DEVICE,
) -> None:
    """LoRA-tune a model to refuse harmful PolyRefuse prompts (varied refusals in each language;
    harmless prompts keep the base model's own replies), merge it, and print its folder for -m.
    Trains in float32 on --device; a folder with the same base weights and settings is reused."""
    require_data("polyrefuse", data_dir)  # before torch and the model: missing data fails at once
    from langgap.analyze.common.lab_splits import SplitError
    from langgap.analyze.common.models import ModelLoadError, resolve_device
    from langgap.analyze.common.refusal_data import TransferDataError
    from langgap.analyze.common.refusal_model import (
        RefusalModelConfig,
        RefusalModelError,
        build_refusal_model,
    )
    from langgap.evaluate.benchmarks import BenchmarkError

    try:
        chosen_device = resolve_device(device)
    except ModelLoadError as exc:
        errors.print(f"error: {exc}", style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    config = RefusalModelConfig(
        base=base,
        languages=tuple(x.strip() for x in languages.split(",") if x.strip()),
        n_harmful=n_harmful,
        n_harmless=n_harmless,
        epochs=epochs,
        learning_rate=lr,
        lora_r=lora_r,
        lora_alpha=2 * lora_r,
        max_length=max_length,
        seed=seed,
        data_dir=str(data_dir) if data_dir else None,
        device=chosen_device,
    )
    try:
        built = build_refusal_model(
            config, out=out, log=lambda m: errors.print(m, markup=False, highlight=False)
        )
    except (
        RefusalModelError, TransferDataError, ModelLoadError, BenchmarkError, SplitError
    ) as exc:  # fmt: skip
        errors.print(f"error: {exc}", style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    per = built.manifest["examples"]["per_language"]
    summary = ", ".join(
        f"{lang} {c['harmful']}+{c['harmless']} ({c['refusal_phrasings']} refusal phrasings)"
        for lang, c in per.items()
    )
    errors.print(f"tuned on (harmful+harmless): {summary}", markup=False, highlight=False)
    print(built.path)  # stdout: the folder alone, for `-m "$(langgap analyze refusal-model)"`


def register(app: typer.Typer) -> None:
    """Add `refusal-model` to the `analyze` app."""
    app.command("refusal-model")(refusal_model)
