"""`langgap survey check`: does a paper name the language it studies? (exit code for CI)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

EXIT_PASS = 0
EXIT_NOT_NAMED = 1  # WARN or FAIL: the paper does not name its language outright
EXIT_UNREADABLE = 2  # the document could not be read (also typer's code for bad arguments)

console = Console()
errors = Console(stderr=True)


def check(
    document: Annotated[
        str, typer.Argument(help="A PDF, a .txt/.md/.tex file, or the text itself.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    allow_warn: Annotated[
        bool, typer.Option(help="Exit 0 on WARN too (languages implied by datasets only).")
    ] = False,
) -> None:
    """Check that a paper names its language(s) (the Bender rule); suggest a sentence if not.

    Exit codes: 0 PASS (a language is named), 1 WARN (only implied by a dataset or a claim) or
    FAIL (none), 2 the document could not be read.
    """
    from langgap.survey.check import CheckInputError, check_document

    try:
        result = check_document(document)
    except CheckInputError as error:
        errors.print(f"error: {error}", style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_UNREADABLE) from None
    if as_json:
        text = json.dumps(result.to_dict(), ensure_ascii=False, indent=2)
        console.print(text, markup=False, highlight=False, soft_wrap=True)
    else:
        console.print(result.render(), markup=False, highlight=False, soft_wrap=True)
    passed = result.verdict == "PASS" or (allow_warn and result.verdict == "WARN")
    raise typer.Exit(EXIT_PASS if passed else EXIT_NOT_NAMED)


def register(app: typer.Typer) -> None:
    """Add `check` to the `langgap survey` command group."""
    app.command("check")(check)
