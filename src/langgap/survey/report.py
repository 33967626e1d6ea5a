"""The survey report: stats.json (and optionally papers.csv rows) → HTML, Markdown and figures."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from matplotlib.figure import Figure
from matplotlib.text import Annotation, Text
from matplotlib.ticker import (
    LogLocator,
    MaxNLocator,
    NullFormatter,
    PercentFormatter,
    StrMethodFormatter,
)
from matplotlib.transforms import Bbox

from langgap.report.figures import PALETTE, empty_axes, new_figure, save_figure
from langgap.report.html import HtmlReport
from langgap.report.markdown import MarkdownReport
from langgap.report.tables import Cell, Link, Share, format_share
from langgap.survey.models import GROUPS
from langgap.survey.quality_sections import agreement_section, label_quality_section
from langgap.survey.run_stats import QualityLine, RunStats
from langgap.survey.stats import SurveyStats

GROUP_LABELS = {
    "english_only": "English-only",
    "non_english": "Non-English",
    "multilingual": "Multilingual",
}
GROUP_COLORS = {"english_only": PALETTE[0], "non_english": PALETTE[1], "multilingual": PALETTE[2]}
TOPIC_LABELS = {
    "jailbreaking": "Jailbreaking",
    "toxicity_bias": "Toxicity & bias",
    "hallucination": "Hallucination",
    "privacy": "Privacy",
    "policy": "Policy",
    "alignment": "Alignment",
    "not_safety": "Not safety",
}
VENUES = ("conference", "workshop", "journal", "unknown")
TOP_LANGUAGES = 30  # rows in the languages table; the figure shows every language
MAX_ISSUES = 200  # a broken dump can yield thousands; the report shows the first ones and a count


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _label(key: str, labels: Mapping[str, str]) -> str:
    return labels.get(key, key)


# --- figures ---------------------------------------------------------------------------------


def _rest(counts: Mapping[str, int]) -> int:
    return sum(n for g, n in counts.items() if g != "english_only")


def figure_papers_per_year(s: SurveyStats) -> Figure:
    """English-only papers per year against all the rest, with the gap between them shaded."""
    fig, ax = new_figure()
    # Papers without a year ("None") stay in the table but have no place on a time axis.
    years = [y for y in s.by_year if y.isdigit()]
    if not years:
        empty_axes(ax, "no papers per year")
        return fig
    x = np.arange(len(years))
    english = np.array([s.by_year[y].get("english_only", 0) for y in years])
    rest = np.array([_rest(s.by_year[y]) for y in years])
    ax.fill_between(
        x,
        rest,
        english,
        where=english >= rest,
        color=PALETTE[0],
        alpha=0.15,
        interpolate=True,
        label="Gap (English-only − rest)",
    )
    ax.plot(x, english, marker="o", color=PALETTE[0], label="English-only")
    ax.plot(x, rest, marker="s", color=PALETTE[3], label="Non-English + multilingual")
    for xi, e, r in zip(x, english, rest, strict=True):
        ax.annotate(
            f"{e - r:+d}",
            ((xi), (e + r) / 2),
            ha="center",
            va="center",
            fontsize=8,
            color="#333333",
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none"},
        )
    ax.set_xticks(x, years)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    ax.set(
        xlabel="Year", ylabel="LLM-safety papers", title="LLM-safety papers per year by language"
    )
    ax.grid(axis="y", alpha=0.3)
    ax.legend(frameon=False)
    return fig


def _coincident(points: Sequence[tuple[str, int, float]]) -> dict[tuple[int, float], list[str]]:
    # Rare languages often share a point (1 paper, 12 languages); one label per point stays legible.
    at: dict[tuple[int, float], list[str]] = {}
    for code, n, y in points:
        at.setdefault((n, round(y, 2)), []).append(code)
    return at


def _code_label(codes: Sequence[str], limit: int = 4) -> str:
    more = f" +{len(codes) - limit}" if len(codes) > limit else ""
    return ", ".join(codes[:limit]) + more


def figure_language_frequency(s: SurveyStats) -> Figure:
    """Papers per language (log x) against the mean number of languages in those papers."""
    fig, ax = new_figure(7.0, 4.8)
    points = [(c, n, s.avg_multilinguality.get(c)) for c, n in s.top_languages() if n > 0]
    points_xy = [(c, n, y) for c, n, y in points if y is not None]
    if not points_xy:
        empty_axes(ax, "no languages")
        return fig
    xs = [n for _, n, _ in points_xy]
    ys = [y for _, _, y in points_xy]
    colors = [PALETTE[3] if c == "eng" else PALETTE[0] for c, _, _ in points_xy]
    ax.scatter(xs, ys, c=colors, s=24, alpha=0.8, edgecolors="none")
    labels = [
        ax.annotate(
            _code_label(codes),
            (n, y),
            xytext=(3, 3),
            textcoords="offset points",
            fontsize=7,
            arrowprops={"arrowstyle": "-", "lw": 0.4, "color": "#999999", "shrinkA": 0},
        )
        for (n, y), codes in _coincident(points_xy).items()
    ]
    ax.set_xscale("log")
    # 1-2-5 ticks in plain numbers: readers compare counts, not powers of ten.
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set(
        xlabel="Kept papers that include the language (log scale)",
        ylabel="Mean number of languages per paper",
        title="Language frequency vs multilinguality",
    )
    ax.grid(alpha=0.3)
    separate_labels(fig, labels)
    return fig


def separate_labels(fig: Figure, labels: Sequence[Annotation], gap_px: float = 1.0) -> None:
    """Offset rule for point labels: from the top down, a label whose box overlaps one already
    placed moves down below it (its leader line still points at its point). Nearby languages
    (e.g. 2 papers at 7.0 and 6.9 languages) stay legible without a layout library."""
    fig.canvas.draw()  # the final layout: boxes are measured where they will be drawn
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]

    def text_box(label: Annotation) -> Bbox:  # the text alone, not its leader line
        return Text.get_window_extent(label, renderer)

    placed: list[Bbox] = []
    for label in sorted(labels, key=lambda t: text_box(t).y1, reverse=True):
        box = text_box(label)
        shift = 0.0
        while any(box.translated(0, -shift).overlaps(other) for other in placed):
            lowest = min(other.y0 for other in placed if box.translated(0, -shift).overlaps(other))
            shift = box.y1 - lowest + gap_px
        if shift:
            x, y = label.xyann
            label.xyann = (x, y - shift * 72.0 / fig.dpi)  # pixels to points
            box = box.translated(0, -shift)
        placed.append(box)


def figure_topics_by_group(s: SurveyStats) -> Figure:
    """Grouped bars of papers per topic for each language group; not_safety last."""
    fig, ax = new_figure(8.0, 4.2)
    topics = [t for t in s.topic_order() if t in s.topics]
    if not topics:
        empty_axes(ax, "no topics")
        return fig
    x = np.arange(len(topics))
    width = 0.8 / len(GROUPS)
    for i, group in enumerate(GROUPS):
        heights = [s.topics[t].get(group, 0) for t in topics]
        ax.bar(
            x + (i - (len(GROUPS) - 1) / 2) * width,
            heights,
            width,
            label=GROUP_LABELS[group],
            color=GROUP_COLORS[group],
        )
    ax.set_xticks(x, [_label(t, TOPIC_LABELS) for t in topics], rotation=20, ha="right")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="Topic", ylabel="Papers", title="Safety topics by language group")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(frameon=False)
    return fig


def figure_venue_by_group(s: SurveyStats) -> Figure:
    """100% stacked bars: the share of each venue type within each language group."""
    fig, ax = new_figure(7.0, 3.4)
    groups = [g for g in GROUPS if sum(s.venue_types.get(g, {}).values()) > 0]
    if not groups:
        empty_axes(ax, "no venue data")
        return fig
    venues = [v for v in VENUES if any(s.venue_types[g].get(v, 0) for g in groups)]
    totals = [sum(s.venue_types[g].values()) for g in groups]
    y = np.arange(len(groups))
    left = np.zeros(len(groups))
    for i, venue in enumerate(venues):
        share = np.array(
            [s.venue_types[g].get(venue, 0) / t for g, t in zip(groups, totals, strict=True)]
        )
        color = PALETTE[7] if venue == "unknown" else PALETTE[i]  # unknown is grey, not a venue
        ax.barh(y, share, left=left, label=venue.capitalize(), color=color)
        for yi, (lo, w) in enumerate(zip(left, share, strict=True)):
            if w >= 0.06:
                ax.text(
                    lo + w / 2, yi, f"{w:.0%}", ha="center", va="center", fontsize=8, color="white"
                )
        left += share
    ax.set_yticks(y, [f"{GROUP_LABELS[g]}\n(n={t:,})" for g, t in zip(groups, totals, strict=True)])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(xlabel="Share of papers in the group", title="Venue type by language group")
    ax.legend(frameon=False, ncols=len(venues), loc="upper center", bbox_to_anchor=(0.5, -0.25))
    return fig


@dataclass(frozen=True)
class FigureSpec:
    """One report figure: file stem, short alt text, caption and the function that draws it."""

    stem: str
    alt: str
    caption: str
    draw: Callable[[SurveyStats], Figure]


FIGURES = (
    FigureSpec(
        "papers_per_year",
        "Line chart of papers per year by language group",
        "LLM-safety papers per year: English-only vs non-English and "
        "multilingual; the shaded band and labels give the gap.",
        figure_papers_per_year,
    ),
    FigureSpec(
        "language_frequency",
        "Scatter plot of papers per language against multilinguality",
        "Kept papers per language (log scale) vs the mean number of languages in those papers.",
        figure_language_frequency,
    ),
    FigureSpec(
        "topics_by_group",
        "Bar chart of safety topics by language group",
        "Safety topics by language group (not-safety last).",
        figure_topics_by_group,
    ),
    FigureSpec(
        "venue_by_group",
        "Stacked bar chart of venue types by language group",
        "Conference, workshop and journal share per language group.",
        figure_venue_by_group,
    ),
)


# --- tables ----------------------------------------------------------------------------------


class _Report(Protocol):
    def heading(self, text: str, level: int = 2) -> None: ...
    def paragraph(self, text: str) -> None: ...
    def table(
        self, headers: Sequence[str], rows: Sequence[Sequence[Cell]], caption: str | None = None
    ) -> None: ...


def _show(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _inputs_section(r: _Report, run: RunStats) -> None:
    r.heading("Inputs and configuration")
    rows: list[list[Cell]] = [[f"inputs.{k}", _show(v)] for k, v in run.inputs.items()]
    rows += [[f"config.{k}", _show(v)] for k, v in run.config.items()]
    if rows:
        r.table(["Setting", "Value"], rows)
    else:
        r.paragraph("The statistics do not name their inputs or configuration.")


def _summary_section(r: _Report, run: RunStats) -> None:
    s = run.stats
    r.heading("Summary")
    r.table(
        ["Measure", "Value"],
        [
            ["Papers in the year range", s.total_papers],
            ["Without an abstract", s.no_abstract],
            ["Without a year", run.no_year],
            ["Screened (keyword hits)", s.screened],
            ["Kept (LLM-safety papers)", s.kept],
            ["Kept share of keyword hits", Share(s.kept_share)],
            ["Unrelated keyword hits (1 − kept/screened)", Share(s.unrelated_share)],
            ["English-only share of kept papers", Share(s.english_only_share)],
            *(
                [f"{GROUP_LABELS[g]} papers", s.group_counts.get(g)]
                for g in GROUPS
                if s.group_counts
            ),
            ["Multilingual without a language list", s.multilingual_unlisted],
        ],
    )
    if s.unrelated_share is not None:
        r.paragraph(
            f"About {format_share(s.unrelated_share, 0)} of keyword hits were unrelated to "
            "LLM safety."
        )
    line = quality_line_text(run.label_quality_line, s.screened)
    if line:
        r.paragraph(line)


def quality_line_text(line: QualityLine, screened: int | None) -> str:
    """The report's "label quality" line: which annotator, its cross-validated agreement with
    its training labels per field, and how many papers it flagged for a person."""
    if not line:
        return ""
    text = f"Label quality: annotator {line.get('annotator', 'n/a')}."
    cv = _map(line.get("cross_validated"))
    if cv:
        fields = ", ".join(
            f"{name} accuracy {_map(cv.get(name)).get('accuracy', 'n/a')} "
            f"(κ {_map(cv.get(name)).get('kappa', 'n/a')})"
            for name in ("related", "topic", "group", "documented")
        )
        text += (
            f" Cross-validated by year against {line.get('trained_on', 'its training labels')} "
            f"({cv.get('papers', 'n/a')} papers; trained on the other years): {fields}, "
            f"languages Jaccard {cv.get('languages_jaccard', 'n/a')}."
        )
    elif "flagged" not in line:
        text += " A rule annotator: see the label-quality section for its agreement with gold."
    if "flagged" in line:
        text += (
            f" {line['flagged']} of {screened if screened is not None else 'n/a'} papers are "
            f"flagged for a person (a decision less certain than {line.get('flag_below')}; "
            "column `flagged` in papers.csv)."
        )
    return text


def _year_section(r: _Report, s: SurveyStats) -> None:
    r.heading("Papers per year")
    rows: list[list[Cell]] = []
    for year, c in s.by_year.items():
        english, rest = c.get("english_only", 0), _rest(c)
        rows.append(
            [
                year,
                english,
                c.get("non_english", 0),
                c.get("multilingual", 0),
                rest,
                english - rest,
                english + rest,
            ]
        )
    if rows:
        r.table(
            ["Year", "English-only", "Non-English", "Multilingual", "Rest", "Gap", "Total"], rows
        )
    else:
        r.paragraph("No papers per year were recorded.")


def _language_section(r: _Report, s: SurveyStats) -> None:
    r.heading("Languages")
    ranked = s.top_languages()
    if not ranked:
        r.paragraph("No languages were recorded.")
        return
    rows: list[list[Cell]] = [
        [
            code,
            s.language_names.get(code, "n/a"),
            n,
            Share(n / s.kept if s.kept else None),
            s.avg_multilinguality.get(code),
        ]
        for code, n in ranked[:TOP_LANGUAGES]
    ]
    r.table(
        ["Code", "Language", "Papers", "Share of kept", "Avg. languages per paper"],
        rows,
        caption=f"Top {min(TOP_LANGUAGES, len(ranked))} of {len(ranked)} languages",
    )


def _topic_section(r: _Report, s: SurveyStats) -> None:
    r.heading("Topics by language group")
    topics = [t for t in s.topic_order() if t in s.topics]
    if not topics:
        r.paragraph("No topics were recorded.")
        return
    rows: list[list[Cell]] = [
        [
            _label(t, TOPIC_LABELS),
            *(s.topics[t].get(g, 0) for g in GROUPS),
            sum(s.topics[t].values()),
        ]
        for t in topics
    ]
    r.table(["Topic", *(GROUP_LABELS[g] for g in GROUPS), "Total"], rows)


def _documented_section(r: _Report, s: SurveyStats) -> None:
    r.heading("Documented languages")
    r.paragraph("A paper is documented when it names the languages of its data explicitly.")
    rows: list[list[Cell]] = []
    for g in GROUPS:
        counts = s.documented_counts.get(g, {})
        total = counts.get("total")
        share = s.documented.get(g)
        if share is None and total:
            share = counts.get("documented", 0) / total
        rows.append([GROUP_LABELS[g], counts.get("documented"), total, Share(share)])
    r.table(["Group", "Documented", "Total", "Share"], rows)


def _venue_section(r: _Report, s: SurveyStats) -> None:
    r.heading("Venues")
    rows: list[list[Cell]] = []
    for g in GROUPS:
        c = s.venue_types.get(g, {})
        total = sum(c.values())
        share = s.workshop_share.get(g)
        if share is None and total:
            share = c.get("workshop", 0) / total
        rows.append([GROUP_LABELS[g], *(c.get(v, 0) for v in VENUES), total, Share(share)])
    r.table(["Group", *(v.capitalize() for v in VENUES), "Total", "Workshop share"], rows)


def _issues_section(r: _Report, run: RunStats) -> None:
    r.heading("Parse problems")
    issues = run.issues
    if not issues:
        r.paragraph("No parse problems were recorded.")
        return
    rows: list[list[Cell]] = [[i.file, i.line, i.message, i.fix] for i in issues[:MAX_ISSUES]]
    noun = "problem" if len(issues) == 1 else "problems"
    caption = f"{len(issues):,} {noun}" + (
        f"; the first {MAX_ISSUES} are shown" if len(issues) > MAX_ISSUES else ""
    )
    r.table(["File", "Line", "Problem", "Fix"], rows, caption=caption)


def _truthy(value: str | None) -> bool:
    return value is None or value.strip().lower() in {"true", "1", "yes", "y"}


def _papers_section(r: _Report, papers: Sequence[Mapping[str, str]]) -> None:
    r.heading("Kept papers")
    kept = [p for p in papers if _truthy(p.get("related"))]
    if not kept:
        r.paragraph("No kept papers.")
        return
    rows: list[list[Cell]] = []
    for p in kept:
        langs = ", ".join(c for c in (p.get("languages") or "").split(";") if c)
        group = p.get("group") or ""
        rows.append(
            [
                Link(p.get("id") or "", p.get("url") or ""),
                p.get("title") or "",
                p.get("year") or "",
                _label(group, GROUP_LABELS),
                langs,
                _label(p.get("topic") or "", TOPIC_LABELS),
            ]
        )
    r.table(
        ["ID", "Title", "Year", "Group", "Languages", "Topic"],
        rows,
        caption=f"{len(kept):,} kept papers",
    )


# --- assembling ------------------------------------------------------------------------------

TITLE = "The language gap in LLM-safety research"


@dataclass(frozen=True)
class Quality:
    """Optional label-quality inputs: `AgreementReport.to_dict()` and `ScoreReport.to_dict()`."""

    agreement: Mapping[str, Any] | None = None
    label_quality: Mapping[str, Any] | None = None


def _fill(
    r: HtmlReport | MarkdownReport,
    run: RunStats,
    figures: Sequence[tuple[FigureSpec, Path | str]],
    papers: Sequence[Mapping[str, str]] | None,
    quality: Quality,
) -> None:
    _inputs_section(r, run)
    _summary_section(r, run)
    r.heading("Figures")
    for spec, source in figures:
        r.figure(source, spec.caption, alt=spec.alt)
    for section in (
        _year_section,
        _language_section,
        _topic_section,
        _documented_section,
        _venue_section,
    ):
        section(r, run.stats)
    _issues_section(r, run)
    if quality.agreement is not None:
        agreement_section(r, quality.agreement)
    if quality.label_quality is not None:
        label_quality_section(r, quality.label_quality)
    if papers is not None:
        _papers_section(r, papers)


def write_survey_report(
    stats: RunStats | Mapping[str, Any],
    out_dir: Path,
    papers: Sequence[Mapping[str, str]] | None = None,
    label_quality: Mapping[str, Any] | None = None,
    agreement: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write report.html, report.md and figures/*.png|svg under out_dir; return every path written.

    `label_quality` (a `ScoreReport.to_dict()`) and `agreement` (an `AgreementReport.to_dict()`)
    add the "Label quality" and "Inter-annotator agreement" sections when given.

    `stats` is the run's `RunStats`, or a stats.json mapping (read tolerantly).

    >>> stats = json.loads(Path("stats.json").read_text())  # doctest: +SKIP
    >>> write_survey_report(stats, Path("out"))  # doctest: +SKIP
    """
    run = stats if isinstance(stats, RunStats) else RunStats.from_mapping(stats)
    fig_dir = out_dir / "figures"
    written: list[Path] = []
    svgs: list[tuple[FigureSpec, Path | str]] = []
    pngs: list[tuple[FigureSpec, Path | str]] = []
    for spec in FIGURES:
        png, svg = save_figure(spec.draw(run.stats), fig_dir, spec.stem)
        written += [png, svg]
        svgs.append((spec, svg))  # SVG stays sharp at any zoom in the HTML page
        pngs.append((spec, png.relative_to(out_dir).as_posix()))
    html, md = HtmlReport(TITLE), MarkdownReport(TITLE)
    quality = Quality(agreement, label_quality)
    _fill(html, run, svgs, papers, quality)
    _fill(md, run, pngs, papers, quality)
    written.append(html.write(out_dir / "report.html"))
    written.append(md.write(out_dir / "report.md"))
    return written
