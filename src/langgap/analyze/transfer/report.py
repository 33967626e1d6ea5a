"""Outputs of the fine-tuning transfer experiment: transfer.json, two figures and transfer.md.

Only prompt ids and judged outcomes are written: no prompt text and no model reply (the harmful
prompts are test material).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from langgap.analyze.common.behaviour import LanguageRefusal
from langgap.analyze.transfer.run import TransferExperiment, TransferMatrix
from langgap.report.figures import PALETTE, empty_axes, save_figure
from langgap.report.html import write_text_atomic
from langgap.report.markdown import MarkdownReport
from langgap.report.tables import Cell

TITLES = {
    "harmlessness": "Change in harmlessness (points refused, harmful prompts)",
    "over_refusal": "Change in over-refusal (points refused, harmless prompts)",
}


def _figure(width: float, height: float, rows: int, cols: int) -> tuple[Figure, list[Axes]]:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = list(np.atleast_1d(fig.subplots(rows, cols)).ravel())
    for ax in axes:
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_axisbelow(True)
    return fig, axes


def _cell_label(m: TransferMatrix, i: int, j: int) -> str:
    if not np.isfinite(m.change[i, j]):
        return "n/a"
    star = "*" if np.isfinite(m.p_value[i, j]) and m.p_value[i, j] < 0.05 else ""
    return f"{m.change[i, j]:+.0f}{star}\n[{m.low[i, j]:+.0f}, {m.high[i, j]:+.0f}]"


def _heat(ax: Axes, m: TransferMatrix, cmap: str) -> None:
    if not m.rows or not m.columns:
        empty_axes(ax, "no rows")
        return
    masked = np.ma.masked_invalid(m.change)
    image = ax.imshow(masked, vmin=-100, vmax=100, cmap=cmap, aspect="auto")
    ax.set_xticks(range(len(m.columns)), m.columns, rotation=45, ha="right")
    ax.set_yticks(range(len(m.rows)), m.rows)
    ax.set_xlabel("evaluation language")
    ax.set_ylabel("trained on")
    for i in range(len(m.rows)):
        for j in range(len(m.columns)):
            value = m.change[i, j]
            colour = "white" if np.isfinite(value) and abs(value) > 60 else "black"
            ax.text(j, i, _cell_label(m, i, j), ha="center", va="center", fontsize=7, color=colour)
    ax.set_title(TITLES[m.metric], fontsize=9)
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label="points")


def plot_matrix(exp: TransferExperiment, out_dir: Path) -> list[Path]:
    """Heat maps of the change in harmlessness and over-refusal, with intervals (PNG + SVG)."""
    n_rows, n_cols = len(exp.rows), len(exp.eval_languages)
    fig, axes = _figure(max(6.0, 2.4 + 0.9 * n_cols), 2.0 + 2 * (0.7 + 0.55 * n_rows), 2, 1)
    # Red is worse in both panels: less refusal of harmful prompts, more of harmless ones.
    _heat(axes[0], exp.matrix("harmlessness"), "RdBu")
    _heat(axes[1], exp.matrix("over_refusal"), "RdBu_r")
    fig.suptitle("Refusal-training transfer: change [95% paired bootstrap], * McNemar p < 0.05",
                 fontsize=9)  # fmt: skip
    return save_figure(fig, out_dir, "transfer_matrix")


def _bars(ax: Axes, exp: TransferExperiment, harmful: bool) -> None:
    langs = exp.eval_languages
    series: list[tuple[str, dict[str, LanguageRefusal]]] = [
        ("base", exp.before.by_language(harmful))
    ]
    series += [(f"after {row.name}", row.after.by_language(harmful)) for row in exp.rows]
    if not any(s for _, s in series):
        empty_axes(ax, "no prompts of this kind")
        return
    width = 0.8 / len(series)
    x = np.arange(len(langs))
    for k, (label, rates) in enumerate(series):
        values = np.array([rates[lang].rate if lang in rates else np.nan for lang in langs])
        low = np.array([rates[lang].interval.low if lang in rates else np.nan for lang in langs])
        high = np.array([rates[lang].interval.high if lang in rates else np.nan for lang in langs])
        err = np.vstack([np.clip(values - low, 0, None), np.clip(high - values, 0, None)])
        colour = "#999999" if k == 0 else PALETTE[(k - 1) % (len(PALETTE) - 1)]
        ax.bar(x + (k - (len(series) - 1) / 2) * width, np.nan_to_num(values), width,
               yerr=np.nan_to_num(err), capsize=2, color=colour, label=label,
               error_kw={"elinewidth": 0.8})  # fmt: skip
    ax.set_xticks(x, langs, rotation=45, ha="right")
    ax.set_ylim(0, 105)
    ax.set_ylabel("% refused")
    ax.set_title("Harmlessness (harmful prompts)" if harmful else "Over-refusal (harmless prompts)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, ncols=min(len(series), 4))


def plot_by_language(exp: TransferExperiment, out_dir: Path) -> list[Path]:
    """Before vs after refusal rates per evaluation language, 95% bootstrap whiskers."""
    fig, axes = _figure(max(6.0, 1.0 + 0.6 * len(exp.eval_languages) * (1 + len(exp.rows)) / 2),
                        6.4, 2, 1)  # fmt: skip
    _bars(axes[0], exp, True)
    _bars(axes[1], exp, False)
    return save_figure(fig, out_dir, "transfer_by_language")


def _fmt(value: float | None, sign: bool = False, digits: int = 1) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def _matrix_rows(m: TransferMatrix) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for i, name in enumerate(m.rows):
        cells: list[Cell] = [name]
        for j in range(len(m.columns)):
            if not np.isfinite(m.change[i, j]):
                cells.append("n/a")
                continue
            cells.append(
                f"{m.change[i, j]:+.1f} [{m.low[i, j]:+.1f}, {m.high[i, j]:+.1f}] "
                f"p={m.p_value[i, j]:.3g}"
            )
        rows.append(cells)
    return rows


def _markdown(exp: TransferExperiment, out_dir: Path) -> Path:
    report = MarkdownReport("Refusal-training transfer across languages")
    _method(report, exp)
    headers = ["trained on \\ eval", *exp.eval_languages]
    report.table(headers, _matrix_rows(exp.matrix("harmlessness")), TITLES["harmlessness"])
    report.table(headers, _matrix_rows(exp.matrix("over_refusal")), TITLES["over_refusal"])
    report.figure("transfer_matrix.png", "Train × eval change, with 95% intervals")
    report.figure("transfer_by_language.png", "Refusal rates before and after, per language")

    _base_table(report, exp)
    _row_tables(report, exp)
    _training_table(report, exp)
    report.table(
        ["phase", "seconds"],
        [[k, round(v, 1)] for k, v in exp.timings.items()],
        "Wall time (cached parts: " + (", ".join(exp.cached) or "none") + ")",
    )
    report.table(
        ["package", "version"],
        [[k, v or "not installed"] for k, v in exp.versions.items()],
        "Versions",
    )
    report.paragraph(
        "Caveats: one seed per row; small per-language samples give wide intervals; the judge "
        "reads refusal formulas and may miss unusual refusals; a refusal learnt in one language "
        "can transfer as a blanket refusal, so read harmlessness together with over-refusal. The "
        "exact configuration is in transfer.json."
    )
    return report.write(out_dir / "transfer.md")


def _method(report: MarkdownReport, exp: TransferExperiment) -> None:
    """How the rows were trained and evaluated, in words."""
    c = exp.config
    method = exp.rows[0].method if exp.rows else c.method
    sources = exp.data.get("train_sources", {})
    source_text = "; ".join(
        f"{lang}: " + ", ".join(f"{k} from {v}" for k, v in s.items())
        for lang, s in sorted(sources.items())
    )
    report.paragraph(
        f"Model {c.model}. Each row is a fresh LoRA adapter (r={c.lora_r}, alpha={c.lora_alpha}, "
        f"dropout={c.lora_dropout}, targets {', '.join(exp.lora_targets) or 'n/a'}) trained with "
        f"{method.upper()} for {c.epochs:g} epoch(s) at learning rate {c.learning_rate:g}, batch "
        f"{c.train_batch_size}, seed {c.seed}, on the row's languages; the merged model is then "
        f"evaluated on the same prompts as the base model. Training data: "
        f"{'file ' + Path(c.train_file).name if c.train_file else 'built from ' + c.benchmark}"
        f" ({c.n_train} harmful + {c.harmless_per_language} harmless prompts per language; "
        "harmful -> a refusal in the prompt's language, harmless -> the base model's own reply). "
        f"Sources: {source_text or 'user file'}."
    )
    report.paragraph(
        f"Evaluation: {c.benchmark} test prompts, {c.n_eval} harmful and {c.n_eval} harmless per "
        f"language (same pair ids in every language; never used for training: ids, pair ids and "
        f"texts are checked disjoint), greedy decoding, {c.max_new_tokens} new tokens, judged by "
        f"{exp.before.to_dict()['judge']} (an unclear reply, or one in another language than "
        "the prompt — off-language — counts as not refused). Harmlessness "
        "= % of harmful prompts refused; over-refusal = % of harmless prompts refused. Changes "
        f"are after − before on the same prompts, with a paired bootstrap 95% interval "
        f"({c.n_boot} resamples) and an exact McNemar p-value."
    )


def _base_table(report: MarkdownReport, exp: TransferExperiment) -> None:
    """The base model's harmlessness and over-refusal per language."""
    base_h, base_o = exp.before.by_language(True), exp.before.by_language(False)
    rows: list[list[Cell]] = []
    for lang in exp.eval_languages:
        h, o = base_h.get(lang), base_o.get(lang)
        rows.append([
            lang,
            h.n if h else 0,
            f"{h.rate:.1f} [{h.interval.low:.1f}, {h.interval.high:.1f}]" if h else "n/a",
            o.n if o else 0,
            f"{o.rate:.1f} [{o.interval.low:.1f}, {o.interval.high:.1f}]" if o else "n/a",
            f"{h.off_language if h else 0}/{o.off_language if o else 0}",
        ])  # fmt: skip
    report.table(
        [
            "language",
            "harmful n",
            "harmlessness %",
            "harmless n",
            "over-refusal %",
            "off-language harmful/harmless",
        ],
        rows,
        "Base model",
    )


def _row_tables(report: MarkdownReport, exp: TransferExperiment) -> None:
    """Per row: before and after in every evaluation language, with refusals gained and lost."""
    for row in exp.rows:
        detail: list[list[Cell]] = []
        for lang in exp.eval_languages:
            hc, oc = row.harmlessness.get(lang), row.over_refusal.get(lang)
            detail.append([
                lang,
                _fmt(hc["before"]) if hc else "n/a",
                _fmt(hc["after"]) if hc else "n/a",
                f"{hc['gained']}/{hc['lost']}" if hc else "n/a",
                _fmt(oc["before"]) if oc else "n/a",
                _fmt(oc["after"]) if oc else "n/a",
            ])  # fmt: skip
        report.table(
            ["language", "harmless. before", "harmless. after", "gained/lost refusals",
             "over-ref. before", "over-ref. after"],
            detail,
            f"Trained on {row.name}",
        )  # fmt: skip


def _training_table(report: MarkdownReport, exp: TransferExperiment) -> None:
    """What training did, per row: examples, loss before and after, time."""
    train_rows: list[list[Cell]] = []
    for row in exp.rows:
        last = row.loss_history[-1]["loss"] if row.loss_history else None
        train_rows.append([
            row.name,
            row.method,
            row.n_examples,
            row.data.get("harmful", "n/a"),
            row.data.get("harmless", "n/a"),
            _fmt(row.train_nll_before, digits=3),
            _fmt(row.train_nll_after, digits=3),
            _fmt(last, digits=3),
            _fmt(row.seconds.get("train"), digits=0),
        ])  # fmt: skip
    report.table(
        ["row", "method", "examples", "harmful", "harmless", "train NLL before",
         "train NLL after", "last logged loss", "train s"],
        train_rows,
        "Training (NLL = mean per-token loss of the target replies on the training set)",
    )  # fmt: skip


def write_report(exp: TransferExperiment, out_dir: Path | str | None = None) -> list[Path]:
    """transfer.json, transfer_matrix.{png,svg}, transfer_by_language.{png,svg}, transfer.md."""
    out = Path(out_dir if out_dir is not None else exp.config.out_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(exp.to_dict(), indent=2, ensure_ascii=False) + "\n"
    paths = [write_text_atomic(out / "transfer.json", text)]
    paths += plot_matrix(exp, out)
    paths += plot_by_language(exp, out)
    paths.append(_markdown(exp, out))
    return paths
