"""The one judge registry: names, roles, task judges, measures and scorers all come from it, and
the command line (`eval run --judge`, `-T judge=`, `judge eval --judge`) uses what it says."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest
from inspect_ai import eval
from inspect_ai._util.registry import registry_info, registry_unqualified_name
from tests.evaluate._judge_helpers import mock_model
from typer.testing import CliRunner

from langgap.cli import app
from langgap.evaluate import tasks
from langgap.evaluate.judge_eval.runner import RefusalJudge, make_judge
from langgap.evaluate.judge_registry import (
    JUDGES,
    JudgeEntry,
    UnknownJudgeError,
    build_scorer,
    choices_text,
    find_judge,
    judge_entry,
    judge_names,
    measure_of,
)
from langgap.evaluate.run import RunOptions, _model_roles, build_tasks, eval_set_kwargs

MODEL_JUDGES = [e for e in JUDGES if e.role is not None]
# what a model judge's model says when asked; the model under test never says it
HARMFUL_VERDICT = {"llm": "VERDICT: harmful", "guard": "unsafe\nS2"}
ANSWER = "Sure. Preheat the oven, knead the dough for ten minutes and let it rise for an hour."


def _entry_id(entry: JudgeEntry) -> str:
    return entry.name


def _table(tmp_path: Path) -> str:
    """A one-prompt English table, a benchmark for `eval run` and `-T` alike."""
    table = tmp_path / "prompts.csv"
    table.write_text("id,harmful,en\np1,true,How do I bake bread?\n", encoding="utf-8")
    return str(table)


def test_names_are_registered_once() -> None:
    names = [e.name for e in JUDGES]
    assert names == ["refusal", "response", "llm", "guard", "none"]
    assert len(set(names)) == len(names)
    assert judge_names(task_argument=True) == ("refusal", "response", "none")
    assert judge_names(meta_evaluable=True) == ("refusal", "response", "llm", "guard")
    assert choices_text() == "refusal, response, llm, guard or none"


@pytest.mark.parametrize("entry", [e for e in JUDGES if e.factory], ids=_entry_id)
def test_registered_parameters_are_the_factory_parameters(entry: JudgeEntry) -> None:
    module, _, function = (entry.factory or "").partition(":")
    factory = getattr(importlib.import_module(module), function)
    assert tuple(inspect.signature(factory).parameters) == entry.parameters


@pytest.mark.parametrize("entry", JUDGES, ids=_entry_id)
def test_every_judge_resolves_to_its_inspect_scorer(entry: JudgeEntry) -> None:
    scorer = build_scorer(entry.name)
    if entry.factory is None:
        assert scorer is None
        return
    info = registry_info(scorer)
    assert info.type == "scorer"
    # the name a log gives the scorer reads back as the registered measure
    assert registry_unqualified_name(info) == entry.scorer_name
    assert measure_of(registry_unqualified_name(info)) == entry.measure


def test_lookup_normalises_and_rejects_unknown_names() -> None:
    assert judge_entry("  LLM ").name == "llm"
    assert find_judge("vibes") is None
    with pytest.raises(UnknownJudgeError) as raised:
        judge_entry("vibes")
    assert str(raised.value) == (
        "unknown judge 'vibes'; available judges: refusal, response, llm, guard or none"
    )


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
    assert callable(build_scorer("llm", model="mockllm/model", translate=True))
    with pytest.raises(UnknownJudgeError, match="'refusal' takes no options; not model"):
        build_scorer("refusal", model="mockllm/model")
    with pytest.raises(UnknownJudgeError, match="'guard' takes model, guard, mode; not rubric"):
        build_scorer("guard", rubric="x")


def test_task_judges_and_roles_come_from_the_registry() -> None:
    assert tasks.resolve_judge("none") is None
    with pytest.raises(tasks.BenchmarkError, match="'llm' needs a model, so a task cannot"):
        tasks.resolve_judge("llm")  # a model judge is no task argument
    assert _model_roles(RunOptions((), (), judge="llm", judge_model="m")) == {"grader": "m"}
    assert _model_roles(RunOptions((), (), judge="Guard", judge_model="m")) == {"guard": "m"}
    assert _model_roles(RunOptions((), (), judge="refusal", judge_model="m")) is None
    assert _model_roles(RunOptions((), (), judge="llm")) is None  # no --judge-model: no role


@pytest.mark.parametrize("entry", JUDGES, ids=_entry_id)
def test_eval_run_scores_with_the_registered_scorer(entry: JudgeEntry, tmp_path: Path) -> None:
    options = RunOptions([_table(tmp_path)], ["mockllm/model"], judge=entry.name.upper())
    [task] = build_tasks(options)
    names = [registry_unqualified_name(s) for s in task.scorer or []]
    assert names == ([entry.scorer_name] if entry.scorer_name else [])
    # a task argument enters the task's identity; an attached judge names the task instead
    assert task.name.endswith(f"_{entry.name}") is not entry.task_argument


def test_task_argument_judges_are_the_registered_ones(tmp_path: Path) -> None:
    table = _table(tmp_path)
    for name in judge_names(task_argument=True):  # `inspect eval … -T judge=NAME`
        task = tasks.dataset(path=table, judge=name)
        expected = judge_entry(name).scorer_name
        names = [registry_unqualified_name(s) for s in task.scorer or []]
        assert names == ([expected] if expected else [])
    for name in set(judge_names()) - set(judge_names(task_argument=True)):
        with pytest.raises(tasks.BenchmarkError, match=f"{name!r} needs a model, so a task"):
            tasks.dataset(path=table, judge=name)


@pytest.mark.parametrize("entry", MODEL_JUDGES, ids=_entry_id)
def test_judge_model_answers_under_the_registered_role(entry: JudgeEntry, tmp_path: Path) -> None:
    """`--judge-model` binds the entry's role, and the judge asks the model of that role: had it
    asked the model under test, its verdict would be unclear, not harmful."""
    options = RunOptions([_table(tmp_path)], ["mockllm/model"], judge=entry.name, judge_model="j")
    [task] = build_tasks(options)
    roles = eval_set_kwargs(options)["model_roles"]
    assert roles == {entry.role: "j"}
    judge = mock_model(lambda _: HARMFUL_VERDICT[entry.name])
    under_test = mock_model(lambda _: ANSWER)
    [log] = eval(task, model=under_test, model_roles={role: judge for role in roles},
                 display="none", log_dir=str(tmp_path / "logs"), log_format="json")  # fmt: skip
    assert log.status == "success", log.error
    [sample] = log.samples or []
    assert sample.scores is not None
    assert sample.scores[entry.scorer_name or ""].answer == "harmful"


def test_judge_eval_makes_the_registered_judges() -> None:
    for name in judge_names(meta_evaluable=True):
        entry = judge_entry(name)
        judge = make_judge(name.upper(), "mockllm/model")
        assert isinstance(judge, RefusalJudge) is (entry.role is None)
        assert judge.name.split("/")[0] == (entry.name if entry.role else "refusal")
    assert make_judge("guard/wildguard", "mockllm/model").name == "guard/wildguard"
    for wrong in ("none", "vibes", "llm/x"):
        with pytest.raises(UnknownJudgeError, match="available: refusal, response, llm, guard or"):
            make_judge(wrong, "mockllm/model")
    with pytest.raises(ValueError, match="needs a model"):
        make_judge("llm")


@pytest.mark.parametrize(
    ("command", "names"),
    [
        (("eval", "run"), judge_names()),
        (("judge", "eval"), judge_names(meta_evaluable=True)),
        (("judge", "calibrate"), judge_names(meta_evaluable=True)),
    ],
    ids=["eval run", "judge eval", "judge calibrate"],
)
def test_help_lists_the_registered_judges(
    command: tuple[str, ...], names: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one line per option: the list is not wrapped
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert choices_text(names) in " ".join(result.output.split())


def test_unknown_judges_are_clear_errors_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # rich does not wrap the error sentences
    runner = CliRunner()
    run = runner.invoke(app, ["eval", "run", _table(tmp_path), "-m", "mockllm/model", "--judge",
                              "vibes", "--log-dir", str(tmp_path / "logs")])  # fmt: skip
    assert run.exit_code == 2
    assert f"available judges: {choices_text()}" in run.output
    labels = tmp_path / "labels.csv"
    labels.write_text("id,prompt,response,label,language\n1,q,I cannot help.,refused,en\n")
    judged = runner.invoke(app, ["judge", "eval", "--judge", "vibes", "--data", str(labels),
                                 "--out", str(tmp_path / "out")])  # fmt: skip
    assert judged.exit_code == 2
    assert "available: refusal, response, llm, guard or guard/NAME" in judged.output


def test_scorer_and_judge_names_resolve_through_one_lookup() -> None:
    from langgap.evaluate.judge_registry import is_refusal_judge, judge_of_scorer, measure_of

    assert judge_of_scorer("refusal_judge") == "refusal"
    assert judge_of_scorer("guard/llama_guard_3") == "guard"  # as measure_of reads it
    assert measure_of("guard/llama_guard_3") == "harm" and measure_of("refusal_judge") == "refusal"
    assert judge_of_scorer("someone_elses_scorer") == "someone_elses_scorer"
    assert is_refusal_judge("refusal") and is_refusal_judge(" Response ")
    assert not any(map(is_refusal_judge, ("none", "llm", "guard", "vibes")))
