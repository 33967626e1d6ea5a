"""Meta-evaluation output: `judge_eval.json`, an HTML/Markdown section and a rich table.

Only figures, language codes and the judge's reasons appear; never prompts or responses.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from rich.table import Table

from langgap._io import atomic_write_text
from langgap.evaluate.judge_eval.data import LABELS
from langgap.evaluate.judge_eval.metrics import TP, UN, UP, LanguageRow, MetaEvaluation, figure
from langgap.report import HtmlReport, MarkdownReport
from langgap.report.tables import Cell

HEADERS = (
    "language", "status", "n", "unclear", "accuracy (all)", "F1 (all)", "κ (all)",
    "accuracy (decided)", "precision", "recall (decided)", "κ (decided)", "TP/FN/FP/TN/unclear",
)  # fmt: skip


class _Section(Protocol):
    def heading(self, text: str, level: int = 2) -> None: ...
    def paragraph(self, text: str) -> None: ...
    def table(
        self, headers: Sequence[str], rows: Sequence[Sequence[Cell]], caption: str | None = None
    ) -> None: ...


def row_cells(row: LanguageRow) -> list[str]:
    """One table row of figures with intervals."""
    c = row.counts
    return [
        row.language,
        row.status,
        str(row.n),
        figure(row.unclear_rate),
        figure(row.all["accuracy"]),
        figure(row.all["f1"]),
        figure(row.all["kappa"]),
        figure(row.decided["accuracy"]),
        figure(row.decided["precision"]),
        figure(row.decided["recall"]),
        figure(row.decided["kappa"]),
        f"{c[TP]}/{c[1]}/{c[3]}/{c[4]}/{c[UP] + c[UN]}",
    ]


def summary(result: MetaEvaluation) -> str:
    """One sentence: the judge, the positive class and the worst language."""
    worst = result.worst or "none (no supported language with a defined kappa)"
    unsupported = [r.language for r in result.rows if r.status == "unsupported"]
    extra = f"; not covered by the judge: {', '.join(unsupported)}" if unsupported else ""
    return (
        f"Judge {result.judge} against human labels ({result.view}; positive class "
        f"{LABELS[result.view][0]!r}); unclear counts as wrong in the 'all' figures. "
        f"Worst language by κ (all): {worst}{extra}."
    )


def add_section(report: _Section, result: MetaEvaluation, data: str) -> None:
    """Add the meta-evaluation as a section to an `HtmlReport` or `MarkdownReport`."""
    report.heading(f"Judge agreement: {result.judge} on {data}")
    report.paragraph(summary(result))
    rows = [row_cells(r) for r in [*result.rows, result.overall]]
    report.table(list(HEADERS), rows, caption="Figures with bootstrap 95% intervals")


def rich_table(result: MetaEvaluation, data: str) -> Table:
    """The per-language figures as a rich table (worst language marked)."""
    table = Table(title=f"{result.judge} vs human labels: {data}")
    for header in HEADERS:
        table.add_column(header)
    for r in [*result.rows, result.overall]:
        cells = row_cells(r)
        style = "red" if r.language == result.worst else "dim" if r.status != "ok" else None
        table.add_row(*cells, style=style)
    return table


def write_outputs(result: MetaEvaluation, out: Path, data: str, **meta: Any) -> list[Path]:
    """Write judge_eval.json, judge_eval.html and judge_eval.md into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    payload = {"data": data, **meta, **result.to_dict()}
    json_path = out / "judge_eval.json"
    atomic_write_text(json_path, json.dumps(payload, indent=2, ensure_ascii=False))
    html, md = HtmlReport("Judge meta-evaluation"), MarkdownReport("Judge meta-evaluation")
    for report in (html, md):
        add_section(report, result, data)
    return [json_path, html.write(out / "judge_eval.html"), md.write(out / "judge_eval.md")]
