"""Learn a `RewriteTable` from (native word, human romanisation, attestations) triples.

1. Align: each word's units to consecutive Latin spans (0 to `LONGEST` letters each), by hard EM
   (Viterbi) from a prior that favours the rule romanisation of the unit (edit distance to it),
   every pair weighted by how many people wrote it.
2. Count, per context level, which span each unit got (weighted), and keep a context's choice
   only where it has `min_count` weight from `min_words` different words and puts more weight
   right than what the less specific levels already give: the table holds exceptions, so it
   stays small, and one word's spelling is not taken for a rule.

>>> pairs = [("नम", "nam", 2), ("मन", "man", 1), ("नमन", "naman", 1)]
>>> table = fit(pairs, rule=lambda u: {"न": "na", "म": "ma"}[u], iterations=2)
>>> table.romanize("नमन", fallback=str)
'naman'
"""

from __future__ import annotations

import math
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from langgap.evaluate.probes.learned_roman import END, LEVELS, START, RewriteTable, contexts, units

LONGEST = 5  # Latin letters one unit may take (थीं -> theen)
PRIOR_SLOPE = 2.0  # log-odds lost per edit away from the rule romanisation
PRIOR_WEIGHT = 1.0  # pseudo-count of the prior beside the aligned counts
# A context choice seen in one word only is that word's elicited spelling (करने: karane x3 in
# Dakshina's train lexicon, while people type karne), not a rule: it needs this many words.
MIN_WORDS = 2
WORD_LEVELS = frozenset({"l_u_r", "u_r", "l_u"})  # contexts naming a neighbour letter, not its kind
Triple = tuple[str, str, str]
T = TypeVar("T")  # left unit, unit, right unit (edges as START/END)


def normalize_latin(text: str) -> str:
    """Lower-case NFC letters only (what CER compares): drops apostrophes, hyphens, spaces."""
    return "".join(c for c in unicodedata.normalize("NFC", text.lower()) if c.isalnum())


def _edit(a: str, b: str) -> int:
    try:  # rapidfuzz (dev extra) when present: the alignment's prior is edit-distance bound
        from rapidfuzz.distance import Levenshtein
    except ImportError:
        return _edit_py(a, b)
    return int(Levenshtein.distance(a, b))


def _edit_py(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


Weights = defaultdict[str, float]  # span -> attestation weight


def _weights() -> Weights:
    return defaultdict(float)


def _add(into: Weights, more: Weights) -> None:
    for span, weight in more.items():
        into[span] += weight


def _best(weights: Weights) -> str:
    """The heaviest span; ties go to the first seen (insertion order, as Counter did)."""
    return max(weights, key=weights.__getitem__)


class _Model:
    """log P(span | unit): aligned counts smoothed towards the rule prior."""

    def __init__(self, rule: Callable[[str], str]) -> None:
        self.rule = rule
        self.counts: dict[str, Weights] = defaultdict(_weights)
        self.totals: dict[str, float] = {}
        self._cache: dict[str, dict[str, float]] = {}
        self._rules: dict[str, str] = {}
        self._priors: dict[tuple[str, str], float] = {}

    def prior(self, unit: str, span: str) -> float:
        found = self._priors.get((unit, span))
        if found is None:
            if unit not in self._rules:
                self._rules[unit] = normalize_latin(self.rule(unit))
            found = math.exp(-PRIOR_SLOPE * _edit(span, self._rules[unit]))
            self._priors[unit, span] = found
        return found

    def logp(self, unit: str) -> Callable[[str], float]:
        """log P(span | unit) as a function of the span, memoised per unit."""
        memo = self._cache.setdefault(unit, {})
        counts = self.counts.get(unit, _weights())
        total = self.totals.get(unit, 0.0) + 1.0

        def one(span: str) -> float:
            found = memo.get(span)
            if found is None:
                found = math.log((counts[span] + PRIOR_WEIGHT * self.prior(unit, span)) / total)
                memo[span] = found
            return found

        return one

    def refit(self, aligned: Iterable[tuple[list[str], list[str], float]]) -> None:
        self.counts = defaultdict(_weights)
        for parts, spans, weight in aligned:
            for unit, span in zip(parts, spans, strict=True):
                self.counts[unit][span] += weight
        self.totals = {unit: float(sum(c.values())) for unit, c in self.counts.items()}
        self._cache = {}


def align(model: _Model, parts: Sequence[str], latin: str) -> list[str] | None:
    """The most likely spans of `latin`, one per unit (None when no split fits)."""
    n, m = len(parts), len(latin)
    best = [[-math.inf] * (m + 1) for _ in range(n + 1)]
    back = [[0] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i, unit in enumerate(parts):
        row, nxt, nback = best[i], best[i + 1], back[i + 1]
        logp = model.logp(unit)
        for j in range(m + 1):
            if row[j] == -math.inf:
                continue
            for k in range(j, min(m, j + LONGEST) + 1):
                score = row[j] + logp(latin[j:k])
                if score > nxt[k]:
                    nxt[k], nback[k] = score, j
    if best[n][m] == -math.inf:
        return None
    spans, j = [], m
    for i in range(n, 0, -1):
        start = back[i][j]
        spans.append(latin[start:j])
        j = start
    return spans[::-1]


Aligned = list[tuple[list[str], list[str], float]]


def _spread(triples: list[Triple], words: dict[Triple, set[str]], least: int) -> bool:
    """Whether the words behind `triples` number at least `least`."""
    if least <= 1 or (len(triples) == 1 and triples[0][0] == START and triples[0][2] == END):
        return True  # a one-unit word (में: mein) has no other word to learn its spelling from
    found: set[str] = set()
    for triple in triples:
        found |= words[triple]
        if len(found) >= least:
            return True
    return False


def fit(
    pairs: Iterable[tuple[str, str, int]],
    rule: Callable[[str], str],
    *,
    iterations: int = 2,
    min_count: float = 2.0,
) -> RewriteTable:
    """A table learned from (native word, romanisation, attestations); `rule` gives the prior."""
    return build(align_all(pairs, rule, iterations=iterations), min_count=min_count)


def _evenly(items: list[T], size: int) -> list[T]:
    if len(items) <= size:
        return items
    step = len(items) / size
    return [items[int(i * step)] for i in range(size)]


def align_all(
    pairs: Iterable[tuple[str, str, int]],
    rule: Callable[[str], str],
    *,
    iterations: int = 2,
    warmup: int = 10000,
    most: int = 200000,
) -> Aligned:
    """Pairs' units with their Latin spans after hard EM: the first `iterations - 1` rounds on
    `warmup` evenly spaced pairs, the last on at most `most` (every Dakshina train lexicon fits:
    a sample of pairs lost এবং's usual ebong x3 and kept its ebang x1)."""
    data = [(units(native), normalize_latin(latin), float(n)) for native, latin, n in pairs]
    data = _evenly([(p, latin, w) for p, latin, w in data if p and latin], most)
    model = _Model(rule)
    aligned: Aligned = []
    for round_ in range(iterations):
        aligned = []
        for parts, latin, weight in data if round_ == iterations - 1 else _evenly(data, warmup):
            spans = align(model, parts, latin)
            if spans is not None:
                aligned.append((parts, spans, weight))
        model.refit(aligned)
    return aligned


def build(
    aligned: Iterable[tuple[list[str], list[str], float]],
    *,
    min_count: float,
    min_words: int = MIN_WORDS,
) -> RewriteTable:
    """The table of aligned words: each unit's usual span, and context exceptions that
    `min_count` attestation weight from at least `min_words` different words support."""
    seen: dict[Triple, Weights] = defaultdict(_weights)
    keys: dict[Triple, dict[str, str]] = {}
    words: dict[Triple, set[str]] = defaultdict(set)
    for parts, spans, weight in aligned:
        word = "".join(parts)
        for i, span in enumerate(spans):
            keyset = contexts(parts, i)
            left, unit, right = keyset["l_u_r"].split("\t")
            triple = (left, unit, right)
            seen[triple][span] += weight
            keys.setdefault(triple, keyset)
            words[triple].add(word)
    by_unit: dict[str, Weights] = defaultdict(_weights)
    for triple, spans_of in seen.items():
        _add(by_unit[triple[1]], spans_of)
    table_spans = {unit: _best(counts) for unit, counts in by_unit.items()}
    by_context: dict[str, dict[str, str]] = {}
    answer = {triple: table_spans[triple[1]] for triple in seen}  # decoding with what is stored
    for level in reversed(LEVELS):  # least specific first: later levels override earlier ones
        grouped: dict[str, list[Triple]] = defaultdict(list)
        for triple in seen:
            grouped[keys[triple][level]].append(triple)
        stored: dict[str, str] = {}
        for key, triples in grouped.items():
            counts = _weights()
            for triple in triples:
                _add(counts, seen[triple])
            least = min_words if level in WORD_LEVELS else 1
            if sum(counts.values()) < min_count or not _spread(triples, words, least):
                continue
            choice = _best(counts)
            # stored where it puts more attestation weight right than the answers it replaces
            if counts[choice] > sum(seen[triple][answer[triple]] for triple in triples):
                stored[key] = choice
                for triple in triples:
                    answer[triple] = choice
        if stored:
            by_context[level] = stored
    return RewriteTable(table_spans, by_context)
