"""Romanisation learned from human romanisations: per-akshara rewrite choices with context.

A word is cut into units (a letter with the combining marks that follow it: क, कि, क्, कीं, ب).
Each unit is written as the Latin span people most often give it in that context: the unit with
its neighbours on both sides, then with the right or left one, then with the neighbours' kind
(vowel sign, virama, bare consonant, word edge), then alone. So schwa deletion (apne, not apane),
Bengali o for the inherent vowel and Tamil th for த are whatever the human romanisations say.
Tables are learned by `benchmarks/train_translit.py` from human romanisation lexicons (train
splits: Dakshina, the Aksharantar sample, NepaliTransliteralDataset) and ship in
`translit_tables/` (MODEL_CARD.md there: sources, licences, splits).

>>> table = RewriteTable({"न": "na", "म": "ma", "स्": "s", "ते": "te"}, {})
>>> table.romanize("नमस्ते", fallback=str)
'namaste'
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from langgap.evaluate.probes.base import ProbeError

TABLES = "learned_roman.json.gz"
FORMAT = 1
START, END = "^", "$"  # word edges as context (never a letter of any covered script)
# Back-off order of contexts, most specific first; "l"/"r" are neighbour units, "cl"/"cr" their
# kinds. A unit's own entry (no context) is the last resort before the rule fallback.
LEVELS = ("l_u_r", "u_r", "cl_u_cr", "u_cr", "l_u", "cl_u")


class TableError(ProbeError):
    """A learned romanisation table that is missing, unreadable or of another format."""


# Combining marks (Unicode category M*) of the covered scripts' blocks, as one character class.
_MARKS = "".join(
    chr(c)
    for lo, hi in ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0x0900, 0x0DFF))
    for c in range(lo, hi + 1)
    if unicodedata.category(chr(c)).startswith("M")
)
_UNIT = re.compile(f"[{re.escape(_MARKS)}]+|.[{re.escape(_MARKS)}]*", re.DOTALL)


def units(word: str) -> list[str]:
    """`word` cut into letters, each with the combining marks (vowel signs, virama) after it."""
    return _UNIT.findall(word)


@lru_cache(maxsize=4096)
def kind(unit: str) -> str:
    """A unit's class for back-off contexts: edge, bare letter, with virama, with a vowel sign."""
    if unit in (START, END):
        return unit
    if len(unit) == 1:
        return "C" if unicodedata.category(unit) == "Lo" else "P"
    last = unicodedata.name(unit[-1], "")
    if "VIRAMA" in last or "AL-LAKUNA" in last or "SUKUN" in last:
        return "V"
    return "M"


def contexts(parts: list[str], i: int) -> dict[str, str]:
    """Every back-off key of unit `i` of `parts`, by level name."""
    u = parts[i]
    left = parts[i - 1] if i else START
    right = parts[i + 1] if i + 1 < len(parts) else END
    cl, cr = kind(left), kind(right)
    return {
        "l_u_r": f"{left}\t{u}\t{right}",
        "u_r": f"{u}\t{right}",
        "l_u": f"{left}\t{u}",
        "cl_u_cr": f"{cl}\t{u}\t{cr}",
        "u_cr": f"{u}\t{cr}",
        "cl_u": f"{cl}\t{u}",
    }


@dataclass(frozen=True)
class RewriteTable:
    """One language's learned choices: each unit's span alone, and where context changes it."""

    spans: Mapping[str, str]  # unit -> its most frequent Latin span
    by_context: Mapping[str, Mapping[str, str]]  # level -> context key -> span
    _levels: tuple[Mapping[str, str], ...] = field(init=False, repr=False, compare=False)
    _memo: dict[tuple[str, str, str], str] = field(init=False, repr=False, compare=False)

    def romanize(self, word: str, fallback: Callable[[str], str]) -> str:
        """`word` (one script, no spaces) in Latin; units never seen go to `fallback`."""
        parts = units(word)
        memo = self._memo  # (left, unit, right) -> span: neighbour triples recur across words
        last = len(parts) - 1
        out = []
        for i, unit in enumerate(parts):
            key = (parts[i - 1] if i else START, unit, parts[i + 1] if i < last else END)
            span = memo.get(key)
            if span is None:
                span = self._span(parts, i)
                if span is None:
                    out.append(fallback(unit))
                    continue
                memo[key] = span
            out.append(span)
        return "".join(out)

    def clear_memo(self) -> None:
        """Forget the spans chosen so far (benchmarks time unseen text)."""
        self._memo.clear()

    def _span(self, parts: list[str], i: int) -> str | None:
        # the keys of `contexts`, built only as far as the first level that has one (speed)
        unit = parts[i]
        if unit not in self.spans:
            return None
        left = parts[i - 1] if i else START
        right = parts[i + 1] if i + 1 < len(parts) else END
        full, u_r, cl_u_cr, u_cr, l_u, cl_u = self._levels
        # "" is a real span (a silent letter), so every miss is tested against None
        found = full.get(f"{left}\t{unit}\t{right}")
        if found is None:
            found = u_r.get(f"{unit}\t{right}")
        if found is not None:
            return found
        cl, cr = kind(left), kind(right)
        found = cl_u_cr.get(f"{cl}\t{unit}\t{cr}")
        if found is None:
            found = u_cr.get(f"{unit}\t{cr}")
        if found is None:
            found = l_u.get(f"{left}\t{unit}")
        if found is None:
            found = cl_u.get(f"{cl}\t{unit}")
        return self.spans[unit] if found is None else found

    def __post_init__(self) -> None:
        assert LEVELS == ("l_u_r", "u_r", "cl_u_cr", "u_cr", "l_u", "cl_u")  # _span's order
        levels = tuple(self.by_context.get(level, {}) for level in LEVELS)
        object.__setattr__(self, "_levels", levels)
        object.__setattr__(self, "_memo", {})

    def as_json(self) -> dict[str, Any]:
        return {
            "spans": dict(self.spans),
            "by_context": {k: dict(v) for k, v in self.by_context.items()},
        }


def read_tables(path: Path | None = None) -> dict[str, RewriteTable]:
    """Every language's table (ISO 639-3 -> table) from `path`, default the shipped file."""
    where = str(path) if path is not None else f"package file translit_tables/{TABLES}"
    try:
        if path is None:
            raw = resources.files(__package__).joinpath("translit_tables", TABLES).read_bytes()
        else:
            raw = path.read_bytes()
        doc = json.loads(gzip.decompress(raw).decode("utf-8"))
    except FileNotFoundError:
        raise TableError(
            f"{where}: no such file; rebuild it with python benchmarks/train_translit.py"
        ) from None
    except (OSError, EOFError, ValueError) as exc:  # gzip and JSON errors are ValueError/OSError
        raise TableError(
            f"{where}: not a gzip JSON table ({exc}); rebuild it with "
            "python benchmarks/train_translit.py"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise TableError(f"{where}: table format {found!r}, expected {FORMAT}; rebuild it")
    try:
        return {
            code: RewriteTable(entry["spans"], entry["by_context"])
            for code, entry in doc["languages"].items()
        }
    except (KeyError, TypeError, AttributeError) as exc:
        raise TableError(f"{where}: a language entry lacks {exc}; rebuild it") from None


@cache
def shipped() -> dict[str, RewriteTable]:
    """The tables shipped with langgap (read once)."""
    return read_tables()


@cache
def languages() -> tuple[str, ...]:
    """ISO 639-3 codes with a shipped learned table."""
    return tuple(sorted(shipped()))


def write_tables(path: Path, tables: Mapping[str, RewriteTable], source: Mapping[str, Any]) -> None:
    """Write `tables` as gzip JSON (sorted keys, fixed mtime: rebuilds are byte-identical)."""
    doc = {
        "format": FORMAT,
        "source": dict(source),
        "languages": {code: tables[code].as_json() for code in sorted(tables)},
    }
    data = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    path.write_bytes(gzip.compress(data.encode("utf-8"), compresslevel=9, mtime=0))


__all__ = [
    "LEVELS",
    "TABLES",
    "RewriteTable",
    "TableError",
    "contexts",
    "kind",
    "languages",
    "read_tables",
    "shipped",
    "units",
    "write_tables",
]
