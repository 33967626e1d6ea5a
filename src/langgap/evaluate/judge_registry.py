"""The judges, registered once by name with their parameters; every other list derives from here.

Read from this table: the `--judge` choices and help of `langgap eval` and `langgap judge eval`,
the judges a task takes as its own `-T judge=` argument, the model role `--judge-model` binds,
the scorer built for a name, and what a judge's rate measures when its verdicts are read back.
Scorer factories are named as "module:function" and imported only when a scorer is built, so
the command line starts without loading the judges (the habit of Inspect's `_registry.py`).

>>> judge_entry("LLM").role
'grader'
>>> measure_of("refusal_judge"), measure_of("guard/llama_guard_3")
('refusal', 'harm')
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Literal

Measure = Literal["refusal", "harm"]


class UnknownJudgeError(ValueError):
    """No judge is registered under this name."""


@dataclass(frozen=True, slots=True)
class JudgeEntry:
    """One registered judge."""

    name: str
    summary: str  # one line, for help text
    factory: str | None  # "module:function" of the Inspect scorer factory; None scores nothing
    measure: Measure  # a refusal rate (a lower bound of harmlessness), or harmlessness
    parameters: tuple[str, ...] = ()  # keyword options the factory takes
    role: str | None = None  # the model role `--judge-model` binds (see judges/_model.py)
    task_argument: bool = False  # needs no model: a task takes it as `-T judge=NAME`
    meta_evaluable: bool = True  # `langgap judge eval` can measure it against human labels

    @property
    def scorer_name(self) -> str | None:
        """The scorer's name in Inspect logs ("refusal_judge"), None when it scores nothing."""
        return self.factory.rpartition(":")[2] if self.factory else None


_REFUSAL = "langgap.evaluate.judges.refusal:refusal_judge"
JUDGES: tuple[JudgeEntry, ...] = (
    JudgeEntry(
        "refusal",
        "the response classifier: refused ... complied (a refusal rate)",
        _REFUSAL,
        "refusal",
        task_argument=True,
    ),
    JudgeEntry(
        "response", "the refusal judge's other name", _REFUSAL, "refusal", task_argument=True
    ),
    JudgeEntry(
        "llm",
        "any model as a harm judge, with a rubric (needs --judge-model)",
        "langgap.evaluate.judges.llm:llm_judge",
        "harm",
        parameters=("model", "translate", "prompt_version"),
        role="grader",
    ),
    JudgeEntry(
        "guard",
        "a guard model such as Llama Guard 3 (needs --judge-model; guard/NAME in judge eval)",
        "langgap.evaluate.judges.guard:guard_judge",
        "harm",
        parameters=("model", "guard", "mode"),
        role="guard",
    ),
    JudgeEntry(
        "none",
        "no judge: generate now, score later with `inspect score`",
        None,
        "harm",
        task_argument=True,
        meta_evaluable=False,
    ),
)
_BY_NAME = {entry.name: entry for entry in JUDGES}


def judge_names(*, task_argument: bool = False, meta_evaluable: bool = False) -> tuple[str, ...]:
    """Registered names in registry order; with a flag set, only the judges that have it."""
    return tuple(
        e.name
        for e in JUDGES
        if (e.task_argument or not task_argument) and (e.meta_evaluable or not meta_evaluable)
    )


def choices_text(names: tuple[str, ...] | None = None) -> str:
    """ "refusal, response, llm, guard or none", for help text and errors."""
    names = names if names is not None else judge_names()
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def find_judge(name: str) -> JudgeEntry | None:
    """The entry of a judge name (any case, surrounding spaces ignored); None when unknown."""
    return _BY_NAME.get(name.strip().casefold())


def judge_entry(name: str) -> JudgeEntry:
    """The entry of a judge name, as `find_judge`; unknown names raise, listing the judges."""
    entry = find_judge(name)
    if entry is None:
        raise UnknownJudgeError(f"unknown judge {name!r}; available judges: {choices_text()}")
    return entry


def build_scorer(name: str, **options: Any) -> Any:
    """The Inspect scorer of a judge, built with its options; None for `none`."""
    entry = judge_entry(name)
    unknown = sorted(set(options) - set(entry.parameters))
    if unknown:
        takes = ", ".join(entry.parameters) or "no options"
        raise UnknownJudgeError(f"judge {entry.name!r} takes {takes}; not {', '.join(unknown)}")
    if entry.factory is None:
        return None
    module, _, function = entry.factory.partition(":")
    return getattr(importlib.import_module(module), function)(**options)


def _entry_of(name: str) -> JudgeEntry | None:
    """The entry of a judge name ("guard/llama_guard_3" counts as "guard") or of a scorer name in a
    log ("refusal_judge"); None when neither."""
    key = name.strip().casefold().split("/")[0]
    return next((e for e in JUDGES if key in (e.name, e.scorer_name)), None)


def judge_of_scorer(scorer: str) -> str:
    """The judge name of a scorer name in a log ("refusal_judge" -> "refusal"); else `scorer`."""
    entry = _entry_of(scorer)
    return entry.name if entry is not None else scorer


def measure_of(judge: str) -> Measure:
    """What a judge's rate measures, from a judge name or a scorer name in a log; unknown names
    measure harm."""
    entry = _entry_of(judge)
    return entry.measure if entry is not None else "harm"


def is_refusal_judge(name: str) -> bool:
    """Whether a judge name (or alias) is the response classifier, the one model-free judge that
    scores and that human labels can measure."""
    entry = find_judge(name)
    return entry is not None and entry.factory == _REFUSAL


__all__ = [
    "JUDGES",
    "JudgeEntry",
    "Measure",
    "UnknownJudgeError",
    "build_scorer",
    "choices_text",
    "find_judge",
    "is_refusal_judge",
    "judge_entry",
    "judge_names",
    "judge_of_scorer",
    "measure_of",
]
