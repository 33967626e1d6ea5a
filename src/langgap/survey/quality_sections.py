"""Report sections for label quality (scores against gold) and inter-annotator agreement.

They read the JSON forms (`ScoreReport.to_dict()`, `AgreementReport.to_dict()`) tolerantly, so a
saved label_quality.json renders as well as a fresh one, and write through the HTML or Markdown
builders, which escape every string.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from langgap.report.tables import Cell, Share

FIELD_LABELS = {
    "related": "Related (LLM safety)",
    "group": "Language group",
    "topic": "Topic",
    "has_non_english": "Non-English",
    "documented": "Languages documented",
    "languages": "Languages (Jaccard)",
}
# Field order of every table; languages (a set) is compared with Jaccard, the rest with kappa.
AGREEMENT_FIELDS = ("related", "group", "topic", "has_non_english", "documented", "languages")
SCORED_FIELDS = AGREEMENT_FIELDS[:-1]
TOP_ERRORS = 10
TOP_LANGUAGES = 30


class ReportBuilder(Protocol):
    """The calls shared by `HtmlReport` and `MarkdownReport` that these sections use."""

    def heading(self, text: str, level: int = 2) -> None: ...
    def paragraph(self, text: str) -> None: ...
    def table(
        self, headers: Sequence[str], rows: Sequence[Sequence[Cell]], caption: str | None = None
    ) -> None: ...


def format_estimate(data: Any, digits: int = 2) -> str:
    """'0.81 [0.62, 0.95] n=20' from an Estimate's dict; undefined values print as n/a."""
    if not isinstance(data, Mapping):
        return "n/a"
    n = data.get("n")
    size = f" n={n}" if isinstance(n, int) else ""
    value = data.get("value")
    if not isinstance(value, int | float):
        return f"n/a{size}"
    ci = data.get("ci95")
    interval = ""
    if isinstance(ci, Sequence) and len(ci) == 2 and all(isinstance(c, int | float) for c in ci):
        interval = f" [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"
    return f"{value:.{digits}f}{interval}{size}"


def _mean_sd(data: Any) -> str:
    if not isinstance(data, Mapping) or not isinstance(data.get("mean"), int | float):
        return "n/a"
    sd = data.get("sd")
    spread = f" ± {sd:.2f}" if isinstance(sd, int | float) else ""
    return f"{data['mean']:.2f}{spread} ({data.get('pairs', 0)} pairs)"


def agreement_table(data: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Headers and rows (fields × pairs, mean ± sd, alpha) from `AgreementReport.to_dict()`."""
    pairs = [p for p in data.get("pairs") or [] if isinstance(p, Mapping)]
    summary = _map(data.get("summary"))
    fields = [str(f) for f in data.get("fields") or AGREEMENT_FIELDS]
    headers = [
        "Field",
        *("–".join(str(a) for a in p.get("annotators") or []) for p in pairs),
        "Mean ± sd",
        "Krippendorff's α",
    ]
    rows: list[list[str]] = []
    for f in fields:
        per_pair = [format_estimate(_map(p.get("fields")).get(f)) for p in pairs]
        s = _map(summary.get(f))
        alpha = format_estimate(s["alpha"]) if s.get("alpha") else "—"
        rows.append([FIELD_LABELS.get(f, f), *per_pair, _mean_sd(s), alpha])
    return headers, rows


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _interval(estimate: Any, percent: bool = False) -> str:
    ci = _list(_map(estimate).get("ci95"))
    low, high = (_number(c) for c in ci) if len(ci) == 2 else (None, None)
    if low is None or high is None:
        return "n/a"
    return f"[{low:.1%}, {high:.1%}]" if percent else f"[{low:.2f}, {high:.2f}]"


def _value(estimate: Any) -> float | None:
    return _number(_map(estimate).get("value"))


def _notes(*estimates: Any) -> str:
    return "; ".join(str(n) for e in estimates if (n := _map(e).get("note")))


def label_quality_section(
    r: ReportBuilder, data: Mapping[str, Any], *, level: int = 2, top: int = TOP_ERRORS
) -> None:
    """Per-field accuracy/kappa, language P/R/F1, the topic confusion matrix and worst errors."""
    r.heading("Label quality", level)
    _coverage(r, data)
    _field_table(r, data)
    _language_tables(r, data, level + 1)
    _topic_confusion(r, data, level + 1)
    _error_table(r, data, level + 1, top)


def _coverage(r: ReportBuilder, data: Mapping[str, Any]) -> None:
    missing = _int(data.get("missing")) or 0
    ids = [str(i) for i in _list(data.get("missing_ids"))]
    shown = f" ({', '.join(ids[:20])}{' …' if len(ids) > 20 else ''})" if ids else ""
    r.paragraph(
        f"Annotator {data.get('annotator', 'n/a')} scored against "
        f"{data.get('gold', 'the gold set')} on "
        f"{data.get('scored', 'n/a')} of {data.get('gold_papers', 'n/a')} gold papers. "
        f"{missing} gold papers have no prediction{shown}; "
        f"{data.get('unscored', 'n/a')} predictions have no gold label. "
        f"Intervals: {_map(data.get('method')).get('interval', 'n/a')}."
    )
    if data.get("in_sample"):
        r.paragraph(
            "Caution: the learned model was trained on these very gold labels, so these figures "
            "are in-sample and overstate its quality. Its cross-validated figures (trained on "
            "other years) are in the summary's label-quality line."
        )


def _field_table(r: ReportBuilder, data: Mapping[str, Any]) -> None:
    fields = _map(data.get("fields"))
    rows: list[list[Cell]] = []
    ordered = [f for f in SCORED_FIELDS if f in fields]
    for f in ordered + [f for f in fields if f not in SCORED_FIELDS]:
        s = _map(fields[f])
        acc, kappa = s.get("accuracy"), s.get("kappa")
        rows.append(
            [
                FIELD_LABELS.get(f, f),
                Share(_value(acc)),
                _interval(acc, percent=True),
                _value(kappa),
                _interval(kappa),
                _int(_map(acc).get("n")),
                _notes(kappa),
            ]
        )
    if rows:
        r.table(
            ["Field", "Accuracy", "95% CI", "Cohen's κ", "95% CI", "n", "Note"],
            rows,
            caption="Agreement with gold per field",
        )


def _language_tables(r: ReportBuilder, data: Mapping[str, Any], level: int) -> None:
    langs = _map(data.get("languages"))
    if not langs:
        return
    r.heading("Languages", level)
    measures = (
        ("precision", "Precision (micro)"),
        ("recall", "Recall (micro)"),
        ("f1", "F1 (micro)"),
        ("jaccard", "Mean Jaccard per paper"),
    )
    rows: list[list[Cell]] = []
    for key, name in measures:
        e = langs.get(key)
        rows.append([name, _value(e), _interval(e), _int(_map(e).get("n"))])
    r.table(["Measure", "Value", "95% CI", "Papers"], rows)
    per = [_map(x) for x in _list(langs.get("per_language"))]
    if per:
        r.table(
            ["Language", "Precision", "Recall", "F1", "Support (gold)", "Predicted"],
            [
                [
                    str(x.get("code", "")),
                    _number(x.get("precision")),
                    _number(x.get("recall")),
                    _number(x.get("f1")),
                    _int(x.get("support")),
                    _int(x.get("predicted")),
                ]
                for x in per[:TOP_LANGUAGES]
            ],
            caption=f"Per language, most gold papers first ({min(len(per), TOP_LANGUAGES)} of "
            f"{len(per)})",
        )


def _topic_confusion(r: ReportBuilder, data: Mapping[str, Any], level: int) -> None:
    matrix = _map(_map(data.get("confusion")).get("topic"))
    labels = [str(x) for x in _list(matrix.get("labels"))]
    counts = [_list(row) for row in _list(matrix.get("counts"))]
    if not labels or len(counts) != len(labels):
        return
    r.heading("Topic confusion matrix", level)
    rows: list[list[Cell]] = [
        [label, *(_int(c) for c in row)] for label, row in zip(labels, counts, strict=True)
    ]
    headers = ["Gold \\ predicted", *labels]
    r.table(headers, rows, caption="Rows: gold topic; columns: predicted topic")


def _pairs_text(values: Any, wrong: Sequence[str]) -> str:
    m = _map(values)
    return "; ".join(f"{f}: {m.get(f, '')}" for f in wrong)


def _error_table(r: ReportBuilder, data: Mapping[str, Any], level: int, top: int) -> None:
    errors = [_map(e) for e in _list(data.get("errors"))]
    r.heading("Worst errors", level)
    if not errors:
        r.paragraph("No scored paper has a wrong field.")
        return
    rows: list[list[Cell]] = []
    for e in errors[:top]:
        wrong = [str(f) for f in _list(e.get("wrong"))]
        rows.append(
            [
                str(e.get("paper_id", "")),
                ", ".join(wrong),
                _pairs_text(e.get("gold"), wrong),
                _pairs_text(e.get("predicted"), wrong),
                str(e.get("evidence") or ""),
            ]
        )
    r.table(
        ["Paper", "Wrong fields", "Gold", "Predicted", "Evidence"],
        rows,
        caption=f"{min(top, len(errors))} of {len(errors)} papers with a wrong field, "
        "most wrong fields first",
    )


def agreement_section(r: ReportBuilder, data: Mapping[str, Any], *, level: int = 2) -> None:
    """The agreement table: fields × annotator pairs, mean ± sd over pairs, and alpha."""
    r.heading("Inter-annotator agreement", level)
    method = _map(data.get("method"))
    r.paragraph(
        f"{len(_list(data.get('annotators')))} annotators, {data.get('papers', 'n/a')} papers. "
        + " ".join(f"{k.capitalize()}: {v}." for k, v in method.items())
    )
    headers, rows = agreement_table(data)
    r.table(headers, [list(row) for row in rows], caption="Value [95% CI] n=papers per pair")
    undefined = _undefined_notes(data)
    if undefined:
        r.paragraph("n/a means undefined: " + "; ".join(undefined) + ".")
    skipped = [_map(s) for s in _list(data.get("skipped_pairs"))]
    if skipped:
        r.paragraph(
            "Pairs left out (fewer than two shared papers): "
            + ", ".join(
                f"{'–'.join(str(a) for a in _list(s.get('annotators')))} ({s.get('shared')})"
                for s in skipped
            )
            + "."
        )


def _undefined_notes(data: Mapping[str, Any]) -> list[str]:
    # Why a cell reads n/a (e.g. every paper got the same label), once per field and reason.
    found: dict[str, None] = {}
    estimates = [
        (f, e) for p in _list(data.get("pairs")) for f, e in _map(_map(p).get("fields")).items()
    ]
    estimates += [(f, _map(s).get("alpha")) for f, s in _map(data.get("summary")).items()]
    for f, e in estimates:
        if _value(e) is None and _map(e).get("note"):
            found[f"{FIELD_LABELS.get(f, f)}: {_map(e)['note']}"] = None
    return list(found)
