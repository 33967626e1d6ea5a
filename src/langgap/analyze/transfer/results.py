"""Results of the transfer experiment: a row per training set, train × eval matrices, JSON."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from langgap.analyze.common.behaviour import RefusalEval, paired_changes
from langgap.analyze.common.transfer_config import TransferConfig

METRICS = {"harmlessness": True, "over_refusal": False}  # metric -> harmful prompts?


@dataclass
class TransferRow:
    """One matrix row: a fresh adapter trained on `train_languages`, evaluated everywhere."""

    train_languages: tuple[str, ...]
    method: str
    after: RefusalEval
    harmlessness: dict[str, dict[str, Any]]  # paired_change(before, after, harmful=True)
    over_refusal: dict[str, dict[str, Any]]  # paired_change(..., harmful=False)
    n_examples: int = 0
    data: dict[str, Any] = field(default_factory=dict)
    loss_history: list[dict[str, float]] = field(default_factory=list)
    train_nll_before: float | None = None
    train_nll_after: float | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    cached: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """Row label and folder name: the training languages joined by '+'."""
        return "+".join(self.train_languages)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: outcomes by id, changes with intervals, losses; no text."""
        return {
            "name": self.name,
            "train_languages": list(self.train_languages),
            "method": self.method,
            "n_examples": self.n_examples,
            "data": self.data,
            "harmlessness_change": self.harmlessness,
            "over_refusal_change": self.over_refusal,
            "train_loss_history": self.loss_history,
            "train_nll_before": self.train_nll_before,
            "train_nll_after": self.train_nll_after,
            "seconds": self.seconds,
            "cached": self.cached,
            "after": self.after.to_dict(),
        }


def row_from_evals(
    train_languages: Sequence[str],
    before: RefusalEval,
    after: RefusalEval,
    *,
    method: str = "sft",
    n_boot: int = 1000,
    seed: int = 0,
    **extra: Any,
) -> TransferRow:
    """A matrix row from the base and fine-tuned evaluations of the same prompts."""
    changes = paired_changes(before, after, n_boot=n_boot, seed=seed)
    return TransferRow(tuple(train_languages), method, after, *changes, **extra)


@dataclass
class TransferMatrix:
    """Train × eval arrays of one metric (NaN where a cell has no prompts)."""

    metric: str
    rows: list[str]
    columns: list[str]
    change: NDArray[np.float64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]
    before: NDArray[np.float64]
    after: NDArray[np.float64]
    p_value: NDArray[np.float64]
    n: NDArray[np.float64]


@dataclass
class TransferExperiment:
    """The base evaluation, one row per training set, and what produced them."""

    config: TransferConfig
    eval_languages: list[str]
    before: RefusalEval
    rows: list[TransferRow]
    data: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str | None] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    lora_targets: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)

    def matrix(self, metric: str = "harmlessness") -> TransferMatrix:
        """The change (points), its interval, before/after rates, p-values and n per cell."""
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; available: {', '.join(METRICS)}")
        shape = (len(self.rows), len(self.eval_languages))
        arrays = {k: np.full(shape, np.nan) for k in ("change", "low", "high", "before", "after")}
        arrays |= {"p_value": np.full(shape, np.nan), "n": np.full(shape, np.nan)}
        for i, row in enumerate(self.rows):
            cells = row.harmlessness if metric == "harmlessness" else row.over_refusal
            for j, lang in enumerate(self.eval_languages):
                cell = cells.get(lang)
                if cell is None:
                    continue
                arrays["change"][i, j] = cell["change"]
                arrays["low"][i, j], arrays["high"][i, j] = cell["interval"]
                arrays["before"][i, j] = cell["before"]
                arrays["after"][i, j] = cell["after"]
                arrays["p_value"][i, j] = cell["p_value"]
                arrays["n"][i, j] = cell["n"]
        return TransferMatrix(metric, [r.name for r in self.rows], self.eval_languages, **arrays)

    def to_dict(self) -> dict[str, Any]:
        """Config, seeds, versions, data summary, base evaluation and every row."""
        matrices = {}
        for metric in METRICS:
            m = self.matrix(metric)
            matrices[metric] = {
                "rows": m.rows,
                "columns": m.columns,
                "change": _nan_to_none(m.change),
                "interval_low": _nan_to_none(m.low),
                "interval_high": _nan_to_none(m.high),
                "p_value": _nan_to_none(m.p_value),
            }
        return {
            "experiment": "crosslingual refusal-training transfer (LoRA)",
            "config": self.config.to_dict(),
            "seeds": {
                "data": self.config.seed,
                "training": self.config.seed,
                "bootstrap": self.config.seed,
            },
            "versions": self.versions,
            "lora_targets": self.lora_targets,
            "eval_languages": self.eval_languages,
            "data": self.data,
            "judge": self.before.to_dict()["judge"],
            "decoding": {"greedy": True, "max_new_tokens": self.config.max_new_tokens},
            "matrix": matrices,
            "before": self.before.to_dict(),
            "rows": [r.to_dict() for r in self.rows],
            "timings_seconds": self.timings,
            "cached": self.cached,
            "warnings": self.warnings(),
        }

    def warnings(self) -> list[str]:
        """Evaluation languages whose base refusal rate on harmful prompts is near 0 or 1."""
        from langgap.analyze.common.bounds import base_rate_warnings

        base = self.before.by_language(harmful=True)
        return base_rate_warnings({lang: r.rate / 100 for lang, r in base.items()})


def _nan_to_none(a: NDArray[np.float64]) -> list[list[float | None]]:
    return [[None if not np.isfinite(v) else float(v) for v in row] for row in a]
