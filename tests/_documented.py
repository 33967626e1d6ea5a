"""The commands README.md and docs/*.md show: every `langgap …` and `inspect eval …` line in a
fenced code block, continuations joined, trailing comments and leading `VAR=value` dropped."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"```(?:bash|sh|console|shell)?\n(.*?)```", re.DOTALL)
PROGRAMS = ("langgap ", "inspect eval ")


def documented_commands(programs: tuple[str, ...] = PROGRAMS) -> list[tuple[str, str]]:
    """(where, command line) for each line that starts with one of `programs`, in the order the
    docs show them; the command line is whitespace-normalised (one space between words)."""
    found = []
    for path in DOCS:
        for block in _FENCE.findall(path.read_text(encoding="utf-8")):
            joined = re.sub(r"\\\n\s*", " ", block)
            for line in joined.splitlines():
                line = re.sub(r"^\$\s*", "", line.strip())
                words = re.sub(r"\s#\s.*$", "", line)
                # `VAR=value langgap …` sets the environment for the command
                words = re.sub(r"^(?:[A-Z_]+=\S+\s+)+", "", words)
                if words.startswith(programs):
                    found.append((f"{path.name}: {line[:60]}", " ".join(words.split())))
    return found
