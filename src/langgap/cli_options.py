"""Command-line names with one meaning across every `langgap` command (docs/cli.md).

`-m/--model` is always the model under test; `--device`/`--dtype` mean the same for every
command that loads a local model. A model that judges or annotates has its own name
(`--judge-model`, `--annotator-model`); the old `--model` spelling of those still works for one
release and says what to type instead.
"""

from __future__ import annotations

from typing import Annotated

import typer

JudgeModelOption = Annotated[
    str | None,
    typer.Option("--judge-model", help="Inspect model of the llm/guard judge."),
]
AnnotatorModelOption = Annotated[
    str | None,
    typer.Option(
        "--annotator-model",
        help="Inspect model for --annotator llm, e.g. openai/gpt-4o-mini, "
        "openai-api/vllm/MODEL (with VLLM_BASE_URL), ollama/llama3.1, hf/PATH.",
    ),
]
DeviceOption = Annotated[
    str,
    typer.Option(help="auto (cuda when available, else cpu), cpu, cuda, cuda:N or mps."),
]
DtypeOption = Annotated[
    str,
    typer.Option(
        help="Weights' dtype: float32, bfloat16, float16, or auto (float32 on cpu, bfloat16 "
        "or float16 on a GPU)."
    ),
]
DEFAULT_DEVICE = "auto"
DEFAULT_DTYPE = "float32"

OldModelOption = Annotated[
    str | None,
    typer.Option("--model", hidden=True, help="Deprecated spelling; see docs/cli.md."),
]


def renamed(new: str | None, old: str | None, *, old_name: str, new_name: str) -> str | None:
    """The value of a renamed option: the new spelling, else the old one with a notice."""
    if old is None:
        return new
    if new is not None and new != old:
        raise typer.BadParameter(
            f"{old_name} and {new_name} are the same option; give only {new_name}"
        )
    typer.echo(
        f"note: {old_name} here is deprecated and will be removed in the next release; use "
        f"{new_name} (-m/--model always names the model under test).",
        err=True,
    )
    return old
