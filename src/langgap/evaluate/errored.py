"""Redo an earlier run's errored samples when the same run is started again.

With `fail_on_error=False` a sample whose model call kept failing is recorded as errored and the
log still ends "success", so Inspect's eval set reuses it as it is on a rerun and the errored
samples would never be asked again (a server that was down for an hour stays a hole in the
results). Marking them invalidated is Inspect's own way to say "run these again": the next eval
set reruns exactly those samples and keeps every other finished one.

Only logs the eval set itself paired with this run's tasks are touched (see `run.run_eval`), so a
log of another selection in the same folder is never rewritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from inspect_ai.log import (
    EvalLog,
    ProvenanceData,
    invalidate_samples,
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


def invalidate_errored(logs: Iterable[EvalLog]) -> list[Invalidated]:
    """Mark the errored samples of these finished logs so the next eval set runs them again."""
    done: list[Invalidated] = []
    for header in logs:
        if header.status != "success" or header.invalidated or not header.location:
            continue  # an unfinished log is resumed by the eval set anyway, errored samples too
        summaries = read_eval_log_sample_summaries(header.location)
        errored = [s.uuid for s in summaries if s.error and s.uuid]
        if not errored:
            continue
        log = read_eval_log(header.location)
        provenance = ProvenanceData(author="langgap", reason=REASON)
        write_eval_log(invalidate_samples(log, errored, provenance), header.location)
        done.append(Invalidated(header.location, header.eval.task, header.eval.model, len(errored)))
    return done
