"""`langgap datagen …`: run a datagen config, check a constitution. Prints counts, never text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console(stderr=True, soft_wrap=True)  # messages with paths stay whole lines
app = typer.Typer(help="Generate multilingual safety data grounded in each culture's principles.")


@app.command()
def run(
    config: Annotated[Path, typer.Option("--config", help="Datagen YAML config.")],
    keep_flagged: Annotated[
        bool,
        typer.Option(
            "--keep-flagged",
            help="Export items a validator flagged (default: they go to rejects.jsonl).",
        ),
    ] = False,
) -> None:
    """Run (or resume) a datagen config; writes items, SFT/DPO JSONL, rejects and a card."""
    # imported here, not with the CLI: pydantic and the language tables slow every command
    from langgap.datagen.config import ConfigError, load_config
    from langgap.datagen.constitution import ConstitutionError
    from langgap.datagen.pipeline import run_datagen

    try:
        settings = load_config(config)
        if keep_flagged:
            validation = settings.validation.model_copy(update={"keep_flagged": True})
            settings = settings.model_copy(update={"validation": validation})
        result = run_datagen(settings)
    except (ConfigError, ConstitutionError) as err:
        console.print(f"error: {err}", style="red", markup=False, highlight=False)
        raise typer.Exit(2) from err
    console.print(result.summary(), markup=False, highlight=False)
    for name, path in result.files.items():
        console.print(f"  {name}: {path}", markup=False, highlight=False)


@app.command("check-constitution")
def check_constitution(
    path: Annotated[Path, typer.Argument(help="Constitution YAML file.")],
    language: Annotated[
        list[str] | None, typer.Option(help="Show the principles that apply to a language.")
    ] = None,
    schema: Annotated[bool, typer.Option(help="Print the JSON Schema instead.")] = False,
    strict: Annotated[
        bool,
        typer.Option(
            help="Also refuse unknown categories, orphan lexicons and unknown regions/scripts "
            "(without it they are warnings)."
        ),
    ] = False,
) -> None:
    """Validate a constitution file and list what applies to each language."""
    from langgap.datagen.constitution import (
        ConstitutionError,
        applicable,
        constitution_schema,
        load_constitution,
        strict_problems,
    )

    if schema:
        typer.echo(json.dumps(constitution_schema(), indent=2))
        return
    try:
        constitution = load_constitution(path)
    except ConstitutionError as err:
        console.print(f"error: {err}", markup=False, highlight=False)
        raise typer.Exit(2) from err
    problems = strict_problems(constitution)
    for problem in problems:
        label = "error" if strict else "warning"
        console.print(f"{label}: {problem}", markup=False, highlight=False, soft_wrap=True)
    if strict and problems:
        raise typer.Exit(2)
    note = " (EXAMPLE: replace with experts' principles)" if constitution.example else ""
    typer.echo(f"{constitution.name}: {len(constitution.principles)} principles ok{note}")
    for name in language or []:
        ids = [p.id for p in applicable(constitution, name)]
        typer.echo(f"  {name}: {', '.join(ids)}")
