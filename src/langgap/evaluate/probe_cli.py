"""`langgap probe KIND …`: turn a benchmark into a probe variant and write it as a dataset file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console

console = Console(stderr=True)


def parse_params(items: list[str] | None) -> dict[str, Any]:
    """`key=value` pairs; values are YAML scalars, and a comma makes a list ("en,bn")."""
    params: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"--param {item!r}: write it as key=value, e.g. ratio=0.5")
        parts = [yaml.safe_load(p.strip()) for p in raw.split(",")] if "," in raw else None
        params[key.strip().replace("-", "_")] = parts if parts else yaml.safe_load(raw)
    return params


def probe(
    kind: Annotated[str, typer.Argument(help="Probe: translit-latn, arabizi, codeswitch, …")],
    out: Annotated[Path, typer.Option(help="Output dataset (JSON Lines of Inspect samples).")],
    benchmark: Annotated[
        str, typer.Option(help="multijail, xsafety, csrt, polyrefuse or a dataset file.")
    ] = "multijail",
    languages: Annotated[str | None, typer.Option(help="Comma-separated languages.")] = None,
    categories: Annotated[str | None, typer.Option(help="Comma-separated categories.")] = None,
    limit: Annotated[int | None, typer.Option(help="First N parallel prompts.")] = None,
    sample_per_language: Annotated[int | None, typer.Option(help="N per language.")] = None,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same output.")] = 0,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder holding the benchmark data (default: see `langgap data where NAME`; "
            "fetched on first use)."
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            help="Probe parameter key=value (repeatable), e.g. ratio=0.5 languages=en,bn."
        ),
    ] = None,
) -> None:
    """Write a probe variant of a benchmark; samples keep their pair ids and record params."""
    from langgap.evaluate.benchmarks import load_benchmark
    from langgap.evaluate.probes import ProbeError, get_probe
    from langgap.languages import UnknownLanguageError

    try:
        samples, _ = load_benchmark(
            benchmark,
            data_dir=data_dir,
            languages=_split(languages),
            categories=_split(categories),
            limit=limit,
            sample_per_language=sample_per_language,
            seed=seed,
        )
        chosen = get_probe(kind, **parse_params(param))
        variants, report = chosen.apply(samples, seed=seed)
    except (ValueError, FileNotFoundError, UnknownLanguageError, ProbeError) as error:
        console.print(f"error: {error}", style="red", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    from langgap._io import atomic_write_text

    atomic_write_text(out, "".join(s.model_dump_json() + "\n" for s in variants))
    # Counts only: the prompts themselves are harmful test material.
    console.print(report.summary(), markup=False, soft_wrap=True)
    console.print(f"wrote {len(variants)} samples to {out}", markup=False)


def _split(text: str | None) -> list[str] | None:
    return [part.strip() for part in text.split(",") if part.strip()] if text else None
