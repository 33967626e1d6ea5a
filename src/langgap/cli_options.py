"""Command-line names with one meaning across every `langgap` command (docs/cli.md).

`-m/--model` is always the model under test; `--device`/`--dtype` mean the same for every
command that loads a local model. A model that judges or annotates has its own name
(`--judge-model`, `--annotator-model`); the old `--model` spelling of those still works for one
release and says what to type instead.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

import typer

T = TypeVar("T")

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

NBootOption = Annotated[
    int, typer.Option("--n-boot", min=0, help="Bootstrap resamples for the 95% intervals.")
]
OldBootOption = Annotated[
    int | None,
    typer.Option("--boot", hidden=True, help="Deprecated spelling of --n-boot; see docs/cli.md."),
]
DEFAULT_N_BOOT = 1000

OldModelOption = Annotated[
    str | None,
    typer.Option("--model", hidden=True, help="Deprecated spelling; see docs/cli.md."),
]


def renamed(
    new: T, old: T | None, *, old_name: str, new_name: str, default: T | None = None, why: str = ""
) -> T:
    """The value of a renamed option: the new spelling, else the old one with a notice.

    `default` is the new option's default, so giving only the old spelling is not read as
    giving both; `why` ends the notice (what the new name means).
    """
    if old is None:
        return new
    if new is not None and new != default and new != old:
        raise typer.BadParameter(
            f"{old_name} and {new_name} are the same option; give only {new_name}"
        )
    reason = f" ({why})" if why else ""
    typer.echo(
        f"note: {old_name} here is deprecated and will be removed in the next release; use "
        f"{new_name}{reason}.",
        err=True,
    )
    return old


MODEL_UNDER_TEST = "-m/--model always names the model under test"


def resolve_n_boot(new: int, old: int | None) -> int:
    """--n-boot, or the deprecated --boot with its notice."""
    return renamed(new, old, old_name="--boot", new_name="--n-boot", default=DEFAULT_N_BOOT)
