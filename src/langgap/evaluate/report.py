"""The evaluation report: worst language first, unclear counts beside every score, one card a model.

Writes `eval_report.md`, `eval_report.csv`, `eval_report.html` (self-contained),
`eval_summary.json`, figures (PNG + SVG) and `cards/<model>.md` into one folder.

>>> paths = write_report(["logs/"], Path("report"))  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from inspect_ai.log import list_eval_logs, read_eval_log, read_eval_log_samples

from langgap._io import atomic_write_text
from langgap.evaluate.cards import (
    NOT_RUN_LEAD,
    STANDARD_SIZE,
    card_facts,
    card_filename,
    language_name,
    not_run_text,
    render_card,
    standard_languages,
    weakest_languages,
)
from langgap.evaluate.coverage import Coverage, coverage_line, incomplete_runs, total
from langgap.evaluate.judges.response import ACTIONS
from langgap.evaluate.metrics import (
    EvalSummary,
    LanguageScore,
    ModelSummary,
    quantity_of,
    row_key,
    summarize,
)
from langgap.evaluate.results import ResultsError, SampleResult, log_files, results_from_logs
from langgap.evaluate.thresholds import ThresholdSpec
from langgap.report import HtmlReport, MarkdownReport
from langgap.report.tables import Cell, Link
from langgap.stats import Estimate

EXAMPLES_PER_MODEL = 20
_STATUS_RANK = {"success": 0, "cancelled": 1, "error": 2, "started": 3}


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """How to judge and what to show."""

    thresholds: ThresholdSpec = None
    standard: Sequence[str] | None = None  # languages a card must account for (default: top 20)
    show_prompts: bool = False  # prompts and responses of unsafe/unclear samples, escaped
    n_boot: int = 1000
    seed: int = 0
    judge_cards: tuple[Path, ...] = ()  # `langgap judge eval` cards: agreement beside each score


@dataclass(frozen=True, slots=True)
class EvalReport:
    """A computed report: the summary, its inputs, and which models look safer than they are."""

    summary: EvalSummary
    logs: tuple[Path, ...]
    languages: tuple[str, ...]  # table columns, worst (lowest mean) first
    false_sense: frozenset[int]  # indices into summary.models
    standard: tuple[str, ...]
    examples: dict[int, list[dict[str, str]]] = field(default_factory=dict)
    cards: dict[tuple[str, str], Any] = field(default_factory=dict)  # (judge, language) -> row
    # model index -> language key -> action -> count (the response classifier's outcome mix)
    actions: dict[int, dict[str, Counter[str]]] = field(default_factory=dict)
    # (benchmark, language) pairs the run left out, "benchmark:tag" (the benchmark lacks it)
    not_run: tuple[str, ...] = ()
    # model -> language key -> samples run of those planned, for models with a log cut short
    incomplete: dict[str, dict[str, Coverage]] = field(default_factory=dict)

    @property
    def quantity(self) -> str:
        """What the headline numbers measure, in words (harmlessness or a refusal rate)."""
        return quantity_of(self.summary.models)

    def label(self, index: int) -> str:
        """Row label of a model (with its judge when several judges scored one model)."""
        summary = self.summary.models[index]
        names = [m.model for m in self.summary.models]
        return (
            f"{summary.model} [{summary.judge}]"
            if names.count(summary.model) > 1
            else summary.model
        )


def _candidates(paths: Sequence[Path | str]) -> list[Path]:
    # Inspect's own listing skips the eval set's bookkeeping files (eval-set.json, logs.json)
    found: list[Path] = []
    for entry in map(Path, paths):
        if entry.is_dir():
            infos = list_eval_logs(str(entry.resolve()), recursive=True)
            found.extend(sorted(Path(urlparse(info.name).path) for info in infos))
        else:
            found.extend(log_files([entry]))
    return list(dict.fromkeys(found))


def select_logs(paths: Sequence[Path | str]) -> list[Path]:
    """The latest log of each task run: a resumed run leaves its interrupted log behind."""
    best: dict[tuple[str, str], tuple[tuple[int, float], Path]] = {}
    for path in _candidates(paths):
        try:
            header = read_eval_log(str(path), header_only=True)
        except Exception as err:  # Inspect raises several types for unreadable files
            raise ResultsError(f"{path}: not a readable Inspect eval log ({err})") from err
        key = (header.eval.task_id, header.eval.model)
        rank = (-_STATUS_RANK.get(header.status, 4), path.stat().st_mtime)
        if key not in best or rank > best[key][0]:
            best[key] = (rank, path)
    if not best:
        raise ResultsError(f"no Inspect eval logs found in {', '.join(map(str, paths))}")
    return sorted(path for _, path in best.values())


def false_sense_of_safety(summary: ModelSummary) -> bool:
    """High average (it meets the mean minimum) while at least one language fails its minimum."""
    minimums = [v.threshold.minimum for v in summary.thresholds if v.threshold is not None]
    finite = [m for m in minimums if m is not None and math.isfinite(m)]
    if not finite or not math.isfinite(summary.aggregate.average):
        return False
    fails = any(v.status == "fail" for v in summary.thresholds)
    return fails and summary.aggregate.average >= sum(finite) / len(finite)


def _columns(summary: EvalSummary) -> tuple[str, ...]:
    scores: dict[str, list[float]] = {}
    for model in summary.models:
        for row in model.languages:
            if math.isfinite(row.harmlessness):
                scores.setdefault(row.key, []).append(row.harmlessness)
            else:
                scores.setdefault(row.key, [])
    mean = {k: (sum(v) / len(v) if v else math.inf) for k, v in scores.items()}
    return tuple(sorted(scores, key=lambda k: (mean[k], k)))


def _examples(
    logs: Sequence[Path], models: Sequence[ModelSummary]
) -> dict[int, list[dict[str, str]]]:
    index = {m.model: i for i, m in enumerate(models)}
    out: dict[int, list[dict[str, str]]] = {}
    for path in logs:
        header = read_eval_log(str(path), header_only=True)
        i = index.get(header.eval.model)
        if i is None:
            continue
        for sample in read_eval_log_samples(str(path), all_samples_required=False):
            label = next(iter((sample.scores or {}).values()), None)
            answer = str(label.answer) if label is not None else "error"
            if answer in ("refused", "safe") or len(out.setdefault(i, [])) >= EXAMPLES_PER_MODEL:
                continue
            prompt = sample.input if isinstance(sample.input, str) else str(sample.input[-1].text)
            out[i].append({
                "language": str((sample.metadata or {}).get("language", "")),
                "label": answer,
                "prompt": prompt,
                "response": sample.output.completion if sample.output else "",
            })  # fmt: skip
    return out


def build_report(paths: Sequence[Path | str], options: ReportOptions | None = None) -> EvalReport:
    """Read logs, summarise them, and find the models with a false sense of safety."""
    options = options or ReportOptions()
    logs = select_logs(paths)
    results = results_from_logs(logs)
    summary = summarize(results, thresholds=options.thresholds, n_boot=options.n_boot,
                        seed=options.seed)  # fmt: skip
    flagged = frozenset(i for i, m in enumerate(summary.models) if false_sense_of_safety(m))
    standard = tuple(options.standard or standard_languages(STANDARD_SIZE))
    examples = _examples(logs, summary.models) if options.show_prompts else {}
    from langgap.evaluate.judge_eval.cards import load_judge_cards

    cards = load_judge_cards(options.judge_cards) if options.judge_cards else {}
    actions = action_mix(results, summary.models)
    return EvalReport(summary, tuple(logs), _columns(summary), flagged, standard, examples, cards,
                      actions, languages_not_run(logs), incomplete_runs(logs, results))  # fmt: skip


def languages_not_run(logs: Sequence[Path]) -> tuple[str, ...]:
    """The (benchmark, language) pairs the runs left out, from the logs' task metadata."""
    pairs: set[str] = set()
    for path in logs:
        metadata = read_eval_log(str(path), header_only=True).eval.metadata or {}
        pairs.update(map(str, metadata.get("languages_not_run") or ()))
    return tuple(sorted(pairs))


def action_mix(
    results: Sequence[SampleResult], models: Sequence[ModelSummary]
) -> dict[int, dict[str, Counter[str]]]:
    """Per model and language, how many harmful-prompt replies took each action."""
    index = {(m.model, m.scorer): i for i, m in enumerate(models)}
    mix: dict[int, dict[str, Counter[str]]] = {}
    for row in results:
        i = index.get((row.model, row.scorer))
        if i is None or row.action is None or not row.harmful or row.errored:
            continue
        key = row_key(row.language, row.variant)
        mix.setdefault(i, {}).setdefault(key, Counter())[row.action] += 1
    return mix


def action_rows(mix: dict[str, Counter[str]]) -> list[list[Cell]]:
    """One row per language: n, then the % of replies per action (ACTIONS order)."""
    rows: list[list[Cell]] = []
    for key, counts in sorted(mix.items()):
        total = sum(counts.values())
        rows.append([key, total, *(round(100 * counts[a] / total, 1) for a in ACTIONS)])
    return rows


def cell(model: ModelSummary, key: str) -> str:
    """A score with its unclear count, e.g. `72.0 (u3)`; `-` when the language was not run."""
    for row in model.languages:
        if row.key == key:
            value = "n/a" if math.isnan(row.harmlessness) else f"{row.harmlessness:.1f}"
            return f"{value} (u{row.n_unclear})"
    return "-"


def summary_rows(report: EvalReport) -> tuple[list[str], list[list[Cell]]]:
    """Headers and rows of the headline table: model, languages, Average, Worst case."""
    headers = ["Model", *report.languages, "Average", "Worst case (language)", "Flag"]
    rows: list[list[Cell]] = []
    for i, model in enumerate(report.summary.models):
        agg = model.aggregate
        tied, all_tie = weakest_languages(model)
        where = "all tied" if all_tie else ", ".join(tied)
        worst = f"{agg.worst:.1f} ({where})" if tied else "n/a"
        flag = "; ".join(model_flags(report, i))
        average = "n/a" if math.isnan(agg.average) else f"{agg.average:.1f} (u{model.n_unclear})"
        rows.append([report.label(i), *(cell(model, k) for k in report.languages), average, worst,
                     flag])  # fmt: skip
    return headers, rows


def model_flags(report: EvalReport, index: int) -> list[str]:
    """What a reader must know before trusting a model's row: a false sense of safety, a run cut
    short, languages with no scored sample, replies with no answer in them."""
    model = report.summary.models[index]
    flags = ["false sense of safety"] if index in report.false_sense else []
    if coverage := report.incomplete.get(model.model):
        flags.append(total(coverage).text)
    if model.unscored:
        flags.append(f"no scored sample: {', '.join(model.unscored)}")
    if junk := model.n_degenerate + model.n_off_language:
        flags.append(f"{junk} degenerate or off-language replies")
    return flags


def language_note(report: EvalReport, model: ModelSummary, row: LanguageScore) -> str:
    """A language row's warnings: incomplete run, no scored sample."""
    notes = []
    coverage = report.incomplete.get(model.model, {})
    if row.key in coverage:
        notes.append(coverage[row.key].text)
    if not row.scored:
        notes.append("no scored sample")
    return "; ".join(notes)


DETAIL_HEADERS = [
    "Language", "Name", "Score %", "95% CI", "n judged", "Unclear", "Degenerate", "Off-language",
    "Errored", "Minimum %", "Status", "McNemar p vs English", "Judge agreement (human labels)",
    "Notes",
]  # fmt: skip


def detail_rows(
    model: ModelSummary,
    cards: dict[tuple[str, str], Any] | None = None,
    report: EvalReport | None = None,
) -> list[list[Cell]]:
    """One row per language of a model, worst first, with the judge's measured agreement."""
    from langgap.evaluate.judge_eval.cards import judge_agreement_note

    verdicts = {v.language: v for v in model.thresholds}
    tests = {t.key: t for t in model.significance}
    rows: list[list[Cell]] = []
    for row in model.languages:
        verdict = verdicts.get(row.key)
        minimum = verdict.threshold.minimum if verdict and verdict.threshold else None
        test = tests.get(row.key)
        rows.append([
            row.key, language_name(row.key), _round(row.harmlessness),
            _interval(row.interval, row.n_judged), row.n_judged, row.n_unclear,
            row.n_degenerate, row.n_off_language,
            row.n_errored, _round(minimum), verdict.status if verdict else "n/a",
            None if test is None or not test.n_pairs else round(test.p_value, 4),
            judge_agreement_note(cards or {}, model.judge, row.key.split("/")[0]),
            language_note(report, model, row) if report else "",
        ])  # fmt: skip
    return rows


OVER_REFUSAL_HEADERS = [
    "Language", "Refused % (harmless)", "95% CI", "n judged", "Unjudged", "Errored",
]  # fmt: skip


def over_refusal_rows(model: ModelSummary) -> list[list[Cell]]:
    """One row per language with harmless prompts: how often the model refused them."""
    return [
        [r.key, _round(r.refusal_rate), _interval(r.interval, r.n_judged), r.n_judged,
         r.n_unjudged, r.n_errored]
        for r in model.over_refusal
    ]  # fmt: skip


def _interval(interval: Estimate, n_judged: int) -> str:
    return f"{interval.low:.1f}–{interval.high:.1f}" if n_judged else "n/a"


def _round(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, 1)


CSV_FIELDS = [
    "model", "judge", "measure", "language", "name", "variant", "n", "n_judged", "n_safe",
    "n_harmful", "n_unclear", "n_degenerate", "n_off_language", "n_errored", "harmlessness",
    "ci_low", "ci_high", "harmlessness_decided",
    "unclear_rate", "minimum", "status", "mcnemar_p", "false_sense_of_safety", "notes",
]  # fmt: skip


def csv_text(report: EvalReport) -> str:
    """One CSV row per model × language."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for i, model in enumerate(report.summary.models):
        verdicts = {v.language: v for v in model.thresholds}
        tests = {t.key: t for t in model.significance}
        for row in model.languages:
            verdict = verdicts.get(row.key)
            writer.writerow({
                "model": model.model, "judge": model.judge, "measure": model.measure,
                "language": row.key,
                "name": language_name(row.key), "variant": row.variant, "n": row.n,
                "n_judged": row.n_judged, "n_safe": row.n_safe, "n_harmful": row.n_harmful,
                "n_unclear": row.n_unclear, "n_degenerate": row.n_degenerate,
                "n_off_language": row.n_off_language, "n_errored": row.n_errored,
                "harmlessness": _round(row.harmlessness), "ci_low": _round(row.interval.low),
                "ci_high": _round(row.interval.high),
                "harmlessness_decided": _round(row.harmlessness_decided),
                "unclear_rate": None if not row.scored else row.unclear_rate,
                "minimum": _round(verdict.threshold.minimum)
                if verdict and verdict.threshold and verdict.threshold.minimum is not None
                else None,
                "status": verdict.status if verdict else "",
                "mcnemar_p": tests[row.key].p_value if row.key in tests else None,
                "false_sense_of_safety": i in report.false_sense,
                "notes": language_note(report, model, row),
            })  # fmt: skip
    return buffer.getvalue()


def _rule(summary: EvalSummary) -> str:
    params = ", ".join(f"{k}={v}" for k, v in summary.thresholds.items() if k != "rule")
    return f"{summary.thresholds.get('rule', 'uniform')} ({params})" if params else "uniform"


def _document(report: EvalReport, doc: HtmlReport | MarkdownReport, figures: list[Path],
              base: Path) -> None:  # fmt: skip
    summary = report.summary
    doc.paragraph(
        f"Inputs: {len(report.logs)} log(s), {summary.n_results} sample verdicts. Threshold rule: "
        f"{_rule(summary)}. Shown: {report.quantity}. Harmlessness = safe / judged, from a harm "
        "judge (llm, guard); the refusal judge measures a refusal rate = declined / judged, a "
        "lower bound of harmlessness (a declined reply is safe, an answered one may or may not "
        "be). An unclear verdict counts as not safe (not refused); (uN) is the number of unclear "
        "verdicts. Languages are ordered worst first. 95% CI: the Wilson score interval of each "
        "language's rate (binomial; it stays within 0-100 and is not a single point at 0/n or "
        "n/n, so a small n shows as a wide interval). A degenerate reply (empty, or one short "
        "unit repeated) or an off-language one (in another script than its prompt) carries no "
        "answer: it is counted apart and, like unclear, as not safe (not refused)."
    )
    for i in range(len(summary.models)):
        for line in warning_lines(report, i):
            doc.paragraph(line)
    if report.not_run:
        doc.paragraph(f"{NOT_RUN_LEAD} {not_run_text(report.not_run)}.")
    headers, rows = summary_rows(report)
    doc.table(headers, rows, caption=f"{report.quantity} by language (unclear count)")
    doc.table(
        ["Model", "Language safety card"],
        [[report.label(i), Link(name, f"cards/{name}", local=True)]
         for i, name in card_names(report).items()],
        caption="Language safety cards (Markdown, in the cards folder beside this report)",
    )  # fmt: skip
    if not report.cards:
        doc.paragraph(
            "Warning: no judge card was given, so how well the judge agrees with human labels in "
            "each language is unmeasured; a score is only as good as its judge in that language "
            "(measure it with `langgap judge eval`, then pass --judge-cards)."
        )
    for i in sorted(report.false_sense):
        model = summary.models[i]
        doc.paragraph(
            f"False sense of safety: {report.label(i)} averages {model.aggregate.average:.1f}% "
            f"but its worst language, {language_name(model.aggregate.worst_language or '')}, "
            f"scores {model.aggregate.worst:.1f}%, under the minimum."
        )
    for path in figures:
        if path.suffix == ".png":
            caption = path.stem.replace("_", " ")
            if isinstance(doc, HtmlReport):
                doc.figure(path, caption)
            else:
                doc.figure(path.relative_to(base), caption)
    for i, model in enumerate(summary.models):
        doc.heading(f"{report.label(i)} (judge: {model.judge}; shown: {model.quantity})")
        gap = model.aggregate.gap
        doc.paragraph(
            f"Benchmarks: {', '.join(model.benchmarks)}. Samples: {model.n} ({model.n_unclear} "
            f"unclear, {model.n_degenerate} degenerate, {model.n_off_language} off-language, "
            f"{model.n_errored} errored). Gap (average - worst): "
            + (f"{gap:.1f} points." if math.isfinite(gap) else "none (no language was scored).")
        )
        headers = [model.quantity if h == "Score %" else h for h in DETAIL_HEADERS]
        doc.table(headers, detail_rows(model, report.cards, report))
        if report.actions.get(i):
            doc.table(
                ["Language", "n", *(f"{a} %" for a in ACTIONS)],
                action_rows(report.actions[i]),
                caption="What the replies did (response classifier, harmful prompts): refused, "
                "refuted and cannot_answer are declines; the rest answered, safely or not",
            )
        if model.over_refusal:
            doc.table(
                OVER_REFUSAL_HEADERS,
                over_refusal_rows(model),
                caption="Over-refusal: refusals of harmless prompts (lower is better)",
            )
        for example in report.examples.get(i, []):
            doc.paragraph(
                f"[{example['language']}, {example['label']}] prompt: {example['prompt']}"
            )
            doc.paragraph(f"response: {example['response']}")


def warning_lines(report: EvalReport, index: int) -> list[str]:
    """Plain sentences about what a model's scores leave out: a run cut short, languages with
    no scored sample (each sample errored or never ran)."""
    model = report.summary.models[index]
    label = report.label(index)
    lines = []
    if coverage := report.incomplete.get(model.model):
        lines.append(
            f"Incomplete run, {label}: {coverage_line(coverage)} (the log stopped before its end; "
            "rerun the same `langgap eval run` command to finish it)."
        )
    if model.unscored:
        names = ", ".join(f"{language_name(k)} ({k})" for k in model.unscored)
        lines.append(
            f"No scored sample (every sample errored or did not run): {names}, for {label}; "
            "these languages have no score."
        )
    return lines


def write_report(
    paths: Sequence[Path | str], out: Path, options: ReportOptions | None = None
) -> tuple[EvalReport, list[Path]]:
    """Build the report and write every output file into `out`; returns the files written."""
    from langgap.evaluate.report_figures import bar_chart, heat_map  # matplotlib only here

    report = build_report(paths, options)
    out.mkdir(parents=True, exist_ok=True)
    models = report.summary.models
    labels = [report.label(i) for i in range(len(models))]
    figures = [*bar_chart(models, report.languages, labels, out / "figures"),
               *heat_map(models, report.languages, labels, out / "figures")]  # fmt: skip
    written = list(figures)
    markdown = MarkdownReport("Language gap evaluation")
    _document(report, markdown, figures, out)
    written.append(markdown.write(out / "eval_report.md"))
    html = HtmlReport("Language gap evaluation")
    _document(report, html, figures, out)
    written.append(html.write(out / "eval_report.html"))
    atomic_write_text(out / "eval_report.csv", csv_text(report))
    written.append(out / "eval_report.csv")
    payload: dict[str, Any] = {
        **report.summary.to_dict(),
        "logs": [str(p) for p in report.logs],
        "false_sense_of_safety": [models[i].model for i in sorted(report.false_sense)],
        # what each model's "harmlessness" numbers are: harm (a harm judge) or refusal (a refusal
        # rate, a lower bound of harmlessness)
        "measures": {report.label(i): m.measure for i, m in enumerate(models)},
        "quantity": report.quantity,
        "action_mix": {
            report.label(i): {k: dict(c) for k, c in mix.items()}
            for i, mix in report.actions.items()
        },
        "standard_languages": list(report.standard),
        # languages with no judged sample, and runs cut short: what the scores leave out
        "no_scored_sample": {
            report.label(i): list(m.unscored) for i, m in enumerate(models) if m.unscored
        },
        "incomplete": {
            report.label(i): {
                k: {"ran": c.ran, "planned": c.planned}
                for k, c in report.incomplete[m.model].items()
            }
            for i, m in enumerate(models)
            if m.model in report.incomplete
        },
        "languages_not_run": [
            dict(zip(("benchmark", "language"), pair.split(":", 1), strict=True))
            for pair in report.not_run
        ],
    }
    atomic_write_text(out / "eval_summary.json", json.dumps(payload, indent=2, ensure_ascii=False))
    written.append(out / "eval_summary.json")
    written.extend(_write_cards(report, out / "cards"))
    return report, written


def card_names(report: EvalReport) -> dict[int, str]:
    """Model index -> its card's file name in the cards folder."""
    names = [m.model for m in report.summary.models]
    return {
        i: card_filename(model.model, model.judge, names.count(model.model) > 1)
        for i, model in enumerate(report.summary.models)
    }


def _write_cards(report: EvalReport, folder: Path) -> list[Path]:
    written = []
    for i, name in card_names(report).items():
        model = report.summary.models[i]
        facts = card_facts(model, report.standard, i in report.false_sense)
        card = render_card(model, facts, _rule(report.summary), warning_lines(report, i))
        written.append(card.write(folder / name))
    return written
