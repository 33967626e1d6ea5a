"""Learn an Arabizi rewrite table from (Arabic-script word, human Arabizi word) pairs.

Each Arabic letter is aligned to the Latin chunk a person wrote for it, vowels they added
after it included (so a learned chunk is e.g. ك -> "ko" or ك -> "k": the cluster a chat
writer leaves is learned, not a syllable rule). Alignment is monotone and many-to-one
(Viterbi, re-estimated a few times from a seed of plausible first letters). The table keeps,
per letter, the most frequent chunk in its context (previous letter, letter, next letter),
backing off to one-sided and context-free counts, plus a lexicon of frequent whole words
whose spelling the letter rules miss. Pure Python; the training sets here take seconds.

>>> table = learn_table([("كتب", "kteb", 3), ("كلب", "kleb", 2), ("كتاب", "ktab", 4)])
>>> table["letters"]["ك"]
'k'
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

VOWELS = frozenset("aeiouy")
# Consonants a chat writer spells with a letter or digit: a chunk of vowels alone for one of
# them (ع -> "a" in "alikom", ظ -> "" in "har") is a misalignment or a dropped consonant, so
# it is never the learned choice where a spelled chunk was seen. Not here: the long-vowel and
# hamza letters, ه (silent at word end) and ل (assimilated in the article: ech-chems).
FIRM = frozenset("بتثجحخدذرزسشصضطظعغفقكمن")
MAX_CHUNK = 5
START, END = "^", "$"
# Harakat other than shadda carry no letters in chat writing; shadda is kept (doubles letters).
_MARKS = re.compile("[\u064b-\u0650\u0652-\u065f\u0670\u0640]")
_FOLD = str.maketrans({"ٱ": "ا", "ی": "ي", "ک": "ك", "ۀ": "ه", "ە": "ه"})
_ELONGATION = re.compile(r"(.)\1{2,}")  # "ad3ooo" -> "ad3o": emphasis, not spelling
ARABIC_LETTER = re.compile("[\u0621-\u064a\u0651\u067e\u0686\u06a4\u06af]")
# The first Latin letter(s) a writer may use for each letter: the alignment's starting point
# only (re-estimated from the data); covers the regional digit and French-style spellings.
SEED: dict[str, tuple[str, ...]] = {
    "ا": ("a", "e", "i", "o", ""), "ب": ("b", "p"), "ت": ("t",), "ث": ("t", "th", "s"),
    "ج": ("j", "g", "dj", "dj"), "ح": ("7", "h"), "خ": ("5", "kh", "x", "7'", "k"),
    "د": ("d",), "ذ": ("d", "dh", "th", "z"), "ر": ("r",), "ز": ("z",), "س": ("s", "c"),
    "ش": ("ch", "sh", "$", "x", "s"), "ص": ("s", "9", "c"), "ض": ("d", "dh", "9'"),
    "ط": ("t", "6"), "ظ": ("z", "dh", "d", "6'"), "ع": ("3", "a", "e", "o", "i", ""),
    "غ": ("gh", "3'", "8", "g", "r"), "ف": ("f", "v"), "ق": ("q", "9", "8", "2", "g", "k"),
    "ك": ("k", "c"), "ل": ("l",), "م": ("m",), "ن": ("n",), "ه": ("h", "8", "a", "e", ""),
    "و": ("w", "o", "ou", "u"), "ي": ("y", "i", "e", "ee", "j"), "ى": ("a", "i", "e", "y"),
    "ة": ("a", "e", "t", "h", ""), "ء": ("2", "a", "e", "i", "o", ""),
    "أ": ("2", "a", "e", "o", "i", ""), "إ": ("2", "i", "e", "a", ""), "آ": ("2", "a", "e"),
    "ؤ": ("2", "o", "u", "w", ""), "ئ": ("2", "e", "i", "y", ""), "\u0651": ("",),
    "پ": ("p", "b"), "چ": ("ch", "tch"), "ڤ": ("v", "f"), "گ": ("g",),
}  # fmt: skip


def normalise_arabic(word: str) -> str:
    """NFC, harakat (but shadda) and tatweel removed, Persian look-alike letters folded."""
    return _MARKS.sub("", unicodedata.normalize("NFC", word)).translate(_FOLD)


def normalise_latin(word: str) -> str:
    """NFC lowercase, emphatic letter runs (3 or more) cut to one."""
    return _ELONGATION.sub(r"\1", unicodedata.normalize("NFC", word).lower())


def _seed_score(letter: str, chunk: str) -> float:
    if not chunk:
        return -2.0
    for head in SEED.get(letter, ()):
        if head and chunk.startswith(head) and all(c in VOWELS for c in chunk[len(head) :]):
            return -1.0 - 0.5 * (len(chunk) - len(head))
        if not head and all(c in VOWELS for c in chunk):
            return -1.5 - 0.5 * len(chunk)
    return -10.0 - len(chunk)


def align(arabic: str, latin: str, score: Any) -> list[str] | None:
    """The Latin chunk written for each Arabic letter (best monotone split), or None."""
    n, m = len(arabic), len(latin)
    best = [[-math.inf] * (m + 1) for _ in range(n + 1)]
    back = [[0] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i in range(1, n + 1):
        letter = arabic[i - 1]
        row, prev = best[i], best[i - 1]
        for j in range(m + 1):
            for k in range(min(MAX_CHUNK, j) + 1):
                if prev[j - k] == -math.inf:
                    continue
                value = prev[j - k] + score(letter, latin[j - k : j])
                if value > row[j]:
                    row[j], back[i][j] = value, k
    if best[n][m] == -math.inf:
        return None
    chunks: list[str] = []
    j = m
    for i in range(n, 0, -1):
        k = back[i][j]
        chunks.append(latin[j - k : j])
        j -= k
    return chunks[::-1]


class _Estimate:
    """log P(chunk | letter) from the last alignment pass, smoothed toward the seed."""

    def __init__(self, counts: dict[str, Counter[str]]) -> None:
        self.logp: dict[tuple[str, str], float] = {}
        self.floor: dict[str, float] = {}
        for letter, chunks in counts.items():
            total = sum(chunks.values())
            for chunk, count in chunks.items():
                self.logp[letter, chunk] = math.log(count / (total + 1))
            self.floor[letter] = math.log(0.5 / (total + 1))

    def __call__(self, letter: str, chunk: str) -> float:
        found = self.logp.get((letter, chunk))
        if found is not None:
            return found
        return min(self.floor.get(letter, -12.0), _seed_score(letter, chunk)) - 4.0


def _contexts(word: str, i: int) -> tuple[str, str, str]:
    left = word[i - 1] if i > 0 else START
    right = word[i + 1] if i + 1 < len(word) else END
    return left, word[i], right


def _best(counts: Counter[str], letter: str = "") -> str:
    """The most frequent chunk; for a FIRM `letter`, the most frequent one that spells it."""
    options = sorted(counts)
    if letter in FIRM:
        options = [chunk for chunk in options if _spells(chunk)] or options
    return max(options, key=lambda chunk: counts[chunk])


def _spells(chunk: str) -> bool:
    """Whether `chunk` has a letter or digit other than a vowel."""
    return any(c not in VOWELS for c in chunk)


def _drops_firm(arabic: str, chunks: Sequence[str]) -> bool:
    return any(a in FIRM and not _spells(c) for a, c in zip(arabic, chunks, strict=True))


def learn_table(
    pairs: Iterable[tuple[str, str, int]],
    *,
    iterations: int = 3,
    min_count: int = 2,
    lexicon_min: int = 3,
    lexicon_size: int = 1500,
    lexicon_only: Iterable[tuple[str, str, int]] = (),
) -> dict[str, Any]:
    """A rewrite table from (Arabic word, Arabizi word, count) pairs (see the module doc).

    `lexicon_only` pairs join the word lexicon but not the letter rules: words of another
    language written in Arabic letters (French loanwords in Maghrebi text), whose spelling
    a reader of Arabizi would write in that language."""
    data = _clean_pairs(pairs)
    if not data:
        raise ValueError("no usable (Arabic word, Arabizi word) pairs to learn from")
    score: Any = _seed_score
    alignments: list[tuple[str, list[str], int]] = []
    for _ in range(iterations):
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        alignments = []
        for arabic, latin, n in data:
            chunks = align(arabic, latin, score)
            if chunks is None:
                continue
            alignments.append((arabic, chunks, n))
            for letter, chunk in zip(arabic, chunks, strict=True):
                counts[letter][chunk] += n
        score = _Estimate(counts)
    table = _context_table(alignments, min_count)
    dropped = {(a, "".join(chunks)) for a, chunks, _ in alignments if _drops_firm(a, chunks)}
    kept = [pair for pair in data if pair[:2] not in dropped] + _clean_pairs(lexicon_only)
    table["words"] = _lexicon(kept, table, lexicon_min, lexicon_size)
    table["pairs"] = len(data)
    table["aligned"] = len(alignments)
    return table


def _clean_pairs(pairs: Iterable[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    merged: Counter[tuple[str, str]] = Counter()
    for arabic, latin, n in pairs:
        a, z = normalise_arabic(arabic), normalise_latin(latin)
        if a and z and all(ARABIC_LETTER.fullmatch(c) for c in a) and len(z) <= 4 * len(a) + 4:
            merged[a, z] += n
    return [(a, z, n) for (a, z), n in merged.items()]


def _context_table(
    alignments: Sequence[tuple[str, list[str], int]], min_count: int
) -> dict[str, Any]:
    levels: dict[str, dict[str, Counter[str]]] = {
        k: defaultdict(Counter) for k in ("c", "lc", "cr", "lcr")
    }
    for arabic, chunks, n in alignments:
        for i, chunk in enumerate(chunks):
            left, letter, right = _contexts(arabic, i)
            levels["c"][letter][chunk] += n
            levels["lc"][left + letter][chunk] += n
            levels["cr"][letter + right][chunk] += n
            levels["lcr"][left + letter + right][chunk] += n
    letters = {k: _best(v, k) for k, v in levels["c"].items()}
    at = {"lc": 1, "cr": 0, "lcr": 1}  # where the letter is in each level's key
    keep = {
        name: {
            k: _best(v, k[at[name]])
            for k, v in levels[name].items()
            if sum(v.values()) >= min_count
        }
        for name in ("lc", "cr", "lcr")
    }
    # An entry whose choice its back-off would make anyway is dropped (same output, smaller file).
    keep["lc"] = {k: v for k, v in keep["lc"].items() if v != letters[k[1]]}
    keep["cr"] = {k: v for k, v in keep["cr"].items() if v != letters[k[0]]}
    trimmed = {}
    for key, chunk in keep["lcr"].items():
        if chunk != _back_off(key, keep["cr"], keep["lc"], letters):
            trimmed[key] = chunk
    return {"letters": letters, "lc": keep["lc"], "cr": keep["cr"], "lcr": trimmed}


def _back_off(key: str, cr: dict[str, str], lc: dict[str, str], letters: dict[str, str]) -> str:
    """The chunk for context `key` (left, letter, right) without its three-letter entry."""
    for found in (cr.get(key[1:]), lc.get(key[:2])):
        if found is not None:
            return found
    return letters.get(key[1], "")


def chunk(key: str, table: dict[str, Any], overrides: dict[str, str] | None = None) -> str:
    """The chunk for context `key` (previous letter, letter, next letter; ^ and $ at the edges).

    `overrides` replaces the consonant a chunk starts with (its trailing vowels kept) for
    the letters it names; a chunk that is all vowels (a letter the writer dropped) is kept."""
    found: str | None = table["lcr"].get(key)
    if found is None:
        found = _back_off(key, table["cr"], table["lc"], table["letters"])
    if overrides and key[1] in overrides:
        tail = len(found) - len(found.rstrip("aeiou"))
        if tail < len(found):
            found = overrides[key[1]] + found[len(found) - tail :]
    return found


def spell(
    word: str,
    table: dict[str, Any],
    overrides: dict[str, str] | None = None,
    memo: dict[str, str] | None = None,
) -> str:
    """`word` (normalised Arabic letters) spelled by the table's letter rules alone; `memo`
    keeps the chunk of each context seen (the probe passes one per variety, for speed)."""
    padded = START + word + END
    if memo is None:
        return "".join(chunk(padded[i : i + 3], table, overrides) for i in range(len(word)))
    out = []
    for i in range(len(word)):
        key = padded[i : i + 3]
        found = memo.get(key)
        if found is None:
            found = memo[key] = chunk(key, table, overrides)
        out.append(found)
    return "".join(out)


def _lexicon(
    data: Sequence[tuple[str, str, int]], table: dict[str, Any], minimum: int, size: int
) -> dict[str, str]:
    by_word: dict[str, Counter[str]] = defaultdict(Counter)
    for arabic, latin, n in data:
        by_word[arabic][latin] += n
    ranked = sorted(by_word.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    words: dict[str, str] = {}
    for arabic, spellings in ranked:
        if sum(spellings.values()) < minimum or len(words) >= size:
            break
        best = _best(spellings)
        if best != spell(arabic, table):
            words[arabic] = best
    return words
