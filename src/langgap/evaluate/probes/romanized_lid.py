"""Which language a romanised word is in: character n-gram models of human romanisations.

py3langid was trained on native scripts, so romanised Hindi, Bengali, Urdu and Arabizi look to it
like noisy English. Here each language has a character model (order 4, Witten-Bell interpolated)
trained on what people type: Dakshina's attested romanisations (train split), ICON 2016 Bengali-
English chat tokens (train split), NArabizi Algerian Arabizi (train split), and English and French
word frequencies (wordfreq). The tables ship in `lid_tables/` with their sources and licences
(MODEL_CARD.md there); `benchmarks/train_romanized_lid.py` rebuilds them.

>>> best_language("kya haal hai", ["eng", "hin"])
'hin'
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

ORDER = 4  # characters of context + 1
BOUNDARY = "\x02"  # word start and end (never typed)
TABLES = "romanized_lid.json.gz"
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")  # letters and digits (Arabizi writes 3 for ع)


@dataclass(frozen=True)
class CharModel:
    """One language's character n-gram counts, with each history's total and distinct followers."""

    counts: Mapping[str, int]  # history + next character -> count
    histories: Mapping[str, tuple[int, int]]  # history -> (count, distinct next characters)
    alphabet: int  # distinct characters seen (the uniform floor)

    def logprob(self, word: str) -> float:
        """Natural-log probability of the whole word, boundaries included."""
        padded = BOUNDARY + word + BOUNDARY
        total = 0.0
        for i in range(1, len(padded)):
            total += math.log(self._prob(padded[max(0, i - ORDER + 1) : i], padded[i]))
        return total

    def _prob(self, history: str, char: str) -> float:
        # Witten-Bell: interpolate from the empty history up to the longest one.
        prob = 1.0 / (self.alphabet + 1)
        for start in range(len(history), -1, -1):
            seen = self.histories.get(history[start:])
            if seen is None:
                break  # a longer history unseen: its shorter suffix is the best estimate
            count, distinct = seen
            prob = (self.counts.get(history[start:] + char, 0) + distinct * prob) / (
                count + distinct
            )
        return prob


def train(words: Iterable[tuple[str, int]], *, min_count: int = 1) -> CharModel:
    """A character model from (word, weight) pairs; n-grams seen < min_count times are dropped
    from the stored counts (their histories keep their totals, so nothing is over-estimated)."""
    counts: Counter[str] = Counter()
    for word, weight in words:
        padded = BOUNDARY + normalise(word) + BOUNDARY
        for i in range(1, len(padded)):
            for start in range(max(0, i - ORDER + 1), i + 1):
                counts[padded[start : i + 1]] += weight
    totals: Counter[str] = Counter()
    followers: defaultdict[str, int] = defaultdict(int)
    for gram, count in counts.items():
        totals[gram[:-1]] += count
        followers[gram[:-1]] += 1
    alphabet = sum(1 for gram in counts if len(gram) == 1)
    kept = {g: c for g, c in counts.items() if c >= min_count}
    histories = {h: (totals[h], followers[h]) for h in totals}
    return CharModel(kept, histories, alphabet)


def normalise(word: str) -> str:
    """Lowercase; repeated letters beyond two cut to two (chat stretches: 'soooo' -> 'soo')."""
    return re.sub(r"(.)\1{2,}", r"\1\1", word.lower())


def words(text: str) -> list[str]:
    """The words of `text` a model scores (letters and digits; punctuation and emoji dropped)."""
    return [normalise(w) for w in _WORD.findall(text)]


def dump(models: Mapping[str, CharModel], meta: Mapping[str, Any]) -> bytes:
    """The gzipped JSON the package ships (deterministic: same models, same bytes)."""
    doc = {
        "order": ORDER,
        "meta": dict(meta),
        "models": {
            code: {
                "alphabet": m.alphabet,
                "counts": dict(sorted(m.counts.items())),
                "histories": {h: list(v) for h, v in sorted(m.histories.items())},
            }
            for code, m in sorted(models.items())
        },
    }
    raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return gzip.compress(raw, compresslevel=9, mtime=0)


def load(data: bytes) -> dict[str, CharModel]:
    """Models from dump()'s bytes."""
    doc = json.loads(gzip.decompress(data))
    if doc.get("order") != ORDER:
        raise ValueError(f"romanised LID tables of order {doc.get('order')}, expected {ORDER}")
    return {
        code: CharModel(
            m["counts"], {h: (v[0], v[1]) for h, v in m["histories"].items()}, m["alphabet"]
        )
        for code, m in doc["models"].items()
    }


@cache
def packaged_models() -> dict[str, CharModel]:
    """The shipped models (ISO 639-3 code -> model), loaded once."""
    data = resources.files("langgap.evaluate.probes").joinpath("lid_tables", TABLES).read_bytes()
    return load(data)


def languages() -> frozenset[str]:
    """ISO 639-3 codes the shipped models cover."""
    return frozenset(packaged_models())


@lru_cache(maxsize=262144)
def _word_score(word: str, code: str) -> float:
    return packaged_models()[code].logprob(word)


def scores(text: str, candidates: Sequence[str]) -> dict[str, float]:
    """Summed log-probability of the text's words under each candidate's model."""
    found = words(text)
    return {code: sum(_word_score(word, code) for word in found) for code in candidates}


def best_language(text: str, candidates: Sequence[str]) -> str | None:
    """The candidate (ISO 639-3, each with a shipped model) most likely to have written `text`."""
    unknown = [c for c in candidates if c not in packaged_models()]
    if unknown:
        raise ValueError(
            f"no romanised LID model for {', '.join(unknown)}; "
            f"models exist for {', '.join(sorted(languages()))}"
        )
    if not words(text):
        return None
    found = scores(text, candidates)
    return max(candidates, key=lambda code: found[code])
