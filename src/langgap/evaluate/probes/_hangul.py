"""Korean -> Revised Romanisation with `korean-romanizer`'s own rules, fast per word.

The library builds a `Syllable` object per character (twice) and walks its sound-change rules
for every word. Those rules (final consonant before a consonant, a vowel, ㅎ, or the word end)
only ever look at one syllable's final and the next syllable's initial, and change only those
two. So the library's result for any (final, next initial) pair is tabulated once, by running
its own `Pronouncer` on a two-syllable word, and a word is then romanised by table look-ups
with the library's onset, vowel and coda spellings. A word the table cannot settle (a pair on
which the library raises, a spelling it has no entry for) returns None: the caller then asks
the library itself, so every output is the library's. The tests check it against
`Romanizer(word).romanize()` on real prompts and on random syllable strings.

>>> romanize_word("안녕하세요")
'annyeonghaseyo'
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import Any

_FIRST, _LAST = 0xAC00, 0xD7A3  # precomposed Hangul syllables
END, OTHER = "end", "other"  # what follows a syllable: nothing, or a character not a syllable


@cache
def _library() -> tuple[Any, Any, Any]:
    return (
        import_module("korean_romanizer.syllable"),
        import_module("korean_romanizer.pronouncer"),
        import_module("korean_romanizer.romanizer"),
    )


def _syllable(initial: int, medial: int, final: int) -> str:
    return chr(_FIRST + initial * 588 + medial * 28 + final)


@cache
def _pairs() -> dict[tuple[str | None, str], tuple[str | None, str | None] | None]:
    """(final, what follows) -> (final, next initial) as the library pronounces them.

    The next initial is None when nothing, or no syllable, follows; the entry is None where
    the library raises."""
    syllable, pronouncer, _ = _library()
    out: dict[tuple[str | None, str], tuple[str | None, str | None] | None] = {}
    for final_index, final in enumerate(syllable.unicode_final):
        before = _syllable(11, 0, final_index)  # ᄋ + ㅏ + final: only the final matters
        followers = {END: "", OTHER: "-"}  # every non-syllable behaves alike in the rules
        for initial_index, initial in enumerate(syllable.unicode_initial):
            followers[initial] = _syllable(initial_index, 0, 0)
        for follower, text in followers.items():
            try:
                said = pronouncer.Pronouncer(before + text).final_substitute()
            except Exception:  # whatever it raises, the library raises again for the word
                out[final, follower] = None
                continue
            after = said[1].initial if follower not in (END, OTHER) else None
            out[final, follower] = (said[0].final, after)
    return out


@cache
def _other(char: str) -> str:
    """A character that is not a precomposed syllable, as the library writes it."""
    _, _, romanizer = _library()
    return str(romanizer.Romanizer(char).romanize())  # no sound change touches it


def romanize_word(word: str) -> str | None:
    """`Romanizer(word).romanize()`, or None where only the library can say (then ask it)."""
    syllable, _, romanizer = _library()
    initials, medials, finals = (
        syllable.unicode_initial,
        syllable.unicode_medial,
        syllable.unicode_final,
    )
    onset, vowel, coda = romanizer.onset, romanizer.vowel, romanizer.coda
    pairs = _pairs()
    out: list[str] = []
    carried: str | None = None  # this syllable's initial as the one before changed it
    last = len(word) - 1
    for k, char in enumerate(word):
        code = ord(char)
        if not _FIRST <= code <= _LAST:
            out.append(_other(char))
            carried = None
            continue
        code -= _FIRST
        initial = carried or initials[code // 588]
        medial, final = medials[code % 588 // 28], finals[code % 28]
        if k == last:
            follower = END
        else:
            nxt = ord(word[k + 1]) - _FIRST
            follower = initials[nxt // 588] if 0 <= nxt <= _LAST - _FIRST else OTHER
        said = pairs[final, follower]
        if said is None:
            return None
        final, carried = said
        try:
            out.append(onset[initial] + vowel[medial] + coda[final])
        except KeyError:  # the library has no spelling for this (the caller's fallback)
            return None
    return "".join(out)
