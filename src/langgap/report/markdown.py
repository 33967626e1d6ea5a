"""The same small report surface as `HtmlReport`, rendered as GitHub-flavoured Markdown."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path, PurePath
from urllib.parse import quote

from langgap.report.html import write_text_atomic
from langgap.report.tables import Cell, Link, cell_text, is_numeric

# Backslash-escape the characters that would turn text into markup (links, raw HTML, emphasis,
# table columns); CommonMark lets any ASCII punctuation be escaped this way.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|&#])")
_NEWLINES = re.compile(r"\s*[\r\n]+\s*")


def escape_markdown(text: str) -> str:
    """Escape text so Markdown shows it literally."""
    return _SPECIAL.sub(r"\\\1", text)


def escape_cell(text: str) -> str:
    """Escape text for one table cell: markup characters, `|`, and newlines (joined by a space)."""
    return escape_markdown(_NEWLINES.sub(" ", text).strip())


def _cell_md(cell: Cell) -> str:
    text = escape_cell(cell_text(cell))
    if isinstance(cell, Link) and cell.safe_href is not None:
        # Percent-encode what would end the link target early; the rest of the URL stays readable.
        href = quote(cell.safe_href, safe=":/?#@!$&'*+,;=%~-._")
        return f"[{text}](<{href}>)"
    return text


def _numeric_column(cells: Sequence[Cell]) -> bool:
    # Missing values (n/a) do not stop a column of numbers from being right-aligned.
    present = [c for c in cells if c is not None]
    return bool(present) and all(is_numeric(c) for c in present)


class MarkdownReport:
    """Build one Markdown document with the same calls as `HtmlReport`."""

    def __init__(self, title: str) -> None:
        self.title = title
        self._parts: list[str] = [f"# {escape_cell(title)}"]

    def heading(self, text: str, level: int = 2) -> None:
        """Add a heading; level is clamped to 1..6."""
        level = min(max(level, 1), 6)
        self._parts.append(f"{'#' * level} {escape_cell(text)}")

    def paragraph(self, text: str) -> None:
        """Add a paragraph of plain text."""
        self._parts.append(escape_markdown(text.strip()))

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[Cell]],
        caption: str | None = None,
    ) -> None:
        """Add a pipe table; numeric columns are right-aligned."""
        lines = []
        if caption:
            lines.append(f"**{escape_cell(caption)}**\n")
        numeric = [_numeric_column([r[i] for r in rows if i < len(r)]) for i in range(len(headers))]
        lines.append("| " + " | ".join(escape_cell(h) for h in headers) + " |")
        lines.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
        for row in rows:
            cells = [_cell_md(c) for c in row] + [""] * (len(headers) - len(row))
            lines.append("| " + " | ".join(cells) + " |")
        self._parts.append("\n".join(lines))

    def figure(self, source: Path | str, caption: str = "", alt: str | None = None) -> None:
        """Reference an image by a path relative to the Markdown file."""
        target = quote(PurePath(source).as_posix(), safe="/:._-~")
        self._parts.append(f"![{escape_cell(alt if alt is not None else caption)}]({target})")
        if caption:
            self._parts.append(f"*{escape_cell(caption)}*")

    def render(self) -> str:
        """The whole document as a string."""
        return "\n\n".join(self._parts) + "\n"

    def write(self, path: Path) -> Path:
        """Write the document to path atomically and return the path."""
        return write_text_atomic(path, self.render())
