"""Linear classifiers with calibrated probabilities, stored as plain arrays.

Each head is a class-balanced logistic regression. Its probabilities are calibrated by
temperature scaling: one temperature, fitted on out-of-fold decision values of the training
data, divides the decision values before the sigmoid/softmax (Guo et al., 2017). One number
keeps the stored form small and does not change which class wins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]

REGULARISATION = 3.0  # C of the logistic regressions (chosen by year-wise CV on the reference)
_FOLDS = 5


@dataclass(frozen=True)
class LinearHead:
    """A fitted head: `classes`, weights (one row per class, or one row for two classes)."""

    classes: tuple[str, ...]
    coef: np.ndarray
    intercept: np.ndarray
    temperature: float

    def decision(self, x: sp.csr_matrix | np.ndarray) -> np.ndarray:
        """Raw decision values, one column per row of `coef`."""
        return np.asarray(x @ self.coef.T + self.intercept, dtype=np.float64)

    def proba(self, x: sp.csr_matrix | np.ndarray) -> np.ndarray:
        """Calibrated class probabilities (columns in `classes` order)."""
        return _probabilities(self.decision(x) / self.temperature)

    def predict(self, x: sp.csr_matrix | np.ndarray) -> list[tuple[str, float]]:
        """(class, its probability) per row."""
        p = self.proba(x)
        best = p.argmax(axis=1)
        return [(self.classes[int(i)], float(p[r, i])) for r, i in enumerate(best)]


def _probabilities(scores: np.ndarray) -> np.ndarray:
    if scores.shape[1] == 1:
        positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
        return np.column_stack([1.0 - positive, positive])
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return np.asarray(shifted / shifted.sum(axis=1, keepdims=True))


def fit_head(
    x: sp.csr_matrix | np.ndarray, labels: Sequence[str], c: float = REGULARISATION
) -> LinearHead:
    """Fit a head on rows `x` with string `labels` (at least two classes)."""
    return fit_head_out_of_fold(x, labels, c)[0]


def fit_head_out_of_fold(
    x: sp.csr_matrix | np.ndarray, labels: Sequence[str], c: float = REGULARISATION
) -> tuple[LinearHead, np.ndarray]:
    """Fit a head, and return with it the decision values each training row gets from a model
    fitted without it (5-fold; the fitted head's own values when a class is too rare to fold).
    A stacked head learns from these what the first head's output is worth on unseen papers."""
    y = np.asarray(labels)
    classes = tuple(sorted(set(labels)))
    if len(classes) < 2:
        raise ValueError(f"only one class ({classes[0]!r}) in the labels; need two or more")
    model = _regression(c, len(classes))
    model.fit(x, y)
    if len(classes) == 2:
        coef, intercept = np.asarray(model.coef_), np.asarray(model.intercept_)
    else:
        coef = np.vstack([e.coef_ for e in model.estimators_])
        intercept = np.concatenate([e.intercept_ for e in model.estimators_])
    scores = _out_of_fold(x, y, classes, c)
    head = LinearHead(classes, coef, intercept, 1.0)
    if scores is None:
        return head, head.decision(x)
    return replace(head, temperature=_temperature(scores, y, classes)), scores


def _regression(c: float, n_classes: int) -> Any:
    """liblinear (fast on sparse text); one-vs-rest for more than two classes, whose decision
    values the calibrated softmax then combines."""
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
    from sklearn.multiclass import OneVsRestClassifier  # type: ignore[import-untyped]

    binary = LogisticRegression(
        C=c, class_weight="balanced", solver="liblinear", dual=True, random_state=0
    )
    return binary if n_classes == 2 else OneVsRestClassifier(binary)


def _out_of_fold(
    x: sp.csr_matrix | np.ndarray, y: np.ndarray, classes: tuple[str, ...], c: float
) -> np.ndarray | None:
    """Out-of-fold decision values (one column per row of `coef`), or None when a class is too
    rare to fold."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict  # type: ignore[import-untyped]

    smallest = min(int((y == name).sum()) for name in classes)
    folds = min(_FOLDS, smallest)
    if folds < 2:
        return None
    model = _regression(c, len(classes))
    split = StratifiedKFold(folds, shuffle=True, random_state=0)
    scores = cross_val_predict(model, x, y, cv=split, method="decision_function")
    return np.asarray(scores, dtype=np.float64).reshape(len(y), -1)


def _temperature(scores: np.ndarray, y: np.ndarray, classes: tuple[str, ...]) -> float:
    """The temperature minimising the log loss of out-of-fold decision values."""
    from scipy.optimize import minimize_scalar  # type: ignore[import-untyped]

    truth = np.searchsorted(np.asarray(classes), y)

    def log_loss(log_t: float) -> float:
        p = _probabilities(scores / math.exp(log_t))
        return float(-np.log(np.clip(p[np.arange(len(y)), truth], 1e-12, None)).mean())

    found = minimize_scalar(log_loss, bounds=(-3.0, 3.0), method="bounded")
    return float(math.exp(found.x))
