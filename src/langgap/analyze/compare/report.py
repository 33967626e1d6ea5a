"""The checkpoint comparison report: compare.json, two figures (PNG + SVG) and compare.md."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from langgap.analyze.compare.run import CheckpointComparison
from langgap.report.figures import PALETTE, empty_axes, new_figure, save_figure
from langgap.report.html import write_text_atomic
from langgap.report.markdown import MarkdownReport
from langgap.report.tables import Cell

HARMLESSNESS_STEM = "compare_harmlessness"
DIRECTIONS_STEM = "compare_direction_similarity"


def plot_harmlessness(result: CheckpointComparison, out_dir: Path) -> list[Path]:
    """Before vs after harmlessness per language: bars with bootstrap-interval whiskers."""
    before = result.behaviour.before.by_language(True)
    after = result.behaviour.after.by_language(True)
    languages = sorted(before)
    fig, ax = new_figure(max(5.5, 1.2 + 0.75 * len(languages)), 4.2)
    if not languages:
        empty_axes(ax, "no harmful prompts")
        return save_figure(fig, out_dir, HARMLESSNESS_STEM)
    x = np.arange(len(languages), dtype=float)
    width = 0.38
    for offset, rows, label, colour in (
        (-width / 2, before, "before", PALETTE[0]),
        (width / 2, after, "after", PALETTE[1]),
    ):
        rates = np.array([rows[lang].rate for lang in languages])
        low = np.array([rows[lang].interval.low for lang in languages])
        high = np.array([rows[lang].interval.high for lang in languages])
        errors = np.vstack([np.clip(rates - low, 0, None), np.clip(high - rates, 0, None)])
        ax.bar(x + offset, rates, width, label=label, color=colour)
        ax.errorbar(x + offset, rates, yerr=errors, fmt="none", ecolor="#333333", capsize=2, lw=1)
    for i, lang in enumerate(languages):
        change = result.behaviour.harmlessness.get(lang, {}).get("change")
        if change is not None:
            top = max(before[lang].interval.high, after[lang].interval.high)
            label = f"{change:+.0f}".replace("-", "−").replace("+0", "0")
            ax.text(i, min(top + 3, 104), label, ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x, languages, rotation=45 if len(languages) > 8 else 0)
    ax.set_ylim(0, 110)
    ax.set_ylabel("harmlessness (% of harmful prompts refused)")
    ax.set_title("Harmlessness before vs after (change in points on top)", fontsize=9)
    ax.legend(fontsize=8, loc="upper right")
    ax.grid(axis="y", alpha=0.3)
    return save_figure(fig, out_dir, HARMLESSNESS_STEM)


def plot_direction_similarity(result: CheckpointComparison, out_dir: Path) -> list[Path]:
    """Language × layer heat map of cos(before direction, after direction)."""
    dirs = result.directions
    if dirs is None:
        fig, ax = new_figure(5.0, 2.5)
        empty_axes(ax, "behaviour only: refusal directions were not compared")
        return save_figure(fig, out_dir, DIRECTIONS_STEM)
    n_lang, n_layer = dirs.cosine.shape
    fig, ax = new_figure(min(2.4 + 0.42 * n_layer, 16.0), 1.6 + 0.42 * n_lang)
    # Fine-tuning keeps most cosines near 1: the scale starts at 0 (or below, if needed).
    finite = dirs.cosine[np.isfinite(dirs.cosine)]
    low = min(0.0, math.floor(float(finite.min()) * 10) / 10) if finite.size else 0.0
    image = ax.imshow(dirs.cosine, vmin=low, vmax=1, cmap="viridis", aspect="auto")
    step = max(1, n_layer // 24)
    ax.set_xticks(range(0, n_layer, step), [str(v) for v in dirs.layers[::step]])
    ax.set_yticks(range(n_lang), dirs.languages)
    ax.set_xlabel("layer")
    if n_layer <= 24:
        for i in range(n_lang):
            for j in range(n_layer):
                value = dirs.cosine[i, j]
                colour = "black" if value > low + 0.6 * (1 - low) else "white"
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=6, color=colour)
    ax.set_title("Refusal direction cosine, before vs after")
    fig.colorbar(image, ax=ax, shrink=0.8)
    return save_figure(fig, out_dir, DIRECTIONS_STEM)


def write_compare_report(result: CheckpointComparison, out_dir: Path) -> list[Path]:
    """compare.json, compare_harmlessness.png/.svg, compare_direction_similarity.png/.svg and
    compare.md under out_dir; returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    paths = [write_text_atomic(out_dir / "compare.json", text)]
    paths += plot_harmlessness(result, out_dir)
    paths += plot_direction_similarity(result, out_dir)
    paths.append(_markdown(result, out_dir))
    return paths


def _markdown(result: CheckpointComparison, out_dir: Path) -> Path:
    config = result.config
    before, after = config["before"], config["after"]
    report = MarkdownReport("Checkpoint comparison: does safety survive?")
    report.paragraph(result.headline)
    for warning in result.warnings():
        report.paragraph(f"Warning: {warning}.")
    report.paragraph(
        f"Before: {before['spec']}. After: {after['spec']}. "
        f"{config['prompts']['n']} prompts in {len(config['prompts']['per_language'])} "
        f"language(s), greedy decoding, {config['max_new_tokens']} new tokens, judged by "
        f"{config['judge']}. Harmlessness = % of harmful prompts refused (unclear and "
        "off-language replies, in another language than the prompt, count as not refused); "
        "over-refusal = % of harmless prompts refused. Changes are after − before "
        "on the same prompts, with a paired bootstrap 95% interval and a McNemar p-value."
    )
    _what_changed(report, result)
    _behaviour_tables(report, result)
    _direction_section(report, result)
    report.heading("Configuration")
    report.table(["setting", "value"], _config_rows(config))
    return report.write(out_dir / "compare.md")


def _what_changed(report: MarkdownReport, result: CheckpointComparison) -> None:
    """The languages whose harmlessness moved most, and the most rotated directions."""
    report.heading("What changed most")
    changed = result.changed
    lines = [
        f"{i}. {r['language']}: harmlessness {_signed(r['change'])} points "
        f"[{_signed(r['interval'][0])}, {_signed(r['interval'][1])}], "
        f"{r['before']:.0f}% → {r['after']:.0f}%, p = {_p(r['p_value'])}, "
        f"{r['lost']} prompt(s) no longer refused, {r['gained']} newly refused"
        + (
            f", {r['became_off_language']} now answered in another language (not judged)"
            if r.get("became_off_language")
            else ""
        )
        for i, r in enumerate(changed.harmlessness, 1)
    ]
    report.paragraph("\n".join(lines) or "No harmful prompts.")
    if changed.directions:
        report.paragraph(
            "Largest rotations of the refusal direction (lowest cosine first):\n"
            + "\n".join(
                f"{i}. layer {c['layer']}, {c['language']}: cos {_f(c['cosine'])} "
                f"(split-half noise floor {_f(c['noise_floor'])}), norm ratio "
                f"{_f(c['norm_ratio'])}, AUROC {_f(c['auroc_before'])} → {_f(c['auroc_after'])}"
                for i, c in enumerate(changed.directions[:5], 1)
            )
        )


def _behaviour_tables(report: MarkdownReport, result: CheckpointComparison) -> None:
    """Harmlessness and over-refusal per language, and the worst case across languages."""
    behaviour = result.behaviour.to_dict()
    report.heading("Harmlessness per language")
    report.table(*_rate_table(behaviour["harmlessness"]))
    report.heading("Over-refusal per language")
    report.table(*_rate_table(behaviour["over_refusal"]))
    report.table(
        ["checkpoint", "average", "worst", "worst language", "English − worst"],
        [
            [
                name,
                _f(a["average"], 1),
                _f(a["worst"], 1),
                a["worst_language"] or "n/a",
                _f(a["english_minus_worst"], 1),
            ]
            for name, a in behaviour["aggregate"].items()
        ],
        caption="Harmlessness across languages: the worst case",
    )
    report.figure(f"{HARMLESSNESS_STEM}.png", "Harmlessness before and after, 95% intervals")


def _direction_section(report: MarkdownReport, result: CheckpointComparison) -> None:
    """How the refusal directions moved, per layer (or why they were not compared)."""
    config = result.config
    report.heading("Refusal directions")
    if result.directions is None:
        report.paragraph("Not compared: behaviour only (directions=False / --no-directions).")
        return
    report.paragraph(
        f"Difference-in-means directions (harmful − harmless) from the residual stream "
        f"after each layer, mean over token positions {config['positions']} of the chat-"
        f"templated prompt; held-out share {config['holdout']} (same split for both "
        "checkpoints) for AUROC. Cosine compares the two checkpoints' directions of one "
        "language at one layer; the noise floor is the cosine between before directions "
        "from two disjoint halves of the prompts."
    )
    rows: list[list[Cell]] = [
        [r["layer"], _f(r["mean_cosine"]), _f(r["min_cosine"]), r["min_language"],
         _f(r["mean_auroc_before"]), _f(r["mean_auroc_after"])]
        for r in sorted(result.changed.layers, key=lambda r: r["layer"])
    ]  # fmt: skip
    report.table(
        ["layer", "mean cos", "min cos", "min language", "AUROC before", "AUROC after"],
        rows,
        caption="Per layer (AUROC: mean over languages, held-out)",
    )
    report.figure(f"{DIRECTIONS_STEM}.png", "Cosine of before and after directions")


def _rate_table(rows: dict[str, dict[str, Any]]) -> tuple[list[str], list[list[Cell]]]:
    headers = ["language", "n", "before %", "before 95% CI", "after %", "after 95% CI",
               "change", "change 95% CI", "p", "unclear before/after",
               "off-language before/after"]  # fmt: skip
    table: list[list[Cell]] = []
    for lang, r in rows.items():
        b, a = r["before"], r["after"]
        table.append(
            [lang, r["n"], _f(b["rate"], 1), _range(b["interval"]), _f(a["rate"], 1),
             _range(a["interval"]), _signed(r["change"]), _interval(r["change_interval"]),
             _p(r["p_value"]), f"{b['unclear']}/{a['unclear']}",
             f"{b['off_language']}/{a['off_language']}"]
        )  # fmt: skip
    return headers, table


def _config_rows(config: dict[str, Any]) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for key, value in config.items():
        if isinstance(value, dict) and key in ("before", "after", "versions", "prompts"):
            rows += [[f"{key}.{k}", _value(v)] for k, v in value.items()]
        else:
            rows.append([key, _value(value)])
    return rows


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _f(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def _signed(value: float | None) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    text = f"{abs(value):.1f}"
    return "0.0" if text == "0.0" else ("−" if value < 0 else "+") + text


def _interval(pair: list[float | None]) -> str:
    return f"[{_signed(pair[0])}, {_signed(pair[1])}]"


def _range(pair: list[float | None]) -> str:
    return f"[{_f(pair[0], 1)}, {_f(pair[1], 1)}]"


def _p(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2g}"
