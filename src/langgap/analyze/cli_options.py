"""`--device` and `--dtype`: one meaning for every analyze command that loads a model."""

from __future__ import annotations

from typing import Annotated

import typer

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
