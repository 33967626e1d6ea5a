"""Figures and the Markdown/JSON report for refusal directions."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from safetensors.torch import save_file

from langgap.analyze.directions.run import RefusalDirections
from langgap.report.figures import PALETTE, empty_axes, new_figure, save_figure
from langgap.report.html import write_text_atomic
from langgap.report.markdown import MarkdownReport
from langgap.report.tables import Cell


def plot_cosine(dirs: RefusalDirections, layer: int, out_dir: Path) -> list[Path]:
    """Heat map of the language × language cosine matrix at one model layer (PNG + SVG)."""
    cos = dirs.cosine(layer)
    n = len(dirs.languages)
    fig, ax = new_figure(1.6 + 0.55 * n, 1.2 + 0.5 * n)
    image = ax.imshow(cos, vmin=-1, vmax=1, cmap="RdBu_r")
    ax.set_xticks(range(n), dirs.languages, rotation=45, ha="right")
    ax.set_yticks(range(n), dirs.languages)
    for i in range(n):
        for j in range(n):
            colour = "white" if abs(cos[i, j]) > 0.6 else "black"
            ax.text(j, i, f"{cos[i, j]:.2f}", ha="center", va="center", fontsize=7, color=colour)
    ax.set_title(f"Refusal direction cosine, layer {layer}")
    fig.colorbar(image, ax=ax, shrink=0.8)
    return save_figure(fig, out_dir, f"cosine_layer{layer}")


def plot_quality(dirs: RefusalDirections, out_dir: Path, metric: str = "auroc") -> list[Path]:
    """Per-layer direction quality (held-out AUROC or Cohen's d), one curve per language."""
    values = {"auroc": dirs.auroc, "cohens_d": dirs.cohens_d}.get(metric)
    if values is None:
        raise ValueError(f"unknown metric {metric!r}; available: auroc, cohens_d")
    fig, ax = new_figure()
    for i, lang in enumerate(dirs.languages):
        ax.plot(dirs.layers, values[i], marker="o", ms=3, label=lang, color=_colour(i))
    ax.set_xlabel("layer")
    ax.set_ylabel("held-out AUROC" if metric == "auroc" else "held-out Cohen's d")
    if metric == "auroc":
        ax.axhline(0.5, color="#999999", lw=0.8, ls="--")
    ax.legend(fontsize=7, ncols=2)
    ax.grid(alpha=0.3)
    return save_figure(fig, out_dir, f"quality_{metric}")


def plot_cross_cosine(dirs: RefusalDirections, out_dir: Path) -> list[Path]:
    """Mean cross-language cosine of the directions at each layer."""
    fig, ax = new_figure()
    mean = dirs.mean_cross_cosine()
    if np.isnan(mean).all():
        empty_axes(ax, "one language: no cross-language pairs")
    else:
        ax.plot(dirs.layers, mean, marker="o", ms=3, color=PALETTE[0])
        ax.set_xlabel("layer")
        ax.set_ylabel("mean cosine over language pairs")
        ax.set_ylim(-1, 1)
        ax.grid(alpha=0.3)
    return save_figure(fig, out_dir, "cross_language_cosine")


def write_directions_report(
    dirs: RefusalDirections, out_dir: Path, layer: int | None = None
) -> list[Path]:
    """directions.json, directions.safetensors, figures and report.md under out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    layer = dirs.best_layer() if layer is None else layer
    summary = dirs.to_dict() | {"cosine_layer": layer}
    paths = [
        write_text_atomic(out_dir / "directions.json", json.dumps(summary, indent=2) + "\n"),
    ]
    tensor_path = out_dir / "directions.safetensors"
    tensors = {"directions": dirs.directions.contiguous()}
    if dirs.harmless_mean is not None:
        tensors["harmless_mean"] = dirs.harmless_mean.contiguous()
    save_file(
        tensors,
        str(tensor_path),
        metadata={"languages": ",".join(dirs.languages), "layers": ",".join(map(str, dirs.layers))},
    )
    paths.append(tensor_path)
    figures = [
        *plot_cosine(dirs, layer, out_dir),
        *plot_quality(dirs, out_dir, "auroc"),
        *plot_quality(dirs, out_dir, "cohens_d"),
        *plot_cross_cosine(dirs, out_dir),
    ]
    paths += figures
    paths.append(_markdown(dirs, layer, out_dir))
    return paths


def _markdown(dirs: RefusalDirections, layer: int, out_dir: Path) -> Path:
    report = MarkdownReport("Refusal directions across languages")
    src = dirs.source
    report.paragraph(
        f"Model {src.get('model')}; layers {dirs.layers}; token positions {src.get('positions')} "
        f"(reduce: mean over positions); chat template: {src.get('chat_template')}; "
        f"held-out share {dirs.holdout}, split seed {dirs.seed}. Direction = mean(harmful) - "
        "mean(harmless) on the train split; quality = separation of the held-out projections. "
        + _selection_note(dirs)
    )
    rows: list[list[Cell]] = []
    for i, lang in enumerate(dirs.languages):
        c = dirs.counts[lang]
        j = dirs.layer_index(layer)
        length = math.nan if dirs.length_auroc is None else dirs.length_auroc[i]
        half = math.nan if dirs.split_half_cosine is None else dirs.split_half_cosine[i, j]
        select = math.nan if dirs.select_auroc is None else dirs.select_auroc[i, j]
        rows.append(
            [lang, c.train_harmful, c.train_harmless, c.select_harmful, c.select_harmless,
             c.test_harmful, c.test_harmless, _fmt(select), _fmt(dirs.auroc[i, j]), _fmt(length),
             _fmt(dirs.cohens_d[i, j]), _fmt(half)]
        )  # fmt: skip
    headers = ["language", "train harmful", "train harmless", "select harmful", "select harmless",
               "test harmful", "test harmless", f"selection AUROC (layer {layer})",
               f"AUROC (layer {layer})", "length-only AUROC", f"Cohen's d (layer {layer})",
               "split-half cosine"]  # fmt: skip
    report.table(headers, rows, caption=f"Counts and quality at layer {layer}")
    cos = dirs.cosine(layer)
    shuffled = (
        math.nan if dirs.shuffled_cosine is None else dirs.shuffled_cosine[dirs.layer_index(layer)]
    )
    report.table(
        ["", *dirs.languages],
        [[lang, *(_fmt(v) for v in cos[i])] for i, lang in enumerate(dirs.languages)],
        caption=f"Cross-language cosine at layer {layer} (noise references: split-half cosine "
        f"per language above; mean cross-language cosine with shuffled labels {_fmt(shuffled)})",
    )
    report.figure(f"cosine_layer{layer}.png", f"Cosine heat map, layer {layer}")
    report.figure("quality_auroc.png", "Held-out AUROC per layer")
    report.figure("cross_language_cosine.png", "Mean cross-language cosine per layer")
    return report.write(out_dir / "report.md")


def _selection_note(dirs: RefusalDirections) -> str:
    """How the best layer was chosen, and whether on prompts apart from the reported ones."""
    if dirs.select_auroc is None:
        return "The best layer was chosen on the reported AUROC (saved before selection split)."
    shared = [lang for lang, c in dirs.counts.items() if not c.select_disjoint]
    note = (
        "The best layer is the one with the highest mean AUROC on the selection half of the "
        "held-out prompts; the AUROC reported is on the other (test) half."
    )
    if shared:
        note += (
            f" Too few held-out prompts to split for {', '.join(shared)}: there the selection "
            "and test prompts are the same."
        )
    return note


def _fmt(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{value:.3f}"


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]
