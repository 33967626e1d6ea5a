"""Influence results: training-language × query-language matrices, top examples, JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from langgap.analyze.influence.data import InfluenceError, TrainExample


@dataclass(frozen=True)
class Influential:
    """One training example in a query's top list."""

    id: str
    language: str
    score: float


@dataclass(frozen=True)
class QueryTop:
    """A query's most helpful (proponents, score > 0) and most harmful (opponents, < 0) examples."""

    query_id: str
    query_language: str
    proponents: list[Influential]
    opponents: list[Influential]


@dataclass
class LanguageInfluence:
    """Influence aggregated by language: rows are training languages, columns query languages."""

    train_languages: list[str]
    query_languages: list[str]
    mean: NDArray[np.float64]  # mean score over (query, training example) pairs of each cell
    top_share: NDArray[np.float64]  # share of each query's k highest scores held by the row
    k: int
    n_train: dict[str, int]
    n_query: dict[str, int]

    def train_share(self) -> NDArray[np.float64]:
        """Each training language's share of the training set: the top-k share under no effect."""
        total = sum(self.n_train.values())
        return np.array([self.n_train[lang] / total for lang in self.train_languages])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: languages, counts and both matrices (rows = training languages)."""
        return {
            "train_languages": self.train_languages,
            "query_languages": self.query_languages,
            "mean": _matrix(self.mean),
            "top_share": _matrix(self.top_share),
            "k": self.k,
            "train_share": [float(v) for v in self.train_share()],
            "n_train": self.n_train,
            "n_query": self.n_query,
        }


@dataclass
class InfluenceResult:
    """Pairwise influence scores [n_queries, n_train] with ids, languages and the run's config."""

    scores: NDArray[np.float64]
    train_ids: list[str]
    train_languages: list[str]
    query_ids: list[str]
    query_languages: list[str]
    config: dict[str, Any] = field(default_factory=dict)
    # The examples themselves, for include_text only: never written unless asked for.
    train: list[TrainExample] = field(default_factory=list, repr=False)
    queries: list[TrainExample] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.scores = np.asarray(self.scores, dtype=np.float64)
        want = (len(self.query_ids), len(self.train_ids))
        if self.scores.shape != want:
            raise InfluenceError(
                f"scores have shape {self.scores.shape}, but there are {want[0]} queries and "
                f"{want[1]} training examples"
            )
        if len(self.train_languages) != want[1] or len(self.query_languages) != want[0]:
            raise InfluenceError("one language per training example and per query is needed")

    def by_language(self, k: int = 10) -> LanguageInfluence:
        """Training-language × query-language mean score and top-k share (languages sorted)."""
        if not self.train_ids or not self.query_ids:
            raise InfluenceError("no scores to aggregate: no training examples or no queries")
        k = _check_k(k, len(self.train_ids))
        rows = sorted(set(self.train_languages))
        cols = sorted(set(self.query_languages))
        train_lang = np.array(self.train_languages)
        query_lang = np.array(self.query_languages)
        top = _top_indices(self.scores, k)  # [n_queries, k]
        mean = np.zeros((len(rows), len(cols)))
        share = np.zeros((len(rows), len(cols)))
        for j, q_lang in enumerate(cols):
            q_rows = np.flatnonzero(query_lang == q_lang)
            top_langs = train_lang[top[q_rows]]  # [n_queries of q_lang, k]
            for i, t_lang in enumerate(rows):
                cols_t = np.flatnonzero(train_lang == t_lang)
                mean[i, j] = self.scores[np.ix_(q_rows, cols_t)].mean()
                share[i, j] = (top_langs == t_lang).mean()
        return LanguageInfluence(
            train_languages=rows,
            query_languages=cols,
            mean=mean,
            top_share=share,
            k=k,
            n_train={lang: int((train_lang == lang).sum()) for lang in rows},
            n_query={lang: int((query_lang == lang).sum()) for lang in cols},
        )

    def warnings(self, k: int) -> list[str]:
        """Settings under which a reported statistic is degenerate (k ≥ training examples)."""
        from langgap.analyze.common.bounds import top_k_warnings

        return top_k_warnings(len(self.train_ids), k)

    def top(self, k: int = 10) -> list[QueryTop]:
        """Per query, the k highest positive and k lowest negative scores (ties: input order)."""
        k = _check_k(k, len(self.train_ids))
        order = np.argsort(-self.scores, axis=1, kind="stable")
        out = []
        for q, row in enumerate(self.scores):
            pro = [int(i) for i in order[q, :k] if row[i] > 0]
            low = np.argsort(row, kind="stable")[:k]
            con = [int(i) for i in low if row[i] < 0]
            out.append(
                QueryTop(
                    query_id=self.query_ids[q],
                    query_language=self.query_languages[q],
                    proponents=[self._influential(i, row[i]) for i in pro],
                    opponents=[self._influential(i, row[i]) for i in con],
                )
            )
        return out

    def _influential(self, index: int, score: float) -> Influential:
        return Influential(self.train_ids[index], self.train_languages[index], float(score))

    def to_dict(self, *, k: int = 10, include_text: bool = False) -> dict[str, Any]:
        """JSON-ready: config, ids, languages, scores, language matrices and top lists.

        Prompt and response text stay out unless `include_text` (the harmful prompts are test
        material); ids identify every example.
        """
        data: dict[str, Any] = {
            "config": self.config,
            "shape": list(self.scores.shape),
            "train": {"ids": self.train_ids, "languages": self.train_languages},
            "queries": {"ids": self.query_ids, "languages": self.query_languages},
            "scores": _matrix(self.scores),
            "by_language": self.by_language(k).to_dict(),
            "warnings": self.warnings(k),
            "top": [_top_dict(t) for t in self.top(k)],
        }
        if include_text:
            if not self.train or not self.queries:
                raise InfluenceError("include_text: this result does not hold the examples")
            data["train"]["examples"] = [_text(e) for e in self.train]
            data["queries"]["examples"] = [_text(e) for e in self.queries]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InfluenceResult:
        """Read what `to_dict` wrote (without the examples' text)."""
        return cls(
            scores=np.array(data["scores"], dtype=np.float64).reshape(data["shape"]),
            train_ids=list(data["train"]["ids"]),
            train_languages=list(data["train"]["languages"]),
            query_ids=list(data["queries"]["ids"]),
            query_languages=list(data["queries"]["languages"]),
            config=dict(data.get("config", {})),
        )

    @classmethod
    def load(cls, path: str | Path) -> InfluenceResult:
        """Read an influence.json written by `write_influence_report`."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def _check_k(k: int, n: int) -> int:
    if k < 1:
        raise InfluenceError(f"k must be at least 1, got {k}")
    return min(k, n)


def _top_indices(scores: NDArray[np.float64], k: int) -> NDArray[np.int64]:
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def _matrix(values: NDArray[np.float64]) -> list[list[float | None]]:
    return [[float(v) if np.isfinite(v) else None for v in row] for row in values]


def _top_dict(top: QueryTop) -> dict[str, Any]:
    def items(xs: list[Influential]) -> list[dict[str, Any]]:
        return [{"id": x.id, "language": x.language, "score": x.score} for x in xs]

    return {
        "query_id": top.query_id,
        "query_language": top.query_language,
        "proponents": items(top.proponents),
        "opponents": items(top.opponents),
    }


def _text(example: TrainExample) -> dict[str, str]:
    return {"id": example.id, "prompt": example.prompt, "response": example.response}
