"""`langgap eval`: run benchmarks on models through Inspect; report the worst language first."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from langgap.evaluate.judge_registry import choices_text, judge_entry

# Inspect takes seconds to import: the commands import it when they run, not `langgap --help`.
if TYPE_CHECKING:
    from langgap.evaluate.run import Display
    from langgap.evaluate.thresholds import ThresholdSpec

app = typer.Typer(
    help="Evaluate models across languages (Inspect eval sets) and report the language gap.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _split(values: list[str] | None) -> list[str] | None:
    """`--languages bn,sw --languages jv` -> ["bn", "sw", "jv"]."""
    items = [v.strip() for value in values or [] for v in value.split(",") if v.strip()]
    return items or None


@app.command()
def run(
    benchmarks: Annotated[
        list[str] | None,
        typer.Argument(
            help="multijail, xsafety, csrt, polyrefuse, or a prompt table path (or --benchmark)."
        ),
    ] = None,
    model: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="Inspect model; repeat it.")
    ] = None,
    benchmark: Annotated[
        list[str] | None,
        typer.Option(
            help="The same as the positional benchmarks (comma-separated or repeated), the "
            "spelling `probe` and `analyze` use."
        ),
    ] = None,
    languages: Annotated[
        list[str] | None, typer.Option(help="Languages (comma-separated).")
    ] = None,
    categories: Annotated[list[str] | None, typer.Option(help="Harm categories.")] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Prompts per language (the first ones; split between harmful and harmless "
            "prompts when a benchmark has both).",
        ),
    ] = None,
    sample_per_language: Annotated[
        int | None, typer.Option(min=1, help="Random prompts per language.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for --sample-per-language.")] = 0,
    judge: Annotated[str, typer.Option(help=f"{choices_text()}.")] = "refusal",
    judge_model: Annotated[str | None, typer.Option(help="Model for the llm/guard judge.")] = None,
    probe: Annotated[
        list[str] | None,
        typer.Option(help="Probe kind evaluated beside the originals (repeatable): arabizi, …"),
    ] = None,
    probe_param: Annotated[
        list[str] | None,
        typer.Option(help="Probe parameter key=value (repeatable), e.g. languages=en,bn."),
    ] = None,
    max_connections: Annotated[int, typer.Option(min=1, help="Concurrent requests per model.")] = 8,
    max_samples: Annotated[
        int | None,
        typer.Option(min=1, help="Samples in flight per task (default 2 x max-connections)."),
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option(min=1, help="Max new tokens per response.")
    ] = None,
    log_dir: Annotated[Path, typer.Option(help="Log folder; rerun with it to resume.")] = Path(
        "logs"
    ),
    log_dir_allow_dirty: Annotated[
        bool,
        typer.Option(
            "--log-dir-allow-dirty",
            help="Allow logs of runs with other arguments in --log-dir (a report over the "
            "folder then reads them all).",
        ),
    ] = False,
    retries: Annotated[
        int,
        typer.Option(
            min=0,
            help="Times a sample is run again after its model call failed for good (its "
            "--max-retries spent); 0: record it as errored at once. Requests per sample: at most "
            "(max-retries + 1) x (retries + 1).",
        ),
    ] = 2,
    max_retries: Annotated[
        int,
        typer.Option(
            min=0,
            help="Retries of one model call after a failed request (HTTP 429/5xx, connection "
            "error, time-out): at most max-retries + 1 requests per call. openai and openai-api "
            "clients' own retries are turned off, so this is the only per-call count.",
        ),
    ] = 3,
    timeout: Annotated[
        int | None, typer.Option(min=1, help="Seconds per model call, retries included.")
    ] = 120,
    data_dir: Annotated[str | None, typer.Option(help="Folder holding the benchmarks.")] = None,
    display: Annotated[
        str, typer.Option(help="Inspect display: plain, rich, full, none.")
    ] = "plain",
    retry_errored: Annotated[
        bool,
        typer.Option(help="On a rerun, ask an earlier run's errored samples again."),
    ] = True,
) -> None:
    """Run benchmarks × models as one resumable Inspect eval set (rerun to finish a killed run)."""
    from langgap.evaluate.benchmarks import BenchmarkError
    from langgap.evaluate.preflight import RunError
    from langgap.evaluate.probe_cli import parse_params
    from langgap.evaluate.probes.base import ProbeError
    from langgap.evaluate.run import RunOptions, run_eval

    chosen = [*(benchmarks or []), *(_split(benchmark) or [])]
    if not chosen:
        raise typer.BadParameter("name at least one benchmark, e.g. `langgap eval run multijail`")
    if not model:
        raise typer.BadParameter("give the model under test: -m/--model, e.g. -m openai/gpt-4o")
    options = RunOptions(
        benchmarks=list(dict.fromkeys(chosen)),
        models=model,
        languages=_split(languages),
        categories=_split(categories),
        limit=limit,
        sample_per_language=sample_per_language,
        seed=seed,
        judge=judge,
        judge_model=judge_model,
        data_dir=data_dir,
        log_dir=str(log_dir),
        log_dir_allow_dirty=log_dir_allow_dirty,
        max_connections=max_connections,
        max_samples=max_samples,
        max_tokens=max_tokens,
        retries=retries,
        max_retries=max_retries,
        timeout=timeout,
        display=_display(display),
        probes=tuple(probe or ()),
        probe_params=parse_params(probe_param),
        retry_errored=retry_errored,
    )
    try:
        outcome = run_eval(options)
    except (BenchmarkError, ProbeError, RunError) as err:
        _fail(err)
    table = Table("Task", "Model", "Status", "Samples", "Errored", title=f"Logs in {log_dir}")
    for column in table.columns:  # long task and model names fold at 80 columns, never cut
        column.overflow = "fold"
    for log in outcome.logs:
        samples = f"{log.logged} of {log.planned}" if log.logged < log.planned else str(log.total)
        table.add_row(log.task, log.model, log.status, samples, str(log.errored))
    console = Console()
    if outcome.reasked:
        console.print(f"Asked {outcome.reasked} errored sample(s) of the earlier run again.")
    console.print(table)
    if outcome.not_run:
        from langgap.evaluate.cards import NOT_RUN_LEAD, not_run_text

        console.print(f"{NOT_RUN_LEAD} {not_run_text(outcome.not_run)}", markup=False)
    if outcome.errored:
        console.print(
            f"{outcome.errored} sample(s) errored after retries; they are counted, not scored. "
            "Rerun the same command to ask them again.",
            markup=False,
        )
    if outcome.interrupted is not None:
        missing, planned = outcome.interrupted
        console.print(
            f"interrupted: {missing} of {planned} samples not run; rerun the same command to "
            "resume",
            markup=False,
        )
        raise typer.Exit(130)  # the shell's code for a run stopped by SIGINT
    if not outcome.success:
        console.print("The run did not finish; rerun the same command to resume it.")
        raise typer.Exit(1)
    if outcome.errored:
        raise typer.Exit(1)  # a run with unscored samples is not a clean pass
    if judge_entry(judge).factory is None:  # --judge none: generated now, nothing scored
        console.print(
            f"Completed: every sample ran; none was scored (--judge {judge}). Score the logs "
            "later with `inspect score`.",
            markup=False,
        )
    else:
        console.print("Completed successfully: every sample ran and was scored.", markup=False)


def _fail(err: Exception) -> NoReturn:
    """One plain line on stderr (no traceback, no markup), exit status 2."""
    from langgap.evaluate.preflight import one_line

    Console(stderr=True, soft_wrap=True).print(
        f"error: {one_line(err)}", style="red", markup=False, highlight=False
    )
    raise typer.Exit(2)


def _display(value: str) -> Display:
    choices: tuple[Display, ...] = ("full", "conversation", "rich", "plain", "log", "none")
    if value not in choices:
        raise typer.BadParameter(
            f"--display must be one of {', '.join(choices)}, got {value!r}. Fix: e.g. "
            "--display plain"
        )
    return value


@app.command()
def report(
    logs: Annotated[list[Path], typer.Argument(help="Log folders or .eval/.json files.")],
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("eval-report"),
    thresholds: Annotated[Path | None, typer.Option(help="YAML: language -> minimum.")] = None,
    minimum: Annotated[
        float | None,
        typer.Option(min=0.0, max=100.0, help="One minimum (0-100 %) for all languages."),
    ] = None,
    adaptive: Annotated[
        str | None, typer.Option(help="reference:MODEL,MODEL or relative-to-english.")
    ] = None,
    margin: Annotated[
        float, typer.Option(min=0.0, max=100.0, help="Points (0-100) below the adaptive reference.")
    ] = 0.0,
    standard: Annotated[
        list[str] | None,
        typer.Option(help="Languages a card must cover (default: top 20 by speakers)."),
    ] = None,
    show_prompts: Annotated[
        bool,
        typer.Option(help="Include prompts and responses of unsafe/unclear samples (escaped)."),
    ] = False,
    judge_cards: Annotated[
        list[Path] | None,
        typer.Option(help="judge_card.json files or folders from `langgap judge eval`."),
    ] = None,
    n_boot: Annotated[
        int,
        typer.Option(
            min=1,
            help="Bootstrap resamples for paired comparisons (per-language 95% intervals are "
            "Wilson score intervals, no resampling).",
        ),
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
) -> None:
    """Report per language, worst first: harmlessness (harm judges) or the refusal rate (refusal
    judge, a lower bound of harmlessness); terminal table, MD/CSV/HTML/JSON, cards."""
    from langgap.evaluate.report import ReportOptions, write_report
    from langgap.evaluate.report_terminal import print_report
    from langgap.evaluate.results import ResultsError
    from langgap.evaluate.thresholds import ThresholdError, as_rule

    spec = _threshold_spec(thresholds, minimum, adaptive, margin)
    codes = _standard(_split(standard))
    try:
        rule = as_rule(spec)  # a bad threshold file fails before the logs are read
        options = ReportOptions(rule, codes, show_prompts, n_boot, seed, tuple(judge_cards or ()))
        built, written = write_report(logs, out, options)
    except ResultsError as err:
        _fail(_corrupt_log(logs) or err)
    except (ThresholdError, OSError) as err:
        raise typer.BadParameter(str(err)) from err
    console = Console()
    print_report(console, built)
    console.print(f"Wrote {len(written)} files to {out}")


def _corrupt_log(logs: list[Path]) -> Exception | None:
    """One line naming an unreadable log in a folder and how to move it away (as `eval run`)."""
    from langgap.evaluate.preflight import corrupt_log_error

    return next((e for d in logs if d.is_dir() and (e := corrupt_log_error(str(d)))), None)


def _threshold_spec(
    path: Path | None, minimum: float | None, adaptive: str | None, margin: float
) -> ThresholdSpec:
    given = [x is not None for x in (path, minimum, adaptive)]
    if sum(given) > 1:
        raise typer.BadParameter(
            "--thresholds, --minimum and --adaptive are alternatives. Fix: give only one of them"
        )
    if adaptive is None:
        return path if path is not None else minimum
    from langgap.evaluate.thresholds import Reference, RelativeToEnglish

    key = adaptive.strip().casefold()
    if key in ("relative-to-english", "relative_to_english"):
        return RelativeToEnglish(margin=margin)
    if key.startswith("reference:"):
        models = tuple(m.strip() for m in adaptive.split(":", 1)[1].split(",") if m.strip())
        if not models:
            raise typer.BadParameter(
                f"--adaptive {adaptive!r} names no model. Fix: --adaptive reference:MODEL,MODEL"
            )
        return Reference(models=models, margin=margin)
    raise typer.BadParameter(
        f"--adaptive must be reference:MODEL,MODEL or relative-to-english, got {adaptive!r}"
    )


def _standard(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    from langgap.languages import lookup

    try:
        return [lookup(v).code for v in values]
    except ValueError as err:
        raise typer.BadParameter(
            f"--standard: {err}. Fix: give language names or ISO codes, e.g. --standard en,bn"
        ) from err


if __name__ == "__main__":
    app()
