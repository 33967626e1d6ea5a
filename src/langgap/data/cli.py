"""`langgap data`: list, fetch, locate and verify the public data sets langgap names."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from langgap.data import registry
from langgap.data.locate import (
    DataUnavailableError,
    dataset_dir,
    fetch_root,
    find,
    offline,
    roots,
)
from langgap.data.network import probe_once, probe_timeout, reachable_urls
from langgap.data.registry import Dataset, UnknownDatasetError, entry
from langgap.data.verify import verify_folder

app = typer.Typer(
    help="Public data sets: list them, fetch them, say where they are, verify them.",
    no_args_is_help=True,
)
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Folder holding the data sets (default: $LANGGAP_DATA_DIR, else ../shared/data "
        "when present, else the user data directory).",
    ),
]
_err = Console(stderr=True, highlight=False, soft_wrap=True)  # an error stays one line


def _chosen(names: list[str]) -> list[Dataset]:
    if names == ["all"] or not names:
        return list(registry.datasets().values())
    try:
        return [entry(name) for name in names]
    except UnknownDatasetError as error:
        _err.print(f"error: {error}")
        raise typer.Exit(2) from None


@app.command("list")
def list_command(
    names: Annotated[list[str] | None, typer.Argument(help="Data sets to describe.")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """The registered data sets, their licence, source and whether they are here."""
    chosen = _chosen(names or [])
    # described one line per field, so a URL or path is never split where a pipe reads it
    console = Console(highlight=False, soft_wrap=bool(names))
    if names:
        for dataset in chosen:
            _describe(console, dataset, find(dataset, data_dir))
        return
    table = Table("name", "harmful", "source", "here")
    for dataset in chosen:
        folder = find(dataset, data_dir)
        table.add_row(
            dataset.name,
            "yes" if dataset.harmful else "no",
            dataset.source.kind,
            str(folder) if folder else "-",
        )
    console.print(table)
    console.print(f"searched: {_searched(data_dir)}")


def _describe(console: Console, dataset: Dataset, folder: Path | None) -> None:
    console.print(f"[bold]{dataset.name}[/bold]: {dataset.title}")
    console.print(f"  source: {dataset.source.page}")
    console.print(f"  licence: {dataset.licence}; harmful by design: {dataset.harmful}")
    console.print(f"  cite: {dataset.citation}")
    console.print(f"  used by: {'; '.join(dataset.used_by)}")
    console.print(f"  checksums: {dataset.checksums}")
    if dataset.note:
        console.print(f"  note: {dataset.note}")
    console.print(f"  here: {folder or 'not downloaded'}")
    for spec in dataset.files:
        console.print(f"  {dataset.folder}/{spec.path}  <- {dataset.url(spec)}")
    if dataset.source.patterns:
        console.print(f"  files matching {', '.join(dataset.source.patterns)} from the hub")


@app.command("fetch")
def fetch_command(
    names: Annotated[list[str], typer.Argument(help="Data set names, or 'all'.")],
    data_dir: DataDirOption = None,
) -> None:
    """Download data sets that are not here yet (verified, resumable, atomic)."""
    failed = 0
    chosen = _chosen(names)
    try:
        timeout = probe_timeout()
    except ValueError as error:  # a bad LANGGAP_CONNECT_TIMEOUT: one line, before any probe
        _err.print(f"error: {error}")
        raise typer.Exit(2) from None
    with probe_once():  # every server asked once, all at once: offline, one wait in all
        servers = [url for dataset in chosen for url in _servers(dataset, data_dir)]
        reachable_urls(servers, timeout)
        for dataset in chosen:
            try:
                folder = _fetch(dataset, data_dir)
            except DataUnavailableError as error:
                _err.print(f"{dataset.name}: {error}")
                failed += 1
                continue
            typer.echo(f"{dataset.name}: {folder}")
    if failed:
        raise typer.Exit(1)


def _servers(dataset: Dataset, data_dir: Path | None) -> list[str]:
    """The URLs whose servers fetching dataset would probe ([] when it is here or cannot be
    downloaded, or downloads are off)."""
    if offline() or not dataset.fetchable or find(dataset, data_dir) is not None:
        return []
    if dataset.source.kind == "anthology":
        from langgap.data.anthology import BIBTEX_URL, REPO_URL

        return [REPO_URL, BIBTEX_URL]
    from langgap.data.download import first_url

    return [first_url(dataset)]


def _fetch(dataset: Dataset, data_dir: Path | None) -> Path:
    if dataset.source.kind != "anthology":
        return dataset_dir(dataset.name, data_dir)
    from langgap.data.anthology import locate_anthology

    return locate_anthology(data_dir)  # AnthologyUnavailableError is a DataUnavailableError


@app.command("where")
def where_command(
    name: Annotated[str, typer.Argument(help="A data set name.")],
    data_dir: DataDirOption = None,
) -> None:
    """Print the data set's folder (or, on stderr, where a fetch would put it)."""
    dataset = _chosen([name])[0]
    folder = find(dataset, data_dir)
    if folder is not None:
        typer.echo(str(folder))
        return
    target = fetch_root(data_dir).path / dataset.folder
    typer.echo(str(target))
    _err.print(f"{dataset.name} is not downloaded yet: `langgap data fetch {dataset.name}`")


@app.command("verify")
def verify_command(
    names: Annotated[list[str] | None, typer.Argument(help="Data sets (default: all).")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Check every file of the data sets that are here against its SHA-256."""
    bad = present = 0
    for dataset in _chosen(names or []):
        folder = find(dataset, data_dir)
        present += folder is not None
        if folder is None:
            if names:
                _err.print(f"{dataset.name}: not here (`langgap data fetch {dataset.name}`)")
                bad += 1
            continue
        checks = verify_folder(dataset, folder)
        if not checks:
            typer.echo(f"{dataset.name}: present, no checksums registered ({folder})")
            continue
        problems = [check for check in checks if check.state in ("missing", "mismatch")]
        unchecked = sum(check.state == "unchecked" for check in checks)
        for check in problems:
            _err.print(f"{dataset.name}: {check.path}: {check.state}: {check.detail}")
        ok = len(checks) - len(problems) - unchecked
        extra = f", {unchecked} without a known checksum" if unchecked else ""
        verdict = "FAILED" if problems else "ok"
        typer.echo(
            f"{dataset.name}: {verdict}: {ok}/{len(checks)} files verified{extra} ({folder})"
        )
        bad += bool(problems)
    if not names and not present:  # say so: silence would read as "all verified"
        typer.echo(f"no data set is here to verify; searched: {_searched(data_dir)}")
    if bad:
        raise typer.Exit(1)


def _searched(data_dir: str | Path | None) -> str:
    """The folders a lookup searches, in order, each with where it comes from."""
    return ", ".join(f"{root.path} ({root.origin})" for root in roots(data_dir))
