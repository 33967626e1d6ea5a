"""Fast keyword cues: regex fragments guarded by the literal words they must contain.

Python's regex engine tries every case-insensitive alternative at every position, which makes
tens of patterns over thousands of abstracts slow. Most cues start with a literal word
("jailbreak", "toxic"), so a plain substring test on the lower-cased text rules them out first.
"""

from __future__ import annotations

import importlib
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# The stdlib's own regex parser (public as `sre_parse` until 3.11 deprecated that name).
sre_parse: Any = importlib.import_module("re._parser")
_MIN_LITERAL = 3  # shorter required literals are not selective enough to be worth a test
_MAX_LITERALS = 64


def _sequence_prefixes(items: Any) -> set[str]:
    """Literal prefixes one of which every match of this parsed sequence starts with ("" = none)."""
    prefixes = {""}
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            prefixes = {p + chr(arg).lower() for p in prefixes}
        elif name == "AT":
            continue  # \b and friends consume nothing
        elif name == "SUBPATTERN":
            return _combine(prefixes, _sequence_prefixes(arg[-1]))
        elif name == "BRANCH":
            branches = [_sequence_prefixes(branch) for branch in arg[1]]
            return _combine(prefixes, set().union(*branches))
        else:
            return prefixes  # a class, repeat or wildcard: the literal part ends here
    return prefixes


def _combine(head: set[str], tail: set[str]) -> set[str]:
    combined = {h + t for h, t in itertools.product(head, tail)}
    return combined if len(combined) <= _MAX_LITERALS else head


def required_literals(fragment: str) -> tuple[str, ...] | None:
    """Lower-case literals one of which any match must contain; None when there is none usable."""
    found = _sequence_prefixes(sre_parse.parse(fragment, re.IGNORECASE))
    if not found or any(len(literal) < _MIN_LITERAL for literal in found):
        return None
    return tuple(sorted(found))


@dataclass(frozen=True)
class Cue:
    """One labelled regex fragment and its literal guard."""

    label: str
    pattern: re.Pattern[str]
    literals: tuple[str, ...] | None

    def search(self, text: str, lowered: str) -> re.Match[str] | None:
        """The first match, skipping the regex when none of the literals occurs."""
        if self.literals is not None and not any(lit in lowered for lit in self.literals):
            return None
        return self.pattern.search(text)

    def finditer(self, text: str, lowered: str) -> Iterable[re.Match[str]]:
        """All matches, skipping the regex when none of the literals occurs."""
        if self.literals is not None and not any(lit in lowered for lit in self.literals):
            return ()
        return self.pattern.finditer(text)


def build_cues(cues: Iterable[tuple[str, str]]) -> tuple[Cue, ...]:
    """Cues from (label, fragment) pairs; fragments match case-insensitively at a word start."""
    return tuple(
        Cue(label, re.compile(rf"\b(?:{fragment})", re.IGNORECASE), required_literals(fragment))
        for label, fragment in cues
    )
