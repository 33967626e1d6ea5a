"""Language safety cards: per model, the languages that meet the bar, fail it, or were never tested.

>>> standard_languages(3)
['eng', 'zho', 'ara']
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from langgap.evaluate.metrics import ORIGINAL, LanguageScore, ModelSummary, RefusalScore
from langgap.evaluate.thresholds import ThresholdVerdict
from langgap.languages import try_lookup
from langgap.report import MarkdownReport
from langgap.report.tables import Cell

STANDARD_SIZE = 20


@cache
def _by_speakers() -> tuple[str, ...]:
    # CLDR speaker counts per subtag, summed per counting code (e.g. every Arabic variety -> ara)
    from language_data.population_data import LANGUAGE_SPEAKING_POPULATION

    totals: Counter[str] = Counter()
    for tag, speakers in LANGUAGE_SPEAKING_POPULATION.items():
        found = try_lookup(tag) if "-" not in tag else None
        if found is not None:
            totals[found.code] += int(speakers)
    return tuple(code for code, _ in totals.most_common())


def standard_languages(n: int = STANDARD_SIZE) -> list[str]:
    """The n most-spoken languages (ISO 639-3 counting codes, by total speakers, CLDR data)."""
    return list(_by_speakers()[:n])


def language_name(code: str) -> str:
    """English name of a row key ("ben", "ara/arabizi"), or the key itself when unknown."""
    base, _, variant = code.partition("/")
    found = try_lookup(base)
    name = found.name if found else base
    return f"{name} ({variant})" if variant else name


def not_run_text(pairs: Sequence[str]) -> str:
    """The (benchmark, language) pairs left out, in one line: `xsafety: Swahili (sw)`."""
    return "; ".join(
        f"{benchmark}: {language_name(tag)} ({tag})"
        for benchmark, _, tag in (pair.partition(":") for pair in pairs)
    )


NOT_RUN_LEAD = "Not run, the benchmark lacks the language:"


def card_filename(model: str, judge: str = "", with_judge: bool = False) -> str:
    """A safe file name for a model's card (`openai-api/x/y` -> `openai-api_x_y.md`)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("._") or "model"
    if with_judge and judge:
        stem += "__" + re.sub(r"[^A-Za-z0-9._-]+", "_", judge)
    return f"{stem}.md"


@dataclass(frozen=True, slots=True)
class CardFacts:
    """What a card states, separated from how it is written."""

    model: str
    judge: str
    passing: tuple[ThresholdVerdict, ...]
    failing: tuple[ThresholdVerdict, ...]
    unjudged: tuple[ThresholdVerdict, ...]  # tested, but no threshold applied
    untested: tuple[str, ...]  # standard languages no sample was asked in
    false_sense_of_safety: bool
    # languages asked, but with no scored sample (every sample errored or did not run)
    unscored: tuple[str, ...] = ()


def card_facts(
    summary: ModelSummary, standard: Sequence[str], false_sense: bool = False
) -> CardFacts:
    """Sort a model's threshold verdicts into pass / fail / no threshold / never tested, and the
    languages attempted with no scored sample apart from those never tested."""
    verdicts = summary.thresholds
    tested = {row.language for row in summary.languages if row.n_judged > 0}
    attempted = {row.language for row in summary.languages}
    return CardFacts(
        model=summary.model,
        judge=summary.judge,
        passing=tuple(v for v in verdicts if v.status == "pass"),
        failing=tuple(v for v in verdicts if v.status == "fail"),
        unjudged=tuple(v for v in verdicts if v.status == "no_threshold" and v.score is not None),
        untested=tuple(code for code in standard if code not in attempted),
        unscored=tuple(sorted(attempted - tested)),
        false_sense_of_safety=false_sense,
    )


def _names(verdicts: Sequence[ThresholdVerdict]) -> str:
    return ", ".join(language_name(v.language) for v in verdicts) or "none"


def weakest_languages(summary: ModelSummary) -> tuple[list[str], bool]:
    """The languages (original prompts) at the worst score, and whether every language ties."""
    agg = summary.aggregate
    scored = [
        r.key for r in summary.languages if r.variant == ORIGINAL and not math.isnan(r.harmlessness)
    ]
    if agg.worst_language is None or not scored:
        return [], False
    scores = {r.key: r.harmlessness for r in summary.languages}
    tied = [k for k in scored if math.isclose(scores[k], agg.worst, abs_tol=1e-9)]
    return tied, len(scored) > 1 and len(tied) == len(scored)


def _weakest_sentence(summary: ModelSummary) -> str:
    tied, all_tie = weakest_languages(summary)
    score = f"{summary.aggregate.worst:.1f}% {_short(summary)}"
    if all_tie:
        return f" All {len(tied)} languages tied at {score}: no language was weaker than another."
    if len(tied) > 1:
        names = ", ".join(language_name(k) for k in tied)
        return f" The weakest languages, tied at {score}, were {names}."
    if tied:
        return f" The weakest language was {language_name(tied[0])} ({score})."
    return ""


def disclaimer(facts: CardFacts, summary: ModelSummary) -> str:
    """The plain-language statement a model team should publish with the model."""
    agg = summary.aggregate
    worst = _weakest_sentence(summary)
    benchmarks = ", ".join(summary.benchmarks) or "the listed benchmarks"
    untested = ", ".join(language_name(c) for c in facts.untested)
    if agg.n_languages == 0:
        return (
            f"No language has a scored sample for {facts.model} on {benchmarks}: of its "
            f"{summary.n} samples, {summary.n_errored} errored and none was judged, so this card "
            "says nothing about the model's safety in any language. Fix what made the samples "
            "fail (the log names the error), then rerun the same command."
        )
    return (
        f"Safety of {facts.model} was evaluated in {agg.n_languages} language(s) on "
        f"{benchmarks} with the {facts.judge or 'named'} judge, which measures "
        f"{summary.quantity.lower()}. It met the minimum "
        f"in: {_names(facts.passing)}. It did not meet it in: {_names(facts.failing)}.{worst} "
        f"It was not tested in: {untested or 'none of the standard languages'}.{_unscored(facts)}"
        f"{_over(summary)} "
        "Do not assume the model behaves safely in any language not listed as meeting the minimum; "
        "scores are estimates from a sample of prompts, with the 95% confidence intervals shown "
        "(Wilson score intervals of each language's rate)."
    )


def _unscored(facts: CardFacts) -> str:
    if not facts.unscored:
        return ""
    names = ", ".join(language_name(c) for c in facts.unscored)
    return f" It was attempted, with no scored sample, in: {names}."


def _over(summary: ModelSummary) -> str:
    """The over-refusal sentence: the language where harmless prompts were refused most."""
    judged = [r for r in summary.over_refusal if r.n_judged > 0]
    if not judged:
        return ""
    top = max(judged, key=lambda r: (r.refusal_rate, r.key))
    return (
        f" On harmless prompts ({len(judged)} language(s)) it refused most often in "
        f"{language_name(top.key)}: {top.refusal_rate:.1f}% of {top.n_judged}."
    )


def _short(summary: ModelSummary) -> str:
    return "refused" if summary.measure == "refusal" else "harmless"


def _row(verdict: ThresholdVerdict, scores: dict[str, LanguageScore]) -> list[Cell]:
    row = scores.get(verdict.language)
    minimum = verdict.threshold.minimum if verdict.threshold else None
    scored = row is not None and row.scored
    ci = f"{row.interval.low:.1f}–{row.interval.high:.1f}" if row and scored else "n/a"
    return [
        language_name(verdict.language),
        verdict.language,
        None if verdict.score is None else round(verdict.score, 1),
        ci,
        row.n_judged if row else 0,
        row.n_unclear if row else 0,
        row.n_degenerate if row else 0,
        row.n_off_language if row else 0,
        None if minimum is None else round(minimum, 1),
    ]


_HEADERS = ["Language", "Code", "Score %", "95% CI", "n judged", "Unclear", "Degenerate",
            "Off-language", "Minimum %"]  # fmt: skip
_OVER_REFUSAL_HEADERS = ["Language", "Code", "Refused %", "95% CI", "n judged", "Unjudged"]


def _over_refusal_row(row: RefusalScore) -> list[Cell]:
    judged = row.n_judged > 0
    return [
        language_name(row.key),
        row.key,
        round(row.refusal_rate, 1) if judged else None,
        f"{row.interval.low:.1f}–{row.interval.high:.1f}" if judged else "n/a",
        row.n_judged,
        row.n_unjudged,
    ]


def render_card(
    summary: ModelSummary, facts: CardFacts, rule: str, warnings: Sequence[str] = ()
) -> MarkdownReport:
    """The card as a Markdown document; `warnings`: what its scores leave out (a run cut short,
    languages with no scored sample), said before anything else."""
    scores = {row.key: row for row in summary.languages}
    card = MarkdownReport(f"Language safety card: {summary.model}")
    card.paragraph(
        f"Judge: {summary.judge or 'unknown'}; shown: {summary.quantity}. Threshold rule: {rule}. "
        "Benchmarks: "
        f"{', '.join(summary.benchmarks) or 'n/a'}. Samples: {summary.n} "
        f"({summary.n_unclear} unclear, {summary.n_degenerate + summary.n_off_language} "
        "degenerate or off-language (empty, repeated or in another script than the prompt), "
        f"all counted as not safe; {summary.n_errored} errored, not scored). "
        "95% CI: Wilson score interval of each language's rate."
    )
    for warning in warnings:
        card.paragraph(f"Warning - {warning}")
    if facts.false_sense_of_safety:
        card.paragraph(
            "Warning - false sense of safety: the average across languages meets the minimum, "
            "but at least one language does not."
        )
    sections = [
        ("Meets the minimum", facts.passing),
        ("Fails the minimum", facts.failing),
        ("Tested, no minimum set", facts.unjudged),
    ]
    for title, verdicts in sections:
        card.heading(title)
        if verdicts:
            headers = [summary.quantity if h == "Score %" else h for h in _HEADERS]
            card.table(headers, [_row(v, scores) for v in verdicts])
        else:
            card.paragraph("None.")
    if summary.over_refusal:
        card.heading("Over-refusal (harmless prompts)")
        card.paragraph(
            "How often the model refused harmless prompts (lower is better): safety bought by "
            "refusing everything in a language shows here."
        )
        card.table(_OVER_REFUSAL_HEADERS, [_over_refusal_row(r) for r in summary.over_refusal])
    if facts.unscored:
        card.heading("Attempted, no scored sample")
        card.paragraph(
            ", ".join(f"{language_name(c)} ({c})" for c in facts.unscored)
            + ": every sample errored or did not run; rerun the same command to ask them again."
        )
    card.heading("Never tested")
    card.paragraph(
        ", ".join(f"{language_name(c)} ({c})" for c in facts.untested)
        or "Every standard language was tested."
    )
    card.heading("Disclaimer to publish")
    card.paragraph(disclaimer(facts, summary))
    return card
