"""Every `langgap …` command shown in README.md and docs/*.md names a real command and real
options (a documented `-m` that the command lacks used to reach users first)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import typer

from langgap.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"```(?:bash|sh|console|shell)?\n(.*?)```", re.DOTALL)


def documented_commands() -> list[tuple[str, str]]:
    """(where, command line) for each `langgap` line in a fenced code block, continuations
    joined and trailing comments dropped."""
    found = []
    for path in DOCS:
        for block in _FENCE.findall(path.read_text(encoding="utf-8")):
            joined = re.sub(r"\\\n\s*", " ", block)
            for line in joined.splitlines():
                line = re.sub(r"^\$\s*", "", line.strip())
                words = re.sub(r"\s#\s.*$", "", line)
                # `VAR=value langgap …` sets the environment for the command
                words = re.sub(r"^(?:[A-Z_]+=\S+\s+)+", "", words)
                if words.startswith("langgap "):
                    found.append((f"{path.name}: {line[:60]}", words))
    return found


COMMANDS = documented_commands()


def test_docs_show_commands() -> None:
    assert len(COMMANDS) > 30


def _is_group(command: object) -> bool:
    return hasattr(command, "commands")  # Typer's groups are not click.Group subclasses


def _resolve(tokens: list[str]) -> tuple[click.Command, list[str]]:
    command: click.Command = typer.main.get_command(app)
    while _is_group(command) and tokens and not tokens[0].startswith("-"):
        sub = command.get_command(click.Context(command), tokens[0])  # type: ignore[attr-defined]
        assert sub is not None, f"no command {tokens[0]!r} under {command.name!r}"
        command, tokens = sub, tokens[1:]
    return command, tokens


@pytest.mark.parametrize(("where", "line"), COMMANDS, ids=[w for w, _ in COMMANDS])
def test_documented_command_exists_with_its_options(where: str, line: str) -> None:
    tokens = shlex.split(line)[1:]
    command, rest = _resolve(tokens)
    assert not _is_group(command), f"{where}: `{line}` names no command"
    known = {name for p in command.params for name in (*p.opts, *p.secondary_opts)}
    for token in rest:
        if token.startswith("-") and token not in ("-", "--") and not token[1:2].isdigit():
            option = token.split("=", 1)[0]
            assert option in known, f"{where}: {option} is not an option of `{command.name}`"
