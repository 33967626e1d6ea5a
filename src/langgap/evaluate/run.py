"""Run benchmarks × models as one Inspect eval set: resumable, retried, low per-sample overhead.

Re-running the same call with the same `log_dir` finishes an interrupted run: Inspect's eval set
pairs each task with its log, recovers a killed run's finished samples from the log and the
sample buffer, and runs only what is missing (`eval_retry` semantics). A sample whose model call
keeps failing is retried (`max_retries` per call, `retries` per sample), then recorded as errored
while the rest of the run goes on (`fail_on_error=False`); rerunning the finished run asks those
errored samples again and keeps the others (`errored.py`).

>>> outcome = run_eval(RunOptions(["multijail"], ["openai-api/vllm/llama"]))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import rich
from inspect_ai import Task, eval_set, task_with
from inspect_ai._util.error import PrerequisiteError
from inspect_ai.log import list_eval_logs, read_eval_log, read_eval_log_sample_summaries
from inspect_ai.model import Model, get_model
from rich.console import ConsoleRenderable, RenderHook
from rich.text import Text

from langgap._gc import long_lived_objects_frozen
from langgap.evaluate import tasks as task_module
from langgap.evaluate.benchmarks import BENCHMARKS, BenchmarkError, LanguagesMissingError
from langgap.evaluate.coverage import PLANNED_KEY, UNFINISHED, planned_counts
from langgap.evaluate.errored import invalidate_errored
from langgap.evaluate.judge_registry import (
    UnknownJudgeError,
    build_scorer,
    find_judge,
    is_refusal_judge,
    judge_entry,
)
from langgap.evaluate.preflight import (
    check_languages,
    check_models,
    corrupt_log_error,
    explain_prerequisite,
    probe_servers,
)

Display = Literal["full", "conversation", "rich", "plain", "log", "none"]
# providers whose client (the openai SDK) retries a failed request itself, 2 times by default,
# inside each of Inspect's attempts: their client gets max_retries=0, so that `max_retries` is
# the only per-call retry count (requests per sample: (max_retries + 1) x (retries + 1))
SDK_RETRYING = frozenset({"openai", "openai-api"})


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What to evaluate, on which models, and how hard to push the servers."""

    benchmarks: Sequence[str]  # benchmark names, or paths to prompt tables
    models: Sequence[str]  # Inspect model names, e.g. "openai-api/vllm/meta-llama/…"
    languages: Sequence[str] | None = None
    categories: Sequence[str] | None = None
    limit: int | None = None  # prompts per language (pairs kept across languages)
    sample_per_language: int | None = None
    seed: int = 0
    judge: str = "refusal"
    judge_model: str | None = None
    data_dir: str | None = None
    log_dir: str = "logs"
    # True: the log folder may hold logs of runs with other arguments (Inspect's option)
    log_dir_allow_dirty: bool = False
    max_connections: int = 8
    # default 2 x max_connections: a sample's own work (judging, logging) overlaps other samples'
    # model calls, so every connection stays busy; the connection limit still caps the server load
    max_samples: int | None = None
    max_tokens: int | None = None
    retries: int = 2  # whole-sample retries after a failed model call
    max_retries: int = 3  # retries of one model call (transient HTTP errors, time-outs)
    timeout: int | None = 120  # seconds for one model call, retries included
    retry_attempts: int = 2  # eval-set passes over failed tasks
    retry_wait: float = 5.0
    # rerunning a finished run asks its errored samples again (see evaluate/errored.py)
    retry_errored: bool = True
    display: Display = "plain"
    log_buffer: int | None = None  # samples buffered before a log write (Inspect default)
    extra: dict[str, Any] = field(default_factory=dict)  # further eval_set() keyword arguments
    probes: Sequence[str] = ()  # probe kinds: their variants are evaluated beside the originals
    probe_params: dict[str, Any] = field(default_factory=dict)  # keyword arguments for the probes


@dataclass(frozen=True, slots=True)
class LogSummary:
    """One task × model log of a run: where it is and how many samples failed."""

    location: str
    task: str
    model: str
    status: str
    total: int
    completed: int
    planned: int = 0  # samples the task was to run (ids x epochs)
    logged: int = 0  # samples the log holds finished (fewer than planned after an interruption)

    @property
    def errored(self) -> int:
        """Samples that ended with an error (retries exhausted); samples an interrupted run never
        reached are not run, not errored."""
        if self.status in UNFINISHED:
            return 0  # an unfinished log's unscored samples were cut off, not errored
        return max(self.total - self.completed, 0)


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """Whether every task finished, and a summary per log."""

    success: bool
    log_dir: str
    logs: tuple[LogSummary, ...]
    reasked: int = 0  # errored samples of an earlier run that this run asked again
    # (benchmark, language) pairs left out, "benchmark:tag": the benchmark lacks the language
    not_run: tuple[str, ...] = ()

    @property
    def errored(self) -> int:
        """Samples that errored across all logs."""
        return sum(log.errored for log in self.logs)

    @property
    def interrupted(self) -> tuple[int, int] | None:
        """(samples not run, samples planned) when a log of this run stopped unfinished (Ctrl-C,
        SIGINT); None when every log finished."""
        stopped = [log for log in self.logs if log.status in UNFINISHED]
        if not stopped:
            return None
        planned = sum(log.planned for log in stopped)
        return sum(max(log.planned - log.logged, 0) for log in stopped), planned


def _names(values: Sequence[str] | None) -> list[str] | None:
    return list(values) if values else None


def build_tasks(options: RunOptions) -> list[Task]:
    """One Inspect task per benchmark, with the selection and judge of `options`."""
    return plan_tasks(options)[0]


def plan_tasks(options: RunOptions) -> tuple[list[Task], tuple[str, ...]]:
    """The tasks of `options`, and the (benchmark, language) pairs left out, as "benchmark:tag".

    With several benchmarks each runs the requested languages it has (a benchmark with none of
    them is left out); a language that none of them has is an error. Every task's metadata names
    the pairs left out (`languages_not_run`), so that the report lists them.
    """
    several = bool(options.languages) and len(options.benchmarks) > 1
    tasks: list[Task] = []
    not_run: list[tuple[str, str]] = []
    available: dict[str, list[str]] = {}
    for benchmark in options.benchmarks:
        try:
            task = _build_task(benchmark, options, skip_missing_languages=several)
        except LanguagesMissingError as err:
            not_run += [(err.benchmark, tag) for tag in err.missing]
            available[err.benchmark] = err.available
            continue
        report = (task.metadata or {}).get("load_report", {})
        not_run += [(str(report["benchmark"]), tag) for tag in report["missing_languages"]]
        available[str(report["benchmark"])] = sorted(report["counts"])
        tasks.append(task)
    lacking = {tag for _, tag in not_run}
    nowhere = [tag for tag in lacking if sum(t == tag for _, t in not_run) == len(available)]
    if nowhere:
        have = "; ".join(f"{b}: {', '.join(tags)}" for b, tags in available.items())
        raise BenchmarkError(
            f"no benchmark has {', '.join(sorted(nowhere))}; their languages: {have}. Fix: "
            "leave it out of --languages, or add a benchmark that has it"
        )
    pairs = tuple(f"{b}:{tag}" for b, tag in sorted(set(not_run)))
    if pairs:
        for task in tasks:
            task.metadata = {**(task.metadata or {}), "languages_not_run": list(pairs)}
    return tasks, pairs


def _build_task(benchmark: str, options: RunOptions, *, skip_missing_languages: bool) -> Task:
    """One benchmark's task, with the selection, judge and probes of `options`."""
    try:
        entry = judge_entry(options.judge)
    except UnknownJudgeError as err:
        raise BenchmarkError(str(err)) from None
    judge = entry.name
    # judges the task itself knows are task arguments (so they enter the log and task identity);
    # the others are attached below and named in the task name, which also keeps them distinct
    native = entry.task_argument
    selection: dict[str, Any] = {
        "languages": _names(options.languages),
        "categories": _names(options.categories),
        "limit": options.limit,
        "sample_per_language": options.sample_per_language,
        "seed": options.seed,
        "judge": judge if native else "none",
    }
    if skip_missing_languages:  # a task argument only when used: other runs keep their identity
        selection["missing_languages"] = "skip"
    key = benchmark.strip().casefold()
    task: Task
    if key in BENCHMARKS:
        task = getattr(task_module, key)(data_dir=options.data_dir, **selection)
    elif Path(benchmark).exists() or benchmark.startswith("hf:"):
        task = task_module.dataset(path=benchmark, **selection)
    else:
        raise BenchmarkError(
            f"unknown benchmark {benchmark!r}: use one of {', '.join(BENCHMARKS)} or the path "
            "of a prompt table (CSV/TSV/JSONL/JSON/XLSX)"
        )
    if not native:  # the registry imports a model judge's module only now
        task = task_with(task, scorer=build_scorer(judge), name=f"{task.name}_{judge}")
    if options.probes:
        task = _with_probes(task, options)
    return task


def _params_for(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """Parameters for one probe: plain keys go to every probe, "kind.key" only to that one."""
    plain = {k: v for k, v in params.items() if "." not in k}
    prefix = f"{kind.replace('-', '_')}."
    scoped = {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}
    return plain | scoped


def _with_probes(task: Task, options: RunOptions) -> Task:
    """The task's originals plus each probe's variants (same pair ids), so uplift is paired."""
    from inspect_ai.dataset import MemoryDataset

    from langgap.evaluate.probes import get_probe

    originals = list(task.dataset)
    samples = list(originals)
    for kind in options.probes:
        params = _params_for(kind, options.probe_params)
        variants, _ = get_probe(kind, **params).apply(originals, seed=options.seed)
        samples.extend(variants)
    name = f"{task.name}_{'_'.join(options.probes)}"
    metadata = {**(task.metadata or {}), PLANNED_KEY: planned_counts(s.metadata for s in samples)}
    return task_with(task, dataset=MemoryDataset(samples, name=name), name=name, metadata=metadata)


def _model_roles(options: RunOptions) -> dict[str, str] | None:
    entry = find_judge(options.judge)
    role = entry.role if entry else None
    if role is None or not options.judge_model:
        return None
    return {role: options.judge_model}


def eval_set_kwargs(options: RunOptions) -> dict[str, Any]:
    """The eval_set() settings: resumable, errors retried then recorded, little per-sample work."""
    kwargs: dict[str, Any] = {
        "log_dir": options.log_dir,
        "log_dir_allow_dirty": options.log_dir_allow_dirty,
        "model": list(options.models),
        "model_roles": _model_roles(options),
        "display": options.display,
        "retry_attempts": options.retry_attempts,
        "retry_wait": options.retry_wait,
        "max_connections": options.max_connections,
        "max_samples": options.max_samples or 2 * options.max_connections,
        # samples must be logged: the report reads verdicts from them
        "log_samples": True,
        # cheap per sample: no images, no running score display, no model API payloads in logs
        "log_images": False,
        "log_model_api": False,
        "score_display": False,
        # a failed sample is retried, then recorded as errored; the run goes on
        "fail_on_error": False,
        "retry_on_error": options.retries or None,
        "max_retries": options.max_retries,
        "timeout": options.timeout,
    }
    if options.log_buffer is not None:
        kwargs["log_buffer"] = options.log_buffer
    if options.max_tokens is not None:
        kwargs["max_tokens"] = options.max_tokens
    kwargs.update(options.extra)
    return kwargs


def _summary(log: Any) -> LogSummary:
    results = log.results
    if results is not None:
        total, completed = results.total_samples, results.completed_samples
    elif log.location and log.status == "success":
        # no results when every sample errored: count them from the samples, never as zero
        summaries = read_eval_log_sample_summaries(log.location)
        total, completed = len(summaries), sum(1 for s in summaries if s.error is None)
    else:
        total = completed = 0
    planned = len(log.eval.dataset.sample_ids or []) * (log.eval.config.epochs or 1)
    logged = planned
    if log.status in UNFINISHED and log.location:
        # samples in flight when the run stopped are logged unfinished: they count as not run
        summaries = read_eval_log_sample_summaries(log.location)
        logged = sum(1 for s in summaries if s.error is None and s.completed)
    return LogSummary(
        location=str(log.location),
        task=str(log.eval.task),
        model=str(log.eval.model),
        status=str(log.status),
        total=int(total),
        completed=int(completed),
        planned=planned,
        logged=logged,
    )


def _latest_logs(log_dir: str) -> list[Any]:
    """The newest log header of each task x model in the folder: after Ctrl-C Inspect's eval set
    reports success with no logs, and only the folder knows the run stopped (a resumed run that
    is stopped again keeps writing its first log, so creation time cannot tell)."""
    newest: dict[tuple[str, str], tuple[float, Any]] = {}
    for info in list_eval_logs(log_dir):
        header = read_eval_log(info.name, header_only=True)
        key = (header.eval.task_id, header.eval.model)
        mtime = float(info.mtime or 0.0)
        if key not in newest or mtime > newest[key][0]:
            newest[key] = (mtime, header)
    return [header for _, header in newest.values()]


def run_eval(options: RunOptions) -> RunOutcome:
    """Run (or finish) the eval set described by `options` and summarise its logs."""
    if not options.models:
        raise BenchmarkError("no model given; pass at least one --model")
    check_models(options.models)
    check_languages(options.languages)
    probe_servers(options.models)
    tasks, not_run = plan_tasks(options)
    Path(options.log_dir).mkdir(parents=True, exist_ok=True)
    # a log's `created` has whole seconds: one created in this second belongs to this run, and
    # must not count as an earlier run's (its errored samples would be asked again at once)
    started = datetime.now(UTC).replace(microsecond=0)
    reasked = 0
    _build_judge_tables(tasks, options.judge)
    with long_lived_objects_frozen():
        success, logs = _eval_set(tasks, options)
        # logs the eval set reused from an earlier run (not run now) may hold errored samples
        earlier = [log for log in logs if datetime.fromisoformat(log.eval.created) < started]
        if options.retry_errored and (marked := invalidate_errored(earlier)):
            reasked = sum(m.samples for m in marked)
            success, logs = _eval_set(tasks, options)
    expected = len(tasks) * len(options.models)
    if len(logs) < expected or any(log.status in UNFINISHED for log in logs):
        logs = _latest_logs(options.log_dir) or logs
    summaries = tuple(_summary(log) for log in logs)
    return RunOutcome(success, options.log_dir, summaries, reasked, not_run)


def _build_judge_tables(tasks: list[Task], judge: str) -> None:
    """Build the refusal judge's cue tables for the run's languages before the run starts (then
    they are also old enough for the collector freeze below)."""
    if not is_refusal_judge(judge):
        return
    from langgap.evaluate.judges._model import sample_language
    from langgap.evaluate.judges.refusal import prepare

    languages = sorted({sample_language(s.metadata) or "" for t in tasks for s in t.dataset})
    prepare([x or None for x in languages])


def _model(name: str) -> str | Model:
    """The model as eval_set() gets it: SDK_RETRYING providers with the client's retries off."""
    if name.split("/", 1)[0] not in SDK_RETRYING:
        return name
    return get_model(name, memoize=False, max_retries=0)


def _eval_set(tasks: list[Task], options: RunOptions) -> tuple[bool, list[Any]]:
    """eval_set(), with a missing key, a dirty or corrupt log folder as one-line RunErrors."""
    try:
        kwargs = eval_set_kwargs(options)
        kwargs["model"] = [_model(name) for name in options.models]
        if kwargs["model_roles"]:
            kwargs["model_roles"] = {r: _model(m) for r, m in kwargs["model_roles"].items()}
        with _inspect_verdict_hidden(options.display):
            success, logs = eval_set(tasks, **kwargs)
    except PrerequisiteError as err:
        raise explain_prerequisite(err, options.log_dir) from err
    except Exception as err:
        # an unreadable log stops Inspect with a bare zip/JSON error: name the file instead
        if (corrupt := corrupt_log_error(options.log_dir)) is not None:
            raise corrupt from err
        raise
    return success, list(logs)


# Inspect's closing line of an eval set: "Completed all tasks in '…' successfully" even after
# Ctrl-C or when every sample errored; langgap's own summary, from the logs, replaces it
INSPECT_VERDICTS = ("Completed all tasks in ", "Did not successfully complete all tasks in ")


class _VerdictFilter(RenderHook):
    """Drops Inspect's closing status line from what the console prints; all else passes."""

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [r for r in renderables if not _is_verdict(r)]


def _is_verdict(renderable: ConsoleRenderable) -> bool:
    return isinstance(renderable, Text) and renderable.plain.startswith(INSPECT_VERDICTS)


@contextmanager
def _inspect_verdict_hidden(display: Display) -> Iterator[None]:
    """While the eval set runs, the global console (the one Inspect prints its verdict with)
    leaves that line out: a render hook, rich's public way to filter what a console prints."""
    # Inspect's display, made once per process, reconfigures the global console (which drops
    # its render hooks): made first here, with the type eval_set() would set, the hook stays.
    # Private modules: should they move, the verdict line shows again and the run goes on
    try:
        from inspect_ai._display.core.active import display as inspect_display
        from inspect_ai.util._display import init_display_type
    except ImportError:
        pass
    else:
        init_display_type(display)
        inspect_display()
    console, hook = rich.get_console(), _VerdictFilter()
    console.push_render_hook(hook)
    try:
        yield
    finally:
        # removed by identity: Inspect's live displays push and pop hooks of their own
        with console._lock, suppress(ValueError):
            console._render_hooks.remove(hook)
