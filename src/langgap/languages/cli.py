"""`langgap languages`: look up languages and find them in text."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from langgap.languages.mentions import find_mentions
from langgap.languages.registry import UnknownLanguageError, lookup

app = typer.Typer(
    help="Look up languages and find language mentions in text.", no_args_is_help=True
)


@app.command("lookup")
def lookup_command(
    names: Annotated[list[str], typer.Argument(help="Names, codes or spellings.")],
) -> None:
    """Show the canonical entry for each language name or code."""
    console = Console()
    table = Table("query", "code", "tag", "English name", "autonym", "scripts")
    unknown: list[UnknownLanguageError] = []
    for name in names:
        try:
            lang = lookup(name)
        except UnknownLanguageError as err:
            unknown.append(err)
            continue
        code = lang.code if lang.individual == lang.code else f"{lang.code} ({lang.individual})"
        table.add_row(name, code, lang.tag, lang.name, lang.autonym or "", " ".join(lang.scripts))
    if table.rows:
        console.print(table)
    for bad in unknown:
        hint = ", ".join(bad.suggestions) or "no close match"
        Console(stderr=True).print(f"[red]unknown language[/red] {bad.query!r}: closest: {hint}")
    if unknown:
        raise typer.Exit(2)


@app.command("find")
def find_command(text: Annotated[str, typer.Argument(help="Text to search.")]) -> None:
    """List the language names, codes, datasets and claims found in TEXT."""
    console = Console()
    mentions = find_mentions(text)
    if not mentions:
        console.print("no language mentions")
        return
    table = Table("span", "text", "kind", "languages")
    for m in mentions:
        extra = f" ({m.source})" if m.source else ""
        count = f" n={m.count}" if m.count is not None else ""
        table.add_row(f"{m.start}-{m.end}", m.text, m.kind + extra, " ".join(m.languages) + count)
    console.print(table)
