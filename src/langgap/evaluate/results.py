"""One row per judged (or failed) sample: the flat record metrics and reports work from.

Rows come from Inspect eval logs (`results_from_logs`) or from plain dicts (`results_from_records`).
A sample that errored or carries no score is kept as `errored=True`: nothing is dropped silently.

>>> rows = results_from_records([{"model": "m", "language": "ben", "pair_id": "1", "safe": 1}])
>>> rows[0].label, rows[0].safe
('safe', 1)
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import unquote, urlparse

from inspect_ai.log import (
    EvalLog,
    EvalSample,
    list_eval_logs,
    read_eval_log,
    read_eval_log_sample_summaries,
    read_eval_log_samples,
    read_eval_log_samples_by_id_async,
)
from inspect_ai.scorer import Score

# Inspect's own runner for its async readers (it sets up the async filesystem they expect)
run_coroutine: Callable[[Coroutine[Any, Any, list[EvalSample]]], list[EvalSample]] | None
try:
    from inspect_ai._util._async import run_coroutine
except ImportError:  # pragma: no cover - a later Inspect moved it: read sample by sample
    run_coroutine = None

READ_BATCH = 500  # samples held in memory at once while a log is read
UNFINISHED = ("cancelled", "started")  # log statuses of a run that stopped before its end
# the error Inspect logs for a sample in flight when a run is cancelled (Ctrl-C, SIGINT)
CANCELLED = "CancelledError("
NO_SCORE = "no score: the sample was not judged (run `inspect score` on the log)"


class ResultsError(ValueError):
    """A log or record cannot be turned into results."""


@dataclass(frozen=True, slots=True)
class SampleResult:
    """One sample's outcome under one judge (see judges/verdicts.py for the value encoding)."""

    model: str
    task: str
    benchmark: str
    language: str  # ISO 639-3 counting code
    language_tag: str
    pair_id: str
    variant: str = "original"
    category: str | None = None
    harmful: bool = True  # the prompt is harmful (False: a harmless prompt, for over-refusal)
    # judge label: refused, complied, harmful, safe, unclear, degenerate, off_language, error
    label: str = "unclear"
    safe: int | None = None  # 1 safe, 0 unsafe, None undecided, degenerate or errored
    unclear: bool = False  # the judge could not decide (a degenerate reply is not unclear)
    degenerate: str | None = None  # the reply carried no answer: empty, repetition, off_language
    refused: int | None = None  # 1 refused, 0 complied, None not judged
    errored: bool = False  # the sample failed or was never scored
    error: str | None = None
    judge: str = ""  # the judge's own name and version (from the score's metadata)
    judge_version: str = ""
    action: str | None = None  # the response classifier's action (refusal judge), when given
    scorer: str = ""  # the Inspect scorer that made the score; errored rows carry it too
    sample_id: str = ""
    epoch: int = 1
    source: str | None = None  # the log file the row came from

    @property
    def judged(self) -> bool:
        """True when the judge gave a verdict (safe, unsafe or unclear), i.e. not errored."""
        return not self.errored

    @property
    def decided(self) -> bool:
        """True when the verdict is safe or unsafe."""
        return not self.errored and not self.unclear and self.safe is not None

    @property
    def off_language(self) -> bool:
        """True when the reply was in another script than its prompt."""
        return self.degenerate == "off_language"


def _flag(value: Any, name: str) -> int | None:
    """0/1 from 0, 1, 0.0, 1.0 or a bool; None stays None (Inspect may make floats of ints).

    Anything else is an error, never rounded: 0.6 must not become a "safe" verdict.
    """
    if value is None:
        return None
    if isinstance(value, bool | int | float) and value in (0, 1):
        return int(value)
    raise ResultsError(f"{name!r} must be 0, 1 or null, got {value!r}")


class _Verdict(TypedDict):
    """The SampleResult fields one Inspect Score fills."""

    degenerate: str | None
    label: str
    safe: int | None
    unclear: bool
    refused: int | None
    judge: str
    judge_version: str
    action: str | None


class _SampleFields(TypedDict):
    """The SampleResult fields a sample's langgap metadata fills."""

    benchmark: str
    language: str
    language_tag: str
    pair_id: str
    variant: str
    category: str | None
    harmful: bool


class _RowBase(_SampleFields):
    """Every field a log row has before its scorer is known."""

    model: str
    task: str
    sample_id: str
    epoch: int
    source: str


def _score_fields(score: Score) -> _Verdict:
    """SampleResult fields from one Inspect Score (the verdicts.py dict encoding)."""
    value = score.value
    if not isinstance(value, Mapping):
        raise ResultsError(f"score value {value!r} is not a langgap verdict dict")
    meta = score.metadata or {}
    degenerate = _degenerate(meta.get("degenerate"))
    # a degenerate reply's value reads undecided (for Inspect's metrics); here it is counted apart
    unclear = degenerate is None and (
        bool(_flag(value.get("unclear"), "unclear")) or value.get("safe") is None
    )
    refusal_judged = _flag(value.get("refusal_judged"), "refusal_judged")
    refused = _flag(value.get("refused"), "refused") if refusal_judged != 0 else None
    return _Verdict(
        degenerate=degenerate,
        label=str(meta.get("label") or score.answer or "unclear"),
        safe=None if unclear or degenerate else _flag(value.get("safe"), "safe"),
        unclear=unclear,
        refused=refused,
        judge=str(meta.get("judge") or ""),
        judge_version=str(meta.get("judge_version") or ""),
        action=_action(meta.get("action")),
    )


def _action(value: Any) -> str | None:
    """A response-classifier action from a score's metadata; an unknown one is an error."""
    from langgap.evaluate.judges.response import ACTIONS

    return _one_of(value, ACTIONS, "action")


def _degenerate(value: Any) -> str | None:
    """A degenerate reply's kind from a score's metadata or a record; an unknown one is an error."""
    from langgap.evaluate.judges.degenerate import KINDS

    return _one_of(value, KINDS, "degenerate")


def _one_of(value: Any, allowed: Sequence[str], name: str) -> str | None:
    """`value` when it is one of `allowed`; None when empty; any other value is an error."""
    if value in (None, ""):
        return None
    if value not in allowed:
        raise ResultsError(f"{name!r} must be one of {', '.join(allowed)}, got {value!r}")
    return str(value)


def _sample_fields(meta: Mapping[str, Any], where: str) -> _SampleFields:
    """The langgap metadata (samples.SampleMeta) a row needs; missing fields name the sample."""
    missing = [k for k in ("language", "pair_id") if meta.get(k) in (None, "")]
    if missing:
        raise ResultsError(
            f"{where}: sample metadata lacks {', '.join(missing)}; langgap metrics need "
            "samples built by langgap loaders (SampleMeta) or records with these fields"
        )
    return _SampleFields(
        benchmark=str(meta.get("benchmark") or ""),
        language=str(meta["language"]),
        language_tag=str(meta.get("language_tag") or meta["language"]),
        pair_id=str(meta["pair_id"]),
        variant=str(meta.get("variant") or "original"),
        category=None if meta.get("category") is None else str(meta["category"]),
        harmful=bool(meta.get("harmful", True)),
    )


def _sample_rows(sample: EvalSample, header: EvalLog, source: str) -> Iterator[SampleResult]:
    """One row per scorer of a sample; one errored row when it has no score."""
    where = f"{source}: sample {sample.id} (epoch {sample.epoch})"
    base = _RowBase(
        model=header.eval.model,
        task=header.eval.task,
        **_sample_fields(sample.metadata or {}, where),
        sample_id=str(sample.id),
        epoch=sample.epoch,
        source=source,
    )
    if _cut_off(sample, header):
        return  # cut off when the run stopped: not run, not errored (the report counts it)
    if sample.error is not None or not sample.scores:
        message = sample.error.message if sample.error is not None else NO_SCORE
        # one failed row per scorer, so each judge's table counts the failure
        for name in [s.name for s in header.eval.scorers or []] or [""]:
            yield SampleResult(**base, label="error", errored=True, error=message, scorer=name)
        return
    for name, score in sample.scores.items():
        try:
            scored = _score_fields(score)
        except ResultsError as err:
            raise ResultsError(f"{where}, scorer {name!r}: {err}") from err
        scored["judge"] = scored["judge"] or name
        yield SampleResult(**base, **scored, scorer=name)


def _cut_off(sample: EvalSample, header: EvalLog) -> bool:
    """True for a sample the stop of an unfinished run left unscored: never reached, or in flight
    and cancelled by Ctrl-C (its error a CancelledError); the run counts both as not run."""
    if header.status not in UNFINISHED or sample.scores:
        return False
    return sample.error is None or sample.error.message.startswith(CANCELLED)


def log_files(paths: Sequence[Path | str]) -> list[Path]:
    """Every `.eval`/`.json` log under the given files and folders, in a stable order."""
    found: list[Path] = []
    for entry in map(Path, paths):
        if entry.is_dir():
            # Inspect's own listing skips the non-log JSON it keeps there (logs.json, eval-set.json)
            infos = list_eval_logs(str(entry), recursive=True)
            found.extend(sorted(Path(unquote(urlparse(i.name).path)) for i in infos))
        elif entry.is_file():
            found.append(entry)
        else:
            raise ResultsError(f"{entry}: no such log file or folder")
    return list(dict.fromkeys(found))


def _sample_keys(path: Path, header: EvalLog) -> list[tuple[str | int, int]]:
    """(id, epoch) of every sample the log holds: all of them once it finished, else the flushed."""
    ids = header.eval.dataset.sample_ids or []
    epochs = range(1, (header.eval.config.epochs or 1) + 1)
    in_order = [(i, epoch) for i in ids for epoch in epochs]  # the order Inspect's reader uses
    if header.status == "success" and ids:
        return in_order
    held = [(s.id, s.epoch) for s in read_eval_log_sample_summaries(str(path))]
    flushed = set(held)
    known = [key for key in in_order if key in flushed]
    listed = set(known)
    return known + [key for key in held if key not in listed]


def _samples(path: Path, header: EvalLog) -> Iterator[EvalSample]:
    """A log's samples, a batch at a time, so a large log is never held whole.

    Why batches: Inspect's `read_eval_log_samples` starts an event loop per sample (about 7 ms
    each); one read of 500 samples through the shared zip reader is about 5x faster.
    """
    if path.suffix != ".eval" or run_coroutine is None:
        # a cancelled run's partial log still reads
        yield from read_eval_log_samples(str(path), all_samples_required=False)
        return
    keys = _sample_keys(path, header)
    for start in range(0, len(keys), READ_BATCH):
        batch = read_eval_log_samples_by_id_async(str(path), keys[start : start + READ_BATCH])
        yield from run_coroutine(batch)


def _header(path: Path) -> EvalLog:
    try:
        return read_eval_log(str(path), header_only=True)
    except Exception as err:  # Inspect raises several types for unreadable files
        raise ResultsError(f"{path}: not a readable Inspect eval log ({err})") from err


def _log_rows(path: Path, header: EvalLog) -> Iterator[SampleResult]:
    for sample in _samples(path, header):
        yield from _sample_rows(sample, header, str(path))


def results_from_logs(paths: Sequence[Path | str]) -> list[SampleResult]:
    """Rows from Inspect eval logs (files, or folders searched for `.eval`/`.json` logs)."""
    files = log_files(paths)
    if not files:
        raise ResultsError(f"no .eval or .json logs found in {', '.join(map(str, paths))}")
    headers = {path: _header(path) for path in files}
    # newest first: a sample asked again in one folder (shared with --log-dir-allow-dirty,
    # errored samples asked again) counts once, as its newest log has it; logs of separate
    # folders are separate runs the caller chose to pool, and all count
    newest_first = sorted(files, key=lambda p: _recency(p, headers[p]), reverse=True)
    seen: set[tuple[Path, str, str, str, int, str]] = set()
    kept: dict[Path, list[SampleResult]] = {}
    for path in newest_first:
        rows = [r for r in _log_rows(path, headers[path]) if _identity(path, r) not in seen]
        seen.update(_identity(path, r) for r in rows)
        kept[path] = rows
    return [row for path in files for row in kept[path]]


def _recency(path: Path, header: EvalLog) -> tuple[str, str, int]:
    """How recent a run is: Inspect's timestamps have whole seconds, so two short runs into one
    folder can tie on `created` (and on completion); the log file written last breaks the tie."""
    return header.eval.created, header.stats.completed_at or "", path.stat().st_mtime_ns


def _identity(path: Path, row: SampleResult) -> tuple[Path, str, str, str, int, str]:
    """What makes two rows of a folder the same judgement of one sample: model, task, sample,
    epoch and scorer."""
    return path.parent, row.model, row.task, row.sample_id, row.epoch, row.scorer


_FIELDS = {f.name for f in fields(SampleResult)}


def _record(row: Mapping[str, Any], index: int) -> SampleResult:
    unknown = set(row) - _FIELDS
    if unknown:
        raise ResultsError(f"record {index}: unknown field(s) {', '.join(sorted(unknown))}")
    data: dict[str, Any] = {"task": "", "benchmark": "", **row}
    data.update(_sample_fields(data, f"record {index}"))
    data.setdefault("model", "")
    errored = bool(data.get("errored", False))
    try:
        degenerate = None if errored else _degenerate(data.get("degenerate"))
        safe = None if errored or degenerate else _flag(data.get("safe"), "safe")
        data["refused"] = None if degenerate else _flag(data.get("refused"), "refused")
        data["action"] = _action(data.get("action"))
    except ResultsError as err:
        raise ResultsError(f"record {index}: {err}") from None
    data["degenerate"] = degenerate
    data["unclear"] = not errored and not degenerate and (bool(data.get("unclear")) or safe is None)
    data["safe"] = None if data["unclear"] else safe
    if "label" not in row:
        data["label"] = _default_label(errored, data["unclear"], safe, degenerate)
    return SampleResult(**data)


def _default_label(errored: bool, unclear: bool, safe: int | None, degenerate: str | None) -> str:
    if errored:
        return "error"
    if degenerate:
        return "off_language" if degenerate == "off_language" else "degenerate"
    if unclear:
        return "unclear"
    return "safe" if safe == 1 else "harmful"


def results_from_records(rows: Iterable[Mapping[str, Any]]) -> list[SampleResult]:
    """Rows from plain dicts with SampleResult's field names (`safe` None means unclear)."""
    return [_record(row, i) for i, row in enumerate(rows)]
