"""The Markdown/JSON report and heat map of an intervention's source × target transfer."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from langgap.analyze.interventions.run import MASSIVE_RATIO, TransferResult
from langgap.report.figures import new_figure, save_figure
from langgap.report.html import write_text_atomic
from langgap.report.markdown import MarkdownReport
from langgap.report.tables import Cell


def write_transfer_report(result: TransferResult, out_dir: Path) -> list[Path]:
    """transfer.json, a source × target heat map of refusal rates and transfer.md under out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"transfer_{result.mode}_layer{result.layer}"
    paths = [write_text_atomic(out_dir / f"{stem}.json", json.dumps(result.to_dict(), indent=2))]
    fig, ax = new_figure(1.8 + 0.55 * len(result.targets), 1.4 + 0.5 * len(result.sources))
    image = ax.imshow(result.refused, vmin=0, vmax=1, cmap="viridis")
    ax.set_xticks(range(len(result.targets)), result.targets, rotation=45, ha="right")
    ax.set_yticks(range(len(result.sources)), result.sources)
    ax.set_xlabel("prompt language (target)")
    ax.set_ylabel("direction language (source)")
    ax.set_title(f"Refusal rate, {result.mode} at layer {result.layer}")
    fig.colorbar(image, ax=ax, shrink=0.8)
    paths += save_figure(fig, out_dir, stem)
    report = MarkdownReport(f"Refusal-direction transfer ({result.mode})")
    report.paragraph(
        f"Direction layer {result.layer}, alpha {result.alpha} (addition only), greedy decoding, "
        f"{result.max_new_tokens} new tokens, judged by the refusal phrase judge. Rates are "
        "refused / all responses; unclear responses and replies in another language than the "
        "prompt (off-language) are counted apart, never folded into refused or complied."
        + _ablation_note(result)
    )
    rates = np.vstack([result.baseline, result.refused])
    counts = np.vstack([result.baseline_unclear, result.unclear])
    names = ["(none)", *result.sources]
    headers = ["source \\ target", *result.targets]
    rows = [_row(name, [_fmt(v) for v in r]) for name, r in zip(names, rates, strict=True)]
    report.table(headers, rows, caption="Refusal rate")
    rows = [_row(name, [int(v) for v in r]) for name, r in zip(names, counts, strict=True)]
    report.table(headers, rows, caption="Unclear responses")
    counts = np.vstack([result.baseline_off_language, result.off_language])
    rows = [_row(name, [int(v) for v in r]) for name, r in zip(names, counts, strict=True)]
    report.table(headers, rows, caption="Off-language replies (another language than the prompt)")
    report.figure(f"{stem}.png", "Refusal rate, source × target")
    paths.append(report.write(out_dir / f"{stem}.md"))
    return paths


def _row(name: str, values: Sequence[Cell]) -> list[Cell]:
    return [name, *values]


def _fmt(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{value:.3f}"


def _ablation_note(result: TransferResult) -> str:
    """Where, how and at which positions ablation edited the residual stream (ablate mode)."""
    if result.ablation_kind == "affine":
        where = (
            " Affine ablation (ACE, Marshall et al. 2024) sets the direction's component at the "
            f"outputs of layers {_span(result.ablation_layers or [])} to its value in the source "
            "language's harmless mean activation there."
        )
    elif result.ablation_points == "all-writes":
        where = (
            " Ablation projects the direction out of every write to the residual stream "
            "(embeddings, attention and MLP outputs), as Arditi et al. do."
        )
    elif result.ablation_points == "block-outputs":
        where = " Ablation projects the direction out of block inputs and outputs only."
    else:
        return ""
    if result.ablation_keep_sink:
        where += (
            f" Positions with a massive activation (norm over {MASSIVE_RATIO:g}x their sequence's "
            "median: the attention sink) are left alone."
        )
    if result.ablation_tail:
        return where + (
            f" Only each prompt's last {result.ablation_tail} positions and the generated "
            "tokens are edited."
        )
    return where + (
        " Every other position is edited."
        if result.ablation_keep_sink
        else " Every position is edited."
    )


def _span(layers: Sequence[int]) -> str:
    """Layers as `a–b` when consecutive (every captured layer, usually), else listed."""
    if len(layers) > 2 and list(layers) == list(range(layers[0], layers[-1] + 1)):
        return f"{layers[0]}–{layers[-1]}"
    return ", ".join(map(str, layers))
