"""Redo a finished run's errored samples when the same run is started again.

With `fail_on_error=False` a sample whose model call kept failing is recorded as errored and the
log still ends "success", so Inspect's eval set would reuse it as it is on a rerun and the errored
samples would never be asked again (a server that was down for an hour stays a hole in the
results). Marking them invalidated is Inspect's own way to say "run these again": the next eval
set reruns exactly those samples and keeps every other finished one.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from inspect_ai.log import (
    EvalLog,
    ProvenanceData,
    invalidate_samples,
    list_eval_logs,
    read_eval_log,
    read_eval_log_sample_summaries,
    write_eval_log,
)

REASON = "errored after retries in an earlier run; langgap eval run asks it again"


@dataclass(frozen=True, slots=True)
class Invalidated:
    """One log whose errored samples will be run again."""

    location: str
    task: str
    model: str
    samples: int


def _latest_logs(log_dir: str) -> list[EvalLog]:
    """Each task × model's newest log header (an interrupted run leaves older ones behind)."""
    latest: dict[tuple[str, str], tuple[float, EvalLog]] = {}
    for info in list_eval_logs(log_dir, recursive=True):
        header = read_eval_log(info.name, header_only=True)
        key, mtime = (header.eval.task_id, header.eval.model), info.mtime or 0.0
        if key not in latest or mtime > latest[key][0]:
            latest[key] = (mtime, header)
    return [header for _, header in latest.values()]


def _task_names(name: str) -> set[str]:
    """A task matches by its name with or without the registry package ("langgap/multijail")."""
    return {name, name.rsplit("/", 1)[-1]}


def invalidate_errored(
    log_dir: str | Path, tasks: Collection[str], models: Collection[str]
) -> list[Invalidated]:
    """Mark the errored samples of finished logs of these tasks × models for the next eval set.

    Only logs that ended "success" are touched: an unfinished log is resumed by the eval set
    anyway, and its errored samples with it. Logs of other tasks or models are left alone.
    """
    if not Path(log_dir).is_dir():
        return []
    wanted = {n for task in tasks for n in _task_names(task)}
    done: list[Invalidated] = []
    for header in _latest_logs(str(log_dir)):
        if header.status != "success" or header.invalidated:
            continue
        if not _task_names(header.eval.task) & wanted or header.eval.model not in models:
            continue
        errored = [
            s.uuid for s in read_eval_log_sample_summaries(header.location) if s.error and s.uuid
        ]
        if not errored:
            continue
        log = read_eval_log(header.location)
        provenance = ProvenanceData(author="langgap", reason=REASON)
        write_eval_log(invalidate_samples(log, errored, provenance), header.location)
        done.append(Invalidated(header.location, header.eval.task, header.eval.model, len(errored)))
    return done
