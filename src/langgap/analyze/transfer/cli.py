"""`langgap analyze transfer`: LoRA refusal training on some languages, evaluated on all."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from langgap.analyze.common.cli import MaxLengthOption, ModelOption, fail, require_data
from langgap.cli_options import (
    DEFAULT_DEVICE,
    DEFAULT_DTYPE,
    DEFAULT_N_BOOT,
    DeviceOption,
    DtypeOption,
    NBootOption,
    OldBootOption,
    resolve_n_boot,
)

if TYPE_CHECKING:
    from langgap.analyze.transfer.results import TransferExperiment

console = Console()
errors = Console(stderr=True, soft_wrap=True)  # log lines name folders: keep them whole


def _split(values: list[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def transfer(
    train_languages: Annotated[
        list[str],
        typer.Option(
            help="Training languages of one matrix row, comma-separated (en or en,de); repeat "
            "for more rows (--train-languages en --train-languages en,de)."
        ),
    ],
    eval_languages: Annotated[
        list[str] | None,
        typer.Option(
            help="Evaluation languages, comma-separated or repeated; 'all' (default) = "
            "every language of the benchmark."
        ),
    ] = None,
    model: ModelOption = "smollm2",
    out: Annotated[Path, typer.Option(help="Output folder (also holds the resume cache).")] = Path(
        "analyze-transfer"
    ),
    benchmark: Annotated[
        str, typer.Option(help="Benchmark name or prompt table (needs harmful + harmless).")
    ] = "polyrefuse",
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder holding the benchmark data.")
    ] = None,
    train_file: Annotated[
        Path | None,
        typer.Option(
            help="Your own training JSONL: langgap datagen sft.jsonl (messages) or "
            "dpo.jsonl (prompt/chosen/rejected); each row needs a language."
        ),
    ] = None,
    method: Annotated[
        str, typer.Option(help="sft, dpo, or auto (DPO when --train-file holds pairs).")
    ] = "auto",
    n_train: Annotated[
        int,
        typer.Option(
            help="Harmful training prompts per language (with --train-file: at most n-train + "
            "n-train-harmless of its rows per language)."
        ),
    ] = 48,
    n_train_harmless: Annotated[
        int | None,
        typer.Option(help="Harmless training prompts per language (default: --n-train)."),
    ] = None,
    n_eval: Annotated[
        int, typer.Option(help="Evaluation prompts per language and class (harmful/harmless).")
    ] = 32,
    epochs: Annotated[float, typer.Option(help="Training epochs.")] = 2.0,
    lr: Annotated[float, typer.Option(help="Learning rate.")] = 3e-4,
    lora_r: Annotated[int, typer.Option(help="LoRA rank.")] = 8,
    lora_alpha: Annotated[int, typer.Option(help="LoRA alpha.")] = 16,
    lora_dropout: Annotated[float, typer.Option(help="LoRA dropout.")] = 0.0,
    lora_targets: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated module names to adapt (default: every linear layer "
            "of the decoder blocks)."
        ),
    ] = None,
    train_batch_size: Annotated[int, typer.Option(help="Training batch size.")] = 8,
    eval_batch_size: Annotated[int, typer.Option(help="Generation batch size.")] = 16,
    max_new_tokens: Annotated[int, typer.Option(help="New tokens per evaluated reply.")] = 24,
    reply_tokens: Annotated[
        int, typer.Option(help="New tokens of the base replies used as harmless targets.")
    ] = 40,
    max_length: MaxLengthOption = 512,
    dpo_beta: Annotated[float, typer.Option(help="DPO beta.")] = 0.1,
    n_boot: NBootOption = DEFAULT_N_BOOT,
    seed: Annotated[int, typer.Option(help="Seed of data sampling, training, bootstrap.")] = 0,
    device: DeviceOption = DEFAULT_DEVICE,
    dtype: DtypeOption = DEFAULT_DTYPE,
    boot: OldBootOption = None,
) -> None:
    """Fine-tune a fresh LoRA per training set and report the train × eval transfer matrix."""
    require_data(benchmark, data_dir)  # before torch and the model: missing data fails at once
    from langgap.analyze.common.models import ModelLoadError, resolve_device, resolve_dtype
    from langgap.analyze.transfer.report import write_report
    from langgap.analyze.transfer.run import (
        TransferConfig,
        TransferConfigError,
        TransferDataError,
        run_transfer,
    )

    resamples = resolve_n_boot(n_boot, boot)
    try:
        device = resolve_device(device)
        resolve_dtype(dtype, device)
    except ModelLoadError as exc:
        raise fail(str(exc)) from None
    sets = tuple(tuple(_split([s])) for s in train_languages)
    evals = _split(eval_languages or ["all"])
    config = TransferConfig(
        model=model,
        train_sets=sets,
        eval_languages="all" if [e.casefold() for e in evals] == ["all"] else tuple(evals),
        benchmark=benchmark,
        data_dir=str(data_dir) if data_dir else None,
        train_file=str(train_file) if train_file else None,
        method=method,
        n_train=n_train,
        n_train_harmless=n_train_harmless,
        n_eval=n_eval,
        epochs=epochs,
        learning_rate=lr,
        lora_r=lora_r,
        lora_alpha=lora_alpha,
        lora_dropout=lora_dropout,
        lora_targets=tuple(_split([lora_targets])) if lora_targets else None,
        train_batch_size=train_batch_size,
        eval_batch_size=eval_batch_size,
        max_new_tokens=max_new_tokens,
        reply_tokens=reply_tokens,
        max_length=max_length,
        dpo_beta=dpo_beta,
        n_boot=resamples,
        seed=seed,
        device=device,
        dtype=dtype,
        out_dir=str(out),
    )
    try:
        experiment = run_transfer(
            config, log=lambda m: errors.print(m, markup=False, highlight=False)
        )
    except (TransferConfigError, TransferDataError, ModelLoadError) as exc:
        raise fail(str(exc)) from None
    for warning in experiment.warnings():
        errors.print(f"warning: {warning}", style="yellow", markup=False, soft_wrap=True)
    paths = write_report(experiment, out)
    console.print(_harmlessness_table(experiment))
    for path in paths:
        console.print(Text(str(path)))


def _harmlessness_table(experiment: TransferExperiment) -> Table:
    """The train × eval matrix of harmlessness changes, with intervals, for the terminal."""
    m = experiment.matrix("harmlessness")
    table = Table(title=Text("Change in harmlessness, points [95% interval]"))
    table.add_column(Text("trained on"))
    for lang in m.columns:
        table.add_column(Text(lang), justify="right")
    for i, name in enumerate(m.rows):
        cells = [
            f"{m.change[i, j]:+.1f} [{m.low[i, j]:+.1f}, {m.high[i, j]:+.1f}]"
            if m.n[i, j] == m.n[i, j]
            else "n/a"
            for j in range(len(m.columns))
        ]
        table.add_row(Text(name), *(Text(c) for c in cells))
    return table


def register(app: typer.Typer) -> None:
    """Add `transfer` to the `analyze` app."""
    app.command("transfer")(transfer)
