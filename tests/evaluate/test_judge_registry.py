"""The one judge registry: names, roles, task judges, measures and scorers all come from it."""

from __future__ import annotations

import pytest

from langgap.evaluate import tasks
from langgap.evaluate.judge_registry import (
    JUDGES,
    UnknownJudgeError,
    build_scorer,
    choices_text,
    judge_entry,
    judge_names,
    measure_of,
)
from langgap.evaluate.run import RunOptions, _model_roles


def test_names_are_registered_once() -> None:
    names = [e.name for e in JUDGES]
    assert names == ["refusal", "response", "llm", "guard", "none"]
    assert len(set(names)) == len(names)
    assert judge_names(task_argument=True) == ("refusal", "response", "none")
    assert judge_names(meta_evaluable=True) == ("refusal", "response", "llm", "guard")
    assert choices_text() == "refusal, response, llm, guard or none"


def test_every_factory_imports_and_takes_its_parameters() -> None:
    import importlib
    import inspect

    for entry in JUDGES:
        if entry.factory is None:
            continue
        module, _, function = entry.factory.partition(":")
        factory = getattr(importlib.import_module(module), function)
        accepted = set(inspect.signature(factory).parameters)
        assert set(entry.parameters) <= accepted, entry.name


def test_lookup_normalises_and_rejects_unknown_names() -> None:
    assert judge_entry("  LLM ").name == "llm"
    with pytest.raises(UnknownJudgeError, match="available judges: refusal, response"):
        judge_entry("vibes")


def test_measures_read_names_and_logged_scorer_names() -> None:
    # what REFUSAL_JUDGES held before: both judge names and the scorer's name in logs
    assert {n for n in ("refusal", "response", "refusal_judge") if measure_of(n) == "refusal"} == {
        "refusal",
        "response",
        "refusal_judge",
    }
    for harm in ("llm", "llm_judge", "guard", "guard/llama_guard_3", "guard_judge", "none", "x"):
        assert measure_of(harm) == "harm", harm


def test_scorers_and_options() -> None:
    assert callable(build_scorer("response"))
    assert build_scorer("none") is None
    with pytest.raises(UnknownJudgeError, match="'refusal' takes no options; not model"):
        build_scorer("refusal", model="mockllm/model")


def test_task_judges_and_roles_come_from_the_registry() -> None:
    assert tasks.resolve_judge("none") is None
    with pytest.raises(tasks.BenchmarkError, match="available: refusal, response, none"):
        tasks.resolve_judge("llm")  # a model judge is no task argument
    assert _model_roles(RunOptions((), (), judge="llm", judge_model="m")) == {"grader": "m"}
    assert _model_roles(RunOptions((), (), judge="Guard", judge_model="m")) == {"guard": "m"}
    assert _model_roles(RunOptions((), (), judge="refusal", judge_model="m")) is None
