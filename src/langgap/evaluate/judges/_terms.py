"""The terms a lexical model reads in a reply's opening, and the automata that find them.

Two analysers: `words` (each word, and each pair of consecutive words with the number of
non-word characters between them) for spaced scripts, `chars` (character n-grams, word
boundaries shown as spaces) for scripts without spaces or with rich affixes. A model finds its
own terms in one Aho-Corasick pass; training takes every term of a reply (`reply_terms`), and
both give the same set (a test checks it).
"""

from __future__ import annotations

import re
from itertools import pairwise
from operator import itemgetter
from typing import Any, Literal

Analyser = Literal["words", "chars"]
ANALYSERS: tuple[Analyser, ...] = ("words", "chars")

# ASCII text is also searched as " " + text with every non-word character made a space: keys of
# word-bounded entries then start with that space, so the automaton (whose nodes look children
# up one by one) leaves its root on spaces only, not on every letter; 2-3x faster.
_ASCII_MARK = bytes(c if chr(c).isalnum() or c == ord("_") else 32 for c in range(256))
_SECOND = itemgetter(1)  # an automaton match's value
_WORD = re.compile(r"\w+")
_NON_WORD = re.compile(r"\W")
# The automaton looks a node's children up one by one, in the order they were added: adding keys
# in order of how common their letters are finds most transitions sooner (~10 % faster scans).
_COMMON = {c: i for i, c in enumerate(" etaoinsrhldcumfpgwybv',.kxjqz")}


def mark_ascii(text: str) -> str:
    """ " " + ASCII text with every non-word character a space (see `_ASCII_MARK`)."""
    return (" " + text).encode("ascii").translate(_ASCII_MARK).decode("ascii")


def build_automaton(words: dict[str, Any]) -> Any:
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for word in sorted(words, key=lambda w: [_COMMON.get(c, len(_COMMON)) for c in w]):
        automaton.add_word(word, words[word])
    automaton.make_automaton()
    return automaton


def lexical_view(text: str, max_chars: int) -> str:
    """A normalised reply's first `max_chars` characters with every non-word character a space,
    and a space before and after: each word, and each pair of consecutive words with the spaces
    between them (their punctuation's place), is then a term the automaton finds as " term "."""
    head = text[:max_chars]
    return (mark_ascii(head) if head.isascii() else " " + _NON_WORD.sub(" ", head)) + " "


def lexical_terms(text: str, max_chars: int) -> set[str]:
    """The word terms of a normalised reply (see `lexical_view`): the set the model's automaton
    finds among its own terms, and the training vocabulary."""
    view = lexical_view(text, max_chars)
    words = list(_WORD.finditer(view))
    terms = {word.group() for word in words}
    terms.update(view[a.start() : b.end()] for a, b in pairwise(words))
    return terms


def char_terms(text: str, max_chars: int, sizes: tuple[int, int]) -> set[str]:
    """Character n-grams (`sizes`: shortest, longest) of a reply's `lexical_view`, spaces (word
    boundaries) included but never an n-gram of spaces only."""
    view = lexical_view(text, max_chars)
    low, high = sizes
    grams = {view[i : i + n] for n in range(low, high + 1) for i in range(len(view) - n + 1)}
    return {g for g in grams if not g.isspace()}


def reply_terms(text: str, max_chars: int, analyser: Analyser, sizes: tuple[int, int]) -> set[str]:
    """Every term of a normalised reply under one analyser."""
    if analyser == "words":
        return lexical_terms(text, max_chars)
    return char_terms(text, max_chars, sizes)


class TermFinder:
    """Finds which of a model's terms a reply holds (their places in `terms`), in one pass."""

    __slots__ = ("_automaton", "analyser", "max_chars")

    def __init__(self, terms: list[str], analyser: Analyser, max_chars: int) -> None:
        # a word term is found as " term " in the view: whole words only
        keys = {(f" {t} " if analyser == "words" else t): i for i, t in enumerate(terms)}
        self._automaton = build_automaton(keys) if keys else None
        self.analyser, self.max_chars = analyser, max_chars

    def found(self, text: str) -> list[int]:
        """Places (in the model's term order) of the terms the normalised reply holds, each once,
        in ascending order: summing their weights in that order gives the same float for the
        same terms."""
        if self._automaton is None:
            return []
        return sorted(set(map(_SECOND, self._automaton.iter(lexical_view(text, self.max_chars)))))
