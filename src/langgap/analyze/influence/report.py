"""The influence report: influence.json, language heat maps and a Markdown summary."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from langgap.analyze.influence.results import InfluenceResult, LanguageInfluence
from langgap.analyze.influence.run import MEASUREMENT
from langgap.report.figures import new_figure, save_figure
from langgap.report.html import write_text_atomic
from langgap.report.markdown import MarkdownReport
from langgap.report.tables import Cell, Share

JSON_NAME = "influence.json"
MEAN_FIGURE = "influence_by_language"
SHARE_FIGURE = "influence_top_share"


def write_influence_report(
    result: InfluenceResult, out_dir: str | Path, *, k: int = 10, include_text: bool = False
) -> list[Path]:
    """influence.json, heat maps (PNG + SVG) and influence.md under out_dir; returns the paths.

    Examples appear by id and language only; `include_text` adds their prompt and response text
    to the JSON (never to the Markdown or the figures).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = result.to_dict(k=k, include_text=include_text)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    paths = [write_text_atomic(out / JSON_NAME, text)]
    langs = result.by_language(k)
    paths += plot_language_matrix(
        langs.mean, langs, out, MEAN_FIGURE, "Mean influence (training → query language)"
    )
    paths += plot_language_matrix(
        langs.top_share, langs, out, SHARE_FIGURE, f"Share of each query's top {langs.k}"
    )
    paths.append(_markdown(result, langs, k, out))
    return paths


def plot_language_matrix(
    values: NDArray[np.float64],
    langs: LanguageInfluence,
    out_dir: Path,
    stem: str,
    title: str,
) -> list[Path]:
    """Heat map with training languages as rows and query languages as columns (PNG + SVG)."""
    rows, cols = langs.train_languages, langs.query_languages
    fig, ax = new_figure(2.2 + 0.6 * len(cols), 1.4 + 0.5 * len(rows))
    share = stem == SHARE_FIGURE
    finite = values[np.isfinite(values)]
    if share:
        image = ax.imshow(values, vmin=0, vmax=1, cmap="viridis")
    else:
        # Diverging around zero: proponent-heavy cells red, opponent-heavy cells blue.
        bound = float(np.abs(finite).max()) if finite.size and np.abs(finite).max() > 0 else 1.0
        image = ax.imshow(values, vmin=-bound, vmax=bound, cmap="RdBu_r")
    ax.set_xticks(range(len(cols)), cols, rotation=45, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel("query language")
    ax.set_ylabel("training-example language")
    for i in range(len(rows)):
        for j in range(len(cols)):
            v = values[i, j]
            if share:
                colour = "black" if v > 0.6 else "white"
            else:
                colour = "white" if abs(v) > 0.6 * bound else "black"
            ax.text(j, i, _fmt(v), ha="center", va="center", fontsize=7, color=colour)
    ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, shrink=0.8)
    return save_figure(fig, out_dir, stem)


def _markdown(result: InfluenceResult, langs: LanguageInfluence, k: int, out: Path) -> Path:
    cfg = result.config
    report = MarkdownReport("Influence of training examples by language")
    report.paragraph(
        f"{len(result.train_ids)} training examples, {len(result.query_ids)} queries. "
        f"Scores: {MEASUREMENT}. Proponents (score > 0) make the query's target reply more "
        "likely, opponents (score < 0) less likely. Examples are named by id; their text is "
        "not shown."
    )
    for warning in result.warnings(k):
        report.paragraph(f"Warning: {warning}.")
    if cfg:
        report.table(
            ["setting", "value"],
            [[key, _config_value(value)] for key, value in cfg.items()],
            caption="Exact configuration (rerun with these to reproduce)",
        )
    cols = langs.query_languages
    mean_rows: list[list[Cell]] = [
        [lang, langs.n_train[lang], *(_fmt(v) for v in langs.mean[i])]
        for i, lang in enumerate(langs.train_languages)
    ]
    report.table(
        ["training \\ query", "n train", *(f"{c} (n={langs.n_query[c]})" for c in cols)],
        mean_rows,
        caption="Mean influence per (training language, query language) pair",
    )
    base = langs.train_share()
    share_rows: list[list[Cell]] = [
        [lang, Share(float(base[i])), *(Share(float(v)) for v in langs.top_share[i])]
        for i, lang in enumerate(langs.train_languages)
    ]
    report.table(
        ["training \\ query", "share of training set", *cols],
        share_rows,
        caption=f"Share of each query's {langs.k} highest scores held by each training language "
        "(compare with its share of the training set)",
    )
    report.figure(f"{MEAN_FIGURE}.png", "Mean influence, training language × query language")
    report.figure(f"{SHARE_FIGURE}.png", f"Top-{langs.k} share, training × query language")
    report.heading(f"Top {min(k, len(result.train_ids))} examples per query")
    for top in result.top(k):
        rows: list[list[Cell]] = []
        for kind, items in (("proponent", top.proponents), ("opponent", top.opponents)):
            rows += [[kind, rank, x.id, x.language, _fmt(x.score)] for rank, x in
                     enumerate(items, 1)]  # fmt: skip
        if not rows:
            rows = [["(none)", None, None, None, None]]
        report.table(
            ["kind", "rank", "training id", "language", "score"],
            rows,
            caption=f"Query {top.query_id} ({top.query_language})",
        )
    return report.write(out / "influence.md")


def _config_value(value: object) -> str:
    if isinstance(value, list) and len(value) > 8:
        shown = ", ".join(map(str, value[:4]))
        return f"{shown}, … ({len(value)} in all)"
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


def _fmt(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{value:.3g}"
