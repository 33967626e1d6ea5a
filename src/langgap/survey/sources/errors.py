"""Problems met while reading paper files: reportable ones (`SourceIssue`) and fatal ones."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceIssue:
    """A problem with one entry of a file: reported, not raised; the entry is usually skipped."""

    file: str
    line: int | None  # line of a BibTeX/RIS entry, row of a table; None when unknown
    message: str
    fix: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}. Fix: {self.fix}"


class SourceError(ValueError):
    """A file that cannot be read at all; the message names file, line or row, field and the fix."""
