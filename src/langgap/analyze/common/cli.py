"""What the lab's commands share: the model, languages and data options, argument parsing, the
one-line error, and loading a model and its prompts the same way in every command."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from langgap.analyze.common.activations import Prompt
    from langgap.analyze.common.models import LoadedModel

console = Console(stderr=True)

ModelOption = Annotated[
    str,
    typer.Option(
        "--model",
        "-m",
        help="Local HF folder, hub name, 'smollm2' or 'smollm2-refusal' (SmolLM2 tuned here to "
        "refuse: the first use builds it, ~5 min on a 2-core CPU, then it is cached).",
    ),
]
LanguagesOption = Annotated[
    str, typer.Option(help="Comma-separated languages (any code or name), or 'all'.")
]
MaxLengthOption = Annotated[
    int,
    typer.Option(
        help="Tokens per training sequence, at most (prompt with its chat template + reply); "
        "a longer example is an error naming the length needed, never cut."
    ),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option(help="Folder holding polyrefuse/ (default: `langgap data where polyrefuse`)."),
]


def parse_languages(value: str) -> list[str] | None:
    """'all' → None (every language the data has); else the comma-separated list."""
    items = [v.strip() for v in value.split(",") if v.strip()]
    return None if not items or items == ["all"] else items


_RANGE = re.compile(r"^(\d+)-(\d+)$")


class LayerSpecError(ValueError):
    """A --layers value that is neither `all` nor indices and ranges."""


def parse_layer_spec(text: str) -> list[int] | None:
    """`all` → None; `0,4,8-11,-1` → [0, 4, 8, 9, 10, 11, -1]."""
    if text.strip().casefold() in ("", "all"):
        return None
    layers: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        found = _RANGE.match(part)
        if found:
            low, high = int(found[1]), int(found[2])
            if low > high:
                raise LayerSpecError(f"layer range {part!r} runs backwards")
            layers += range(low, high + 1)
            continue
        try:
            layers.append(int(part))
        except ValueError as exc:
            raise LayerSpecError(
                f"--layers: {part!r} is not a layer index; pass `all`, or indices and ranges "
                "such as 0,4,8-11,-1"
            ) from exc
    if not layers:  # "," or " , ": no index at all is a mistake, not a request for every layer
        raise LayerSpecError(
            f"--layers {text!r} names no layer; pass `all`, or indices such as 4,8"
        )
    return layers


def parse_layers(value: str) -> list[int] | None:
    """--layers for typer: `parse_layer_spec`, a bad value as typer's BadParameter."""
    try:
        return parse_layer_spec(value)
    except LayerSpecError as exc:
        raise typer.BadParameter(str(exc)) from None


def fail(error: Exception | str) -> typer.Exit:
    """Print a bad-input error (no traceback) and give the exit to raise."""
    console.print(f"error: {error}", style="red", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


def require_data(benchmark: str, data_dir: str | Path | None) -> None:
    """Find (or fetch on first use) a registered data set before any model is loaded, so that
    missing data is one line within seconds, not after the weights; a table path passes."""
    from langgap.data import DataUnavailableError, UnknownDatasetError, dataset_dir

    try:
        dataset_dir(benchmark.strip().casefold(), data_dir)
    except UnknownDatasetError:
        return  # a prompt table or an unknown name: its loader says what is wrong
    except DataUnavailableError as error:
        raise fail(error) from None


def load_on_device(
    model: str, device: str, dtype: str, settings: dict[str, Any], data_dir: Path | None = None
) -> LoadedModel:
    """The model on the resolved device and dtype (recorded in `settings`); `data_dir` is where
    `smollm2-refusal` finds its tuning data."""
    from langgap.analyze.common.models import load_model, resolve_device, resolve_dtype

    settings["device"] = run_on = resolve_device(device)
    weights = resolve_dtype(dtype, run_on)
    settings["dtype"] = str(weights).removeprefix("torch.")
    return load_model(model, device=run_on, dtype=weights, data_dir=data_dir)


def lab_prompts(
    languages: list[str] | None,
    n: int,
    split: str,
    data_dir: Path | None,
    seed: int,
    loaded: LoadedModel,
    settings: dict[str, Any],
    *,
    fitted: frozenset[str] = frozenset(),
) -> list[Prompt]:
    """Prompts per language from one split for every language: `split`, or the first of the
    others that has them all, so languages are not compared on different splits. Where no split
    serves every language, each comes from `split` or the next that has it, with a warning and
    `mixed_splits` recorded. Never a prompt that tuned the model (a refusal model's manifest
    lists them) nor one of `fitted` (ids that fitted the directions under study). Records what
    it did, and the ids drawn. The benchmark is read once, whatever the splits tried."""
    from langgap.analyze.common.data import benchmark_languages, prompts_any_split, read_benchmark
    from langgap.analyze.common.refusal_model import tuned_ids
    from langgap.evaluate.benchmarks import BenchmarkError

    benchmark = read_benchmark(data_dir=data_dir)
    chosen = languages or benchmark_languages(split=None, loaded=benchmark)
    order = [split, *(s for s in ("train", "test", "val") if s != split)]
    tuned = tuned_ids(loaded.path)
    exclude = tuned | fitted
    for single in order:
        try:
            prompts, used = prompts_any_split(
                chosen, n, splits=[single], seed=seed, exclude=exclude, loaded=benchmark
            )
            break
        except BenchmarkError:  # this split lacks a language: try the next
            continue
    else:
        prompts, used = prompts_any_split(
            chosen, n, splits=order, seed=seed, exclude=exclude, loaded=benchmark
        )
        settings["mixed_splits"] = True
        console.print(
            "warning: no split has every language; "
            + ", ".join(f"{lang} from {s}" for lang, s in used.items())
            + " (a language difference may be a split difference)",
            style="yellow",
            soft_wrap=True,
            markup=False,
        )
    settings["splits_used"] = used
    settings["excluded_tuning_prompts"] = len(tuned)
    if fitted:
        settings["excluded_fitting_prompts"] = len(fitted)
    settings["prompt_ids"] = sorted(p.id for p in prompts)
    return prompts
