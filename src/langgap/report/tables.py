"""Table cells shared by the HTML and Markdown builders: values, links and how numbers print."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_RELATIVE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")


@dataclass(frozen=True, slots=True)
class Link:
    """A cell that links `text` to `href`; builders drop the link unless it is https, or (with
    `local`) a plain relative path below the report's folder, e.g. "cards/model.md"."""

    text: str
    href: str
    local: bool = False

    @property
    def safe_href(self) -> str | None:
        """The href if it is an absolute https URL (or an allowed relative path), else None."""
        href = self.href.strip()
        if href.lower().startswith("https://"):
            return href
        # no scheme, no absolute path, no "..": names made only of letters, digits, . _ -
        if self.local and _RELATIVE.fullmatch(href) and ".." not in href.split("/"):
            return href
        return None


@dataclass(frozen=True, slots=True)
class Share:
    """A cell holding a fraction in [0, 1], printed as a percentage (None prints as n/a)."""

    value: float | None
    digits: int = 1


Cell = str | int | float | bool | Link | Share | None


def format_number(value: float | int) -> str:
    """Print a number one way everywhere: thousands separators, two decimals for floats."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if math.isnan(value) or math.isinf(value):
        return "n/a"
    return f"{value:,.2f}"


def format_share(value: float | None, digits: int = 1) -> str:
    """Print a fraction in [0, 1] as a percentage; None or NaN prints as n/a."""
    if value is None or math.isnan(value) or math.isinf(value):
        return "n/a"
    return f"{value * 100:.{digits}f}%"


def cell_text(cell: Cell) -> str:
    """The plain (unescaped) text of a cell."""
    if cell is None:
        return "n/a"
    if isinstance(cell, Link):
        return cell.text
    if isinstance(cell, Share):
        return format_share(cell.value, cell.digits)
    if isinstance(cell, bool | int | float):
        return format_number(cell)
    return cell


def is_numeric(cell: Cell) -> bool:
    """True for cells that should be right-aligned."""
    return isinstance(cell, int | float | Share) and not isinstance(cell, bool)
