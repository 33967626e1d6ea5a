"""Writing systems: ISO 15924 codes and the character classes that detect them in text.

The one script table of langgap: judges (phrase matching, degenerate replies) and datagen's
validation read scripts from here.

>>> sorted(scripts_in("hello мир"))
['Cyrl', 'Latn']
"""

from __future__ import annotations

import re
from functools import cache

# ISO 15924 codes -> character classes (over normalised, casefolded text)
SCRIPTS: dict[str, str] = {
    "Latn": "a-z\u00df-\u024f\u1e00-\u1eff",
    "Cyrl": "\u0400-\u04ff",
    "Grek": "\u0370-\u03ff",
    "Arab": "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff",
    "Hebr": "\u0590-\u05ff",
    "Deva": "\u0900-\u097f",
    "Beng": "\u0980-\u09ff",
    "Guru": "\u0a00-\u0a7f",
    "Gujr": "\u0a80-\u0aff",
    "Orya": "\u0b00-\u0b7f",
    "Taml": "\u0b80-\u0bff",
    "Telu": "\u0c00-\u0c7f",
    "Knda": "\u0c80-\u0cff",
    "Mlym": "\u0d00-\u0d7f",
    "Sinh": "\u0d80-\u0dff",
    "Thai": "\u0e00-\u0e7f",
    "Laoo": "\u0e80-\u0eff",
    "Mymr": "\u1000-\u109f",
    "Geor": "\u10a0-\u10ff",
    "Ethi": "\u1200-\u139f",
    "Khmr": "\u1780-\u17ff",
    "Hang": "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f",
    "Kana": "\u3040-\u30ff\u31f0-\u31ff",
    "Hani": "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff",
}
_SCRIPT_RES = {name: re.compile(f"[{chars}]") for name, chars in SCRIPTS.items()}
# Scripts without spaces between words, or whose words take attached particles/clitics: phrases
# match as substrings there. Latin, Cyrillic and Greek get word boundaries.
BOUNDED_SCRIPTS = frozenset({"Latn", "Cyrl", "Grek"})
DENSE_SCRIPTS = frozenset({"Hani", "Kana", "Hang", "Thai"})  # one character ≈ one word or more


# registry (ISO 15924) scripts written with several of the classes `SCRIPTS` detects
_CLASSES_OF = {"Hans": ("Hani",), "Hant": ("Hani",), "Jpan": ("Hani", "Kana"),
               "Kore": ("Hang", "Hani")}  # fmt: skip


def script_classes(script: str) -> tuple[str, ...]:
    """The `SCRIPTS` classes a registry script is written with: "Jpan" -> ("Hani", "Kana");
    any other script is its own class."""
    return _CLASSES_OF.get(script, (script,))


def scripts_in(text: str) -> frozenset[str]:
    """ISO 15924 codes of the scripts that occur in normalised text."""
    if text.isascii():
        return _LATIN if _ASCII_LETTER.search(text) else frozenset()
    return frozenset(s for s in map(_char_script, set(text)) if s)


_LATIN = frozenset({"Latn"})
_ASCII_LETTER = re.compile("[a-z]")


@cache
def _char_script(char: str) -> str | None:
    for name, pattern in _SCRIPT_RES.items():
        if pattern.match(char):
            return name
    return None


@cache
def script_of(text: str) -> frozenset[str]:
    """Scripts that make up at least a quarter of the letters of a (phrase) text."""
    counts = {name: len(pattern.findall(text)) for name, pattern in _SCRIPT_RES.items()}
    total = sum(counts.values())
    return frozenset(name for name, n in counts.items() if total and n / total >= 0.25)
