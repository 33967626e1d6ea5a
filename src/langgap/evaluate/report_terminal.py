"""The report in a terminal: one narrow table per model, readable at 80 columns.

Each model gets its name on a line of its own (folded, never cut), then one row per language,
worst first, with the score, its 95% interval, n judged, unclear, degenerate (empty, repeated or
off-language replies) and errored counts and the threshold status; then its average, worst case
and gap, what its scores leave out (a run cut short, languages with no scored sample), and its
over-refusal when harmless prompts ran.
"""

from __future__ import annotations

import math

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from langgap.evaluate.cards import NOT_RUN_LEAD, not_run_text, weakest_languages
from langgap.evaluate.metrics import LanguageScore, ModelSummary
from langgap.evaluate.report import (
    OVER_REFUSAL_HEADERS,
    EvalReport,
    over_refusal_rows,
    warning_lines,
)

STATUS = {"pass": "pass", "fail": "FAIL", "no_threshold": "", "untested": "untested"}


def _table(*headers: str, title: str | None = None) -> Table:
    # no vertical rules: the columns fit 80 characters; numbers right-aligned, cells folded
    # rather than cut with "…" should a terminal be narrower still
    table = Table(
        title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, title_justify="left"
    )
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i == 0 else "right", overflow="fold")
    return table


def _score(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f}"


def _interval(row: LanguageScore) -> str:
    if row.n_judged == 0 or math.isnan(row.interval.low):
        return "n/a"
    return f"{row.interval.low:.1f}–{row.interval.high:.1f}"


def language_table(model: ModelSummary) -> Table:
    """One row per language of a model, worst first: score, 95% CI, n, unclear, errored, status."""
    verdicts = {v.language: v.status for v in model.thresholds}
    table = _table("Language", "Score %", "95% CI", "n", "Unclear", "Degen.", "Errored", "Status")
    for row in model.languages:
        status = STATUS.get(verdicts.get(row.key, "no_threshold"), "")
        table.add_row(row.key, _score(row.harmlessness), _interval(row), str(row.n_judged),
                      str(row.n_unclear), str(row.n_degenerate + row.n_off_language),
                      str(row.n_errored), status)  # fmt: skip
    return table


def _aggregate_line(report: EvalReport, index: int) -> Text:
    model = report.summary.models[index]
    agg = model.aggregate
    tied, all_tie = weakest_languages(model)
    where = "all tied" if all_tie else ", ".join(tied)
    if not agg.n_languages:
        return Text("No language has a scored sample.", style="bold red")
    parts = [f"Average {_score(agg.average)}"]
    if tied:
        parts.append(f"worst {agg.worst:.1f} ({where})")
        parts.append(f"gap {agg.gap:.1f} points")
    line = Text("; ".join(parts) + ".")
    if index in report.false_sense:
        line.append(" False sense of safety.", style="bold red")
    return line


def model_block(report: EvalReport, index: int) -> RenderableType:
    """A model's heading, language table, aggregate line and over-refusal table."""
    model = report.summary.models[index]
    parts: list[RenderableType] = [
        Text(f"Model: {report.label(index)}", style="bold", overflow="fold"),
        language_table(model),
        _aggregate_line(report, index),
        *(Text(line, style="bold") for line in warning_lines(report, index)),
    ]
    if model.over_refusal:  # harmless prompts ran: their refusals are over-refusal
        over = _table(*OVER_REFUSAL_HEADERS, title="Over-refusal (harmless prompts)")
        for row in over_refusal_rows(model):
            over.add_row(*("" if c is None else str(c) for c in row))
        parts.append(over)
    return Group(*parts)


def print_report(console: Console, report: EvalReport) -> None:
    """The whole terminal report: what the scores are, then one block per model."""
    console.print(
        Text(
            f"Score % = {report.quantity}, by language, worst first; 95% CI = Wilson score "
            "interval; n = samples judged; Unclear and Degen. (empty, repeated or off-language "
            "replies) count as not safe; Errored are not scored."
        )
    )
    for index in range(len(report.summary.models)):
        console.print()
        console.print(model_block(report, index))
    if report.not_run:
        console.print(Text(f"{NOT_RUN_LEAD} {not_run_text(report.not_run)}"))
