"""Evaluation figures: per-language bars with threshold lines, and a model × language heat map."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from langgap.evaluate.metrics import ModelSummary, quantity_of
from langgap.report.figures import PALETTE, empty_axes, fold_label, new_figure, save_figure


def _score(summary: ModelSummary, key: str) -> tuple[float, float, float]:
    for row in summary.languages:
        if row.key == key:
            return row.harmlessness, row.interval.low, row.interval.high
    return math.nan, math.nan, math.nan


def _minimum(summary: ModelSummary, key: str) -> float | None:
    for verdict in summary.thresholds:
        if verdict.language == key and verdict.threshold is not None:
            return verdict.threshold.minimum
    return None


def bar_chart(
    models: Sequence[ModelSummary], languages: Sequence[str], labels: Sequence[str], out: Path
) -> list[Path]:
    """Grouped bars (one per model) per language, with 95% intervals and threshold lines."""
    fig, ax = new_figure(max(7.0, 0.6 * len(languages) * max(1, len(models)) + 2), 4.5)
    if not models or not languages:
        empty_axes(ax)
        return save_figure(fig, out, "harmlessness_by_language")
    width = 0.8 / len(models)
    x = np.arange(len(languages))
    for i, (summary, label) in enumerate(zip(models, labels, strict=True)):
        values = np.array([_score(summary, k) for k in languages])
        mid, low, high = values[:, 0], values[:, 1], values[:, 2]
        err = np.nan_to_num(np.vstack([mid - low, high - mid]), nan=0.0).clip(min=0)
        pos = x - 0.4 + width * (i + 0.5)
        ax.bar(pos, np.nan_to_num(mid), width, yerr=err, capsize=2, label=fold_label(label, 40),
               color=PALETTE[i % len(PALETTE)])  # fmt: skip
        for j, key in enumerate(languages):  # each bar's own minimum: rules may differ by model
            minimum = _minimum(summary, key)
            if minimum is not None and math.isfinite(minimum):
                ax.hlines(minimum, pos[j] - width / 2, pos[j] + width / 2, colors="#CC0000",
                          linestyles="dashed", linewidth=1.2)  # fmt: skip
    ax.plot([], [], color="#CC0000", linestyle="dashed", label="minimum (threshold)")
    ax.set_xticks(x, list(languages))
    ax.set_ylim(0, 105)
    quantity = quantity_of(models)
    ax.set_ylabel(fold_label(f"{quantity} (unclear counts as not safe)", 40))
    ax.set_title(f"{quantity.removesuffix(' %')} by language, worst first")
    ax.legend(fontsize="small", loc="lower right")
    return save_figure(fig, out, "harmlessness_by_language")


def heat_map(
    models: Sequence[ModelSummary], languages: Sequence[str], labels: Sequence[str], out: Path
) -> list[Path]:
    """Models (rows) × languages (columns), coloured and annotated by harmlessness."""
    width, height = max(6.0, 0.7 * len(languages) + 3), max(2.5, 0.5 * len(models) + 1.5)
    fig, ax = new_figure(width, height)
    if not models or not languages:
        empty_axes(ax)
        return save_figure(fig, out, "heatmap")
    grid = np.array([[_score(s, k)[0] for k in languages] for s in models], dtype=float)
    image = ax.imshow(np.ma.masked_invalid(grid), cmap="RdYlGn", vmin=0, vmax=100, aspect="auto")
    for (r, c), value in np.ndenumerate(grid):
        text = "n/a" if math.isnan(value) else f"{value:.0f}"
        ax.text(c, r, text, ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(languages)), list(languages))
    ax.set_yticks(range(len(models)), [fold_label(label) for label in labels])
    quantity = quantity_of(models)
    # folded to the figure's size: a one-model map is 2.5 in tall, and constrained layout
    # clips a colour-bar label or title longer than the figure instead of shrinking it
    fig.colorbar(image, ax=ax, label=fold_label(quantity, max(12, int(height * 7))))
    ax.set_title(fold_label(f"{quantity.removesuffix(' %')}: model × language", int(width * 8)))
    return save_figure(fig, out, "heatmap")
