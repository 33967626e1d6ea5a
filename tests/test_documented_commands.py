"""Every `langgap …` and `inspect eval …` command shown in README.md and docs/*.md names a real
command and real options (a documented `-m` that the command lacks used to reach users first).
tests/test_documented_runs.py runs the ones that work offline."""

from __future__ import annotations

import shlex

import click
import click.testing
import pytest
import typer
from typer.testing import CliRunner

from langgap.cli import app

from ._documented import documented_commands

COMMANDS = documented_commands(("langgap ",))
INSPECT_COMMANDS = documented_commands(("inspect eval ",))


def test_docs_show_commands() -> None:
    assert len(COMMANDS) > 30


def _is_group(command: object) -> bool:
    return hasattr(command, "commands")  # Typer's groups are not click.Group subclasses


def _resolve(tokens: list[str]) -> tuple[click.Command, list[str], list[str]]:
    """The command the tokens call, its path of names and the tokens after it."""
    command: click.Command = typer.main.get_command(app)
    path: list[str] = []
    while _is_group(command) and tokens and not tokens[0].startswith("-"):
        sub = command.get_command(click.Context(command), tokens[0])  # type: ignore[attr-defined]
        assert sub is not None, f"no command {tokens[0]!r} under {command.name!r}"
        command, path, tokens = sub, [*path, tokens[0]], tokens[1:]
    return command, path, tokens


@pytest.mark.parametrize(("where", "line"), COMMANDS, ids=[w for w, _ in COMMANDS])
def test_documented_command_exists_with_its_options(where: str, line: str) -> None:
    tokens = shlex.split(line)[1:]
    command, path, rest = _resolve(tokens)
    assert not _is_group(command), f"{where}: `{line}` names no command"
    # its help renders (rich markup in a help text once crashed `judge eval --help`)
    shown = CliRunner().invoke(app, [*path, "--help"], terminal_width=100)
    shown_as = f"langgap {' '.join(path)} --help"
    assert shown.exit_code == 0, f"{where}: `{shown_as}` failed:\n{shown.output}"
    known = {name for p in command.params for name in (*p.opts, *p.secondary_opts)}
    for token in rest:
        if token.startswith("-") and token not in ("-", "--") and not token[1:2].isdigit():
            option = token.split("=", 1)[0]
            assert option in known, f"{where}: {option} is not an option of `{command.name}`"


def test_docs_show_inspect_commands() -> None:
    assert INSPECT_COMMANDS, "README.md shows `inspect eval langgap/...`; the extraction lost it"


@pytest.mark.parametrize(("where", "line"), INSPECT_COMMANDS, ids=[w for w, _ in INSPECT_COMMANDS])
def test_documented_inspect_eval_names_a_langgap_task_and_real_options(
    where: str, line: str
) -> None:
    import inspect

    from inspect_ai._cli.eval import eval_command
    from inspect_ai._cli.main import inspect as inspect_cli

    from langgap.evaluate import _registry

    shown = click.testing.CliRunner().invoke(inspect_cli, ["eval", "--help"])
    assert shown.exit_code == 0, f"{where}: `inspect eval --help` failed:\n{shown.output}"

    tokens = shlex.split(line)[2:]
    task = tokens[0]
    assert task.startswith("langgap/"), f"{where}: {task} is not a langgap task"
    factory = getattr(_registry, task.removeprefix("langgap/"), None)
    assert callable(factory), f"{where}: langgap registers no Inspect task {task!r}"
    known = {name for p in eval_command.params for name in (*p.opts, *p.secondary_opts)}
    params = set(inspect.signature(factory).parameters)
    for token, value in zip(tokens, [*tokens[1:], ""], strict=True):
        if token.startswith("-"):
            assert token.split("=", 1)[0] in known, (
                f"{where}: {token} is not an inspect eval option"
            )
        if token == "-T":
            name = value.split("=", 1)[0]
            assert name in params, f"{where}: task {task} has no parameter {name!r}"
