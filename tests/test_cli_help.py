"""Every `langgap` command and subcommand renders its --help (rich markup in help texts used to
crash `judge eval --help`)."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from langgap.cli import app


def _paths(command: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    commands = getattr(command, "commands", None)  # groups, whatever click Typer bundles
    if isinstance(commands, dict):
        for name, sub in commands.items():
            found += _paths(sub, (*prefix, name))
    return found


PATHS = _paths(typer.main.get_command(app))


def test_the_walk_finds_the_known_commands() -> None:
    assert ("judge", "eval") in PATHS and ("judge", "calibrate") in PATHS
    assert ("judge", "learn-response") in PATHS and ("survey", "run") in PATHS
    assert len(PATHS) > 20


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "langgap")
def test_help_renders(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=100)
    assert result.exit_code == 0, f"langgap {' '.join(path)} --help failed:\n{result.output}"
    assert "Usage" in result.output
