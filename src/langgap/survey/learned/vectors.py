"""TF-IDF features stored as arrays (vocabulary + idf) and rebuilt without scikit-learn.

scikit-learn's `TfidfVectorizer` fits the vocabulary. Applying a stored block repeats its
analysis here (the same token pattern, stop words, word and `char_wb` n-grams; a test checks the
rows are equal), so annotating needs neither a pickle nor the scikit-learn import (seconds).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]

Analyzer = Literal["word", "char_wb"]
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern


@dataclass(frozen=True)
class TfidfSpec:
    """How one TF-IDF block is computed."""

    analyzer: Analyzer
    ngram_min: int
    ngram_max: int
    min_df: int
    stop_words: bool  # scikit-learn's English stop-word list (word analyzer only)

    def params(self) -> dict[str, Any]:
        """Keyword arguments of the fitting vectorizer."""
        return {
            "analyzer": self.analyzer,
            "ngram_range": (self.ngram_min, self.ngram_max),
            "stop_words": "english" if self.stop_words and self.analyzer == "word" else None,
            "lowercase": True,
            "dtype": np.float64,
        }


def analyse(spec: TfidfSpec, text: str, stop_words: frozenset[str]) -> list[str]:
    """The n-grams scikit-learn's analyzer yields for `text` under `spec`."""
    text = text.lower()
    if spec.analyzer == "char_wb":
        return _char_wb(text, spec.ngram_min, spec.ngram_max)
    tokens = [t for t in _TOKEN.findall(text) if t not in stop_words]
    grams = list(tokens) if spec.ngram_min == 1 else []
    for n in range(max(2, spec.ngram_min), min(spec.ngram_max, len(tokens)) + 1):
        grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return grams


def _char_wb(text: str, low: int, high: int) -> list[str]:
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        for n in range(low, high + 1):
            grams += [padded[i : i + n] for i in range(max(1, len(padded) - n + 1))]
            if len(padded) <= n:  # a short word counts once, as scikit-learn counts it
                break
    return grams


@dataclass(frozen=True)
class TfidfBlock:
    """A fitted TF-IDF block: its spec, vocabulary (column order) and idf weights."""

    spec: TfidfSpec
    vocabulary: tuple[str, ...]
    idf: np.ndarray
    stop_words: frozenset[str] = frozenset()  # stored with the block (word analyzer)

    @classmethod
    def fit(cls, spec: TfidfSpec, texts: list[str]) -> tuple[TfidfBlock, sp.csr_matrix]:
        """Fit vocabulary and idf on `texts`; also return their rows (analysing text is the
        slow part, so it is done once)."""
        from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]

        fitted = TfidfVectorizer(**spec.params(), min_df=spec.min_df, sublinear_tf=True)
        rows = sp.csr_matrix(fitted.fit_transform(texts), dtype=np.float64)
        vocabulary = tuple(fitted.get_feature_names_out())
        stop = frozenset(fitted.get_stop_words() or ())
        return cls(spec, vocabulary, np.asarray(fitted.idf_, dtype=np.float64), stop), rows

    @cached_property
    def index(self) -> dict[str, int]:
        """Column of each vocabulary entry."""
        return {gram: i for i, gram in enumerate(self.vocabulary)}

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        """The l2-normalised sublinear TF-IDF rows of `texts` (as TfidfVectorizer computes)."""
        index = self.index
        columns: list[int] = []
        counts: list[int] = []
        indptr = [0]
        for text in texts:
            grams = Counter(analyse(self.spec, text, self.stop_words))  # counted in C
            for gram, count in grams.items():
                column = index.get(gram)
                if column is not None:
                    columns.append(column)
                    counts.append(count)
            indptr.append(len(columns))
        shape = (len(texts), len(self.vocabulary))
        data = (1.0 + np.log(np.asarray(counts, dtype=np.float64))) * self.idf[columns]
        matrix = sp.csr_matrix((data, np.asarray(columns, dtype=np.int64), indptr), shape=shape)
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        matrix.data /= np.repeat(norms, np.diff(matrix.indptr))
        return sp.csr_matrix(matrix)


def transform_all(blocks: tuple[TfidfBlock, ...], texts: list[str]) -> sp.csr_matrix:
    """The blocks side by side."""
    return side_by_side([b.transform(texts) for b in blocks])


def fit_all(
    specs: tuple[TfidfSpec, ...], texts: list[str]
) -> tuple[tuple[TfidfBlock, ...], sp.csr_matrix]:
    """Fit every block on `texts`; the blocks and the texts' rows side by side."""
    fitted = [TfidfBlock.fit(spec, texts) for spec in specs]
    return tuple(block for block, _ in fitted), side_by_side([rows for _, rows in fitted])


def side_by_side(matrices: list[sp.csr_matrix]) -> sp.csr_matrix:
    """Column blocks joined into one matrix."""
    return sp.csr_matrix(sp.hstack(matrices, format="csr"))
