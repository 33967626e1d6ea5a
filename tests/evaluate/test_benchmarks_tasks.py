"""The Inspect tasks: parameters from -T, judges, registry names, and an offline mock-model run."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai import Task
from inspect_ai import eval as inspect_eval
from inspect_ai.model import ModelOutput, ModelUsage, get_model

from langgap.evaluate import tasks
from langgap.evaluate.benchmarks import BenchmarkError


def test_dataset_task_from_a_file(prompts_dir: Path) -> None:
    task = tasks.dataset(path=str(prompts_dir / "long.jsonl"), languages="en", judge="none")
    assert isinstance(task, Task) and task.name == "langgap/dataset"
    assert [s.id for s in task.dataset] == ["long:q1:en", "long:q2:en"]
    assert task.metadata is not None and task.metadata["load_report"]["samples_made"] == 4


def test_task_parameters_as_inspect_passes_them(prompts_dir: Path) -> None:
    # `-T languages=en,bn` arrives as a list, `-T limit=1` as an int, `-T harmful=false` as a bool
    task = tasks.dataset(path=str(prompts_dir / "wide.csv"), languages=["en", "bn"], limit=1,
                         harmful=False, judge="none")  # fmt: skip
    assert [s.id for s in task.dataset] == ["wide:p1:en", "wide:p1:bn"]
    task = tasks.dataset(path=str(prompts_dir / "wide.csv"), languages="sw", limit="1",
                         harmful="harmful", judge="none")  # fmt: skip
    assert [s.id for s in task.dataset] == ["wide:p2:sw"]


def test_bad_parameters(prompts_dir: Path) -> None:
    path = str(prompts_dir / "wide.csv")
    with pytest.raises(
        BenchmarkError, match=r"unknown judge .vibes.; a task takes refusal, response or none"
    ):
        tasks.dataset(path=path, judge="vibes")
    with pytest.raises(BenchmarkError, match="-T limit must be an integer"):
        tasks.dataset(path=path, limit="ten", judge="none")
    with pytest.raises(BenchmarkError, match="-T layout must be"):
        tasks.dataset(path=path, layout="tall", judge="none")
    with pytest.raises(BenchmarkError, match="left no samples"):
        tasks.dataset(path=path, categories="travel", harmful="false", judge="none")


def test_judges_resolve_or_explain() -> None:
    assert tasks.resolve_judge("refusal") is not None
    with pytest.raises(BenchmarkError, match="unknown judge 'vibes'; a task takes refusal"):
        tasks.resolve_judge("vibes")
    # a registered judge that needs a model is not "unknown": the message says how to use it
    with pytest.raises(BenchmarkError, match=r"'llm' needs a model.*--judge llm --judge-model"):
        tasks.resolve_judge("llm")


def test_registry_module_exposes_the_tasks() -> None:
    from langgap.evaluate import _registry

    assert set(_registry.__all__) == {"multijail", "xsafety", "csrt", "polyrefuse", "dataset"}


@pytest.mark.slow
def test_benchmark_tasks_build(shared_data: Path) -> None:
    for make in (tasks.multijail, tasks.xsafety, tasks.csrt, tasks.polyrefuse):
        task = make(data_dir=str(shared_data), sample_per_language=2, judge="none")
        assert len(task.dataset) > 0
    polyrefuse = tasks.polyrefuse(data_dir=str(shared_data), judge="none")
    assert {s.metadata["split"] for s in polyrefuse.dataset if s.metadata} == {"test"}


def test_offline_eval_on_a_mock_model(prompts_dir: Path, tmp_path: Path) -> None:
    task = tasks.dataset(path=str(prompts_dir / "wide.tsv"), judge="none")
    outputs = []
    for _ in task.dataset:  # explicit usage, so Inspect needs no tokenizer download
        out = ModelOutput.from_content("mockllm/model", "I can't help with that.")
        out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        outputs.append(out)
    model = get_model("mockllm/model", custom_outputs=outputs)
    [log] = inspect_eval(task, model=model, log_dir=str(tmp_path), display="none")
    assert log.status == "success" and log.samples is not None and len(log.samples) == 4
    assert log.eval.task == "langgap/dataset"
    assert {s.metadata["language_tag"] for s in log.samples} == {"en", "de"}
