"""Degenerate text: a model stuck in a loop ("একটারায়ারায়ারায়…", a sentence said five times).

Language ID cannot see it (a loop of Bengali syllables is confidently Bengali), so two
script-independent measures on the whitespace-collapsed text decide:

* **repeat run**: the longest stretch made of `min_copies` or more back-to-back copies of one
  unit (1–40 characters, with at least one letter), in characters;
* **distinct share**: distinct character n-grams over all n-grams (n = 10); about 1.0 for prose in
  any script, 1/k for a text said k times. Only measured on texts with ≥ `min_ngrams` n-grams.

>>> check_repetition("একটা" + "রায়া" * 8)["ok"]
False
>>> check_repetition("The weather is nice today and we will go to the park.")["ok"]
True
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

_SPACE = re.compile(r"\s+")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True, slots=True)
class RepetitionLimits:
    """When text counts as degenerate (defaults documented in docs/datagen.md)."""

    max_run: int = 20  # characters of back-to-back copies: this many or more is degenerate
    min_copies: int = 4
    min_distinct_share: float = 0.5
    ngram: int = 10
    min_ngrams: int = 50


_PATTERNS: dict[int, re.Pattern[str]] = {}


def longest_run(text: str, min_copies: int = 4) -> tuple[int, int]:
    """(characters, unit length) of the longest run of `min_copies`+ copies of a lettered unit."""
    # a fixed number of back-references, then extended by hand: 2-3x faster than `\1{3,}`
    pattern = _PATTERNS.get(min_copies)
    if pattern is None:
        pattern = re.compile(r"(.{1,40}?)" + r"\1" * (min_copies - 1), re.DOTALL)
        _PATTERNS[min_copies] = pattern
    best = (0, 0)
    for found in pattern.finditer(text):
        unit = found.group(1)
        if not _LETTER.search(unit):
            continue
        end = found.end()
        while text.startswith(unit, end):
            end += len(unit)
        if end - found.start() > best[0]:
            best = (end - found.start(), len(unit))
    return best


def distinct_share(text: str, n: int = 10) -> tuple[float | None, int]:
    """(distinct n-grams / n-grams, number of n-grams); the share is None for an empty text."""
    total = len(text) - n + 1
    if total <= 0:
        return None, 0
    return len({text[i : i + n] for i in range(total)}) / total, total


def check_repetition(text: str, limits: RepetitionLimits | None = None) -> dict[str, Any]:
    """Repeat run and distinct n-gram share of `text`; ok is None for a text without letters."""
    limits = limits or RepetitionLimits()
    norm = _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()
    if not _LETTER.search(norm):
        return {"run": 0, "distinct_share": None, "ok": None}
    run, unit = longest_run(norm, limits.min_copies)
    share, ngrams = distinct_share(norm, limits.ngram)
    looped = share is not None and ngrams >= limits.min_ngrams
    low_share = looped and share is not None and share < limits.min_distinct_share
    return {
        "run": run,
        "unit": unit,
        "distinct_share": None if share is None else round(share, 3),
        "ok": run < limits.max_run and not low_share,
    }
