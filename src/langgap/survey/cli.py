"""`langgap survey …`: the literature audit from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from langgap.cli_options import MODEL_UNDER_TEST, AnnotatorModelOption, OldModelOption, renamed
from langgap.survey import cli_annotation as annotation_commands
from langgap.survey import cli_fulltext as fulltext_commands
from langgap.survey import cli_learned as learned_commands
from langgap.survey import cli_quality as quality_commands
from langgap.survey.screen import DEFAULT_FIELDS, DEFAULT_KEYWORDS, ScreenConfig

if TYPE_CHECKING:  # the LLM annotator imports Inspect, which `langgap --help` should not wait for
    from langgap.survey.annotate import Annotator
    from langgap.survey.llm_annotator import LLMAnnotator
    from langgap.survey.stats import SurveyStats

app = typer.Typer(help="Audit the language gap in LLM-safety research.", no_args_is_help=True)
console = Console(stderr=True)
annotation_commands.register(app)
fulltext_commands.register(app)
quality_commands.register(app)
learned_commands.register(app)


def parse_years(text: str) -> tuple[int, int]:
    """'2020-2024' or '2023' → an inclusive year range."""
    parts = [p.strip() for p in text.replace("–", "-").split("-")]
    try:
        years = [int(p) for p in parts if p]
    except ValueError:
        raise typer.BadParameter(f"{text!r}: give years as 2020-2024 or 2023") from None
    if len(years) == 1:
        return years[0], years[0]
    if len(years) != 2 or years[0] > years[1]:
        raise typer.BadParameter(f"{text!r}: give years as FIRST-LAST, e.g. 2020-2024")
    return years[0], years[1]


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


@app.command("run")
def run(
    out: Annotated[Path, typer.Option(help="Folder for stats.json, papers.csv and the report.")],
    anthology: Annotated[
        str | None,
        typer.Option(
            help="Anthology data folder (holding xml/ and yaml/) or BibTeX export. Default "
            "(also 'auto'), unless --papers is given alone: the data folders (--data-dir, "
            "$LANGGAP_DATA_DIR, ../shared/data, the user data directory), downloaded on first use."
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder holding acl-anthology/ (see `langgap data where acl-anthology`)."
        ),
    ] = None,
    papers: Annotated[
        list[Path] | None,
        typer.Option(
            "--papers", help="More papers: BibTeX (.bib, .bib.gz), RIS or CSV/XLSX. Repeatable."
        ),
    ] = None,
    years: Annotated[str, typer.Option(help="Inclusive year range.")] = "2020-2024",
    keywords: Annotated[
        str,
        typer.Option(help="Comma-separated whole words the screen looks for (case-insensitive)."),
    ] = ",".join(DEFAULT_KEYWORDS),
    fields: Annotated[
        str, typer.Option(help="Comma-separated fields to screen: abstract, title.")
    ] = ",".join(DEFAULT_FIELDS),
    annotator: Annotated[
        str,
        typer.Option(
            help="Annotator: rules (transparent patterns), learned (trained on human labels; "
            "calibrated probabilities, uncertain papers flagged) or llm (needs --annotator-model)."
        ),
    ] = "rules",
    learned_model: Annotated[
        Path | None,
        typer.Option(
            help="Model for --annotator learned (from `survey learn`); default: the packaged "
            "model trained on the reference annotation."
        ),
    ] = None,
    flag_below: Annotated[
        float,
        typer.Option(
            help="--annotator learned: flag papers whose least certain decision has a "
            "probability below this (0.5-1.0) for a person to check."
        ),
    ] = 0.7,
    annotator_model: AnnotatorModelOption = None,
    model: OldModelOption = None,
    concurrency: Annotated[int, typer.Option(help="LLM requests in flight at once.")] = 8,
    strict: Annotated[bool, typer.Option(help="Stop at the first malformed input file.")] = False,
    cache: Annotated[bool, typer.Option(help="Reuse cached parses and annotations.")] = True,
    report: Annotated[bool, typer.Option(help="Write report.html, report.md and figures.")] = True,
    fulltext: Annotated[
        bool,
        typer.Option(
            help="Download each kept paper's PDF (cached, resumable) and annotate languages and "
            "documentation from the full text; offline it falls back to abstracts."
        ),
    ] = False,
    gold: Annotated[
        Path | None,
        typer.Option(
            help="Gold labels (gold.csv from `survey adjudicate`, or `reference`: the packaged "
            "reference annotation): adds label quality. Without it, a run that screens the "
            "reference's papers is scored against the reference."
        ),
    ] = None,
    reference_quality: Annotated[
        bool,
        typer.Option(
            "--reference-quality/--no-reference-quality",
            help="Score against the packaged reference annotation when no --gold is given.",
        ),
    ] = True,
) -> None:
    """Read the Anthology (and other exports), screen, annotate, count and report."""
    from langgap.survey.fetch import resolve_anthology
    from langgap.survey.pipeline import SurveyConfig, run_survey
    from langgap.survey.reference import resolve_gold
    from langgap.survey.sources.errors import SourceError

    if annotator not in ("rules", "learned", "llm"):
        raise typer.BadParameter(f"unknown annotator {annotator!r}; available: rules, learned, llm")
    model = renamed(
        annotator_model,
        model,
        old_name="--model",
        new_name="--annotator-model",
        why=MODEL_UNDER_TEST,
    )
    if annotator == "llm" and not model:
        raise typer.BadParameter(
            "--annotator llm needs --annotator-model MODEL (any Inspect model name)"
        )
    try:
        screen_config = ScreenConfig(_split(keywords), _split(fields), parse_years(years))
        # --papers alone reads only those; otherwise the Anthology too
        wanted = anthology is not None or not papers
        root = resolve_anthology(anthology, data_dir) if wanted else None
        config = SurveyConfig(
            anthology=root,
            out=out,
            extra_sources=tuple(papers or ()),
            screen=screen_config,
            strict=strict,
            use_cache=cache,
            write_report=report,
            fulltext=fulltext,
            gold=resolve_gold(gold) if gold is not None else None,
            reference_quality=reference_quality,
            compare_with_rules=annotator == "llm",
        )
        use_llm = annotator == "llm" and model is not None
        chosen = _llm_annotator(model, concurrency, screen_config) if use_llm and model else None
        selected: Annotator | None = chosen
        if annotator == "learned":
            from langgap.survey.learned.annotator import LearnedAnnotator

            selected = LearnedAnnotator(learned_model, flag_below)
        with Progress(
            TextColumn("[bold]reading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=True,
        ) as bar:  # fmt: skip
            task = bar.add_task("read", total=None)
            result = run_survey(
                config,
                annotator=selected,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except (SourceError, ValueError) as error:  # ModelFileError is a ValueError
        console.print(f"error: {error}", style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    _summary(result.stats.stats, result.timings, result.parsed_files, result.annotated)
    for issue in result.stats.issues:
        console.print(f"[yellow]skipped[/yellow] {issue.file}:{issue.line}: {issue.message}")
    if chosen is not None:
        console.print(f"LLM annotator: {chosen.usage.summary()}", markup=False)
        console.print(f"rules vs LLM disagreements: {out / 'disagreements.csv'}", markup=False)
    line = result.stats.label_quality_line
    if line and line.get("flagged") is not None:
        console.print(
            f"learned annotator: {line['flagged']} of {result.stats.stats.screened} papers flagged "
            f"for a person (least certain decision below {line['flag_below']:g}; column "
            "`flagged` in papers.csv)",
            markup=False,
        )
    if result.stats.fulltext is not None:
        console.print(f"full text: {result.stats.fulltext.message}", markup=False)
    console.print(f"wrote {len(result.files)} files to {out}")


def _llm_annotator(model: str, concurrency: int, screen_config: ScreenConfig) -> LLMAnnotator:
    from langgap.survey.annotate import RuleAnnotator
    from langgap.survey.llm_annotator import LLMAnnotator  # imports Inspect: only when used

    return LLMAnnotator(
        model, concurrency=concurrency, fallback=RuleAnnotator(screen_config.pattern())
    )


def _summary(stats: SurveyStats, timings: dict[str, float], parsed: int, fresh: int) -> None:
    table = Table(title="survey", show_header=False)
    for key in ("total_papers", "screened", "kept", "no_abstract", "english_only_share"):
        table.add_row(key, str(getattr(stats, key)))
    table.add_row("files parsed / annotations computed", f"{parsed} / {fresh}")
    table.add_row("seconds", " ".join(f"{k} {v:.2f}" for k, v in timings.items()))
    console.print(table)
