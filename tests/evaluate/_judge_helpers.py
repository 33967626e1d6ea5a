"""Offline Inspect helpers for judge tests: mock models with explicit usage, one-call evals."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from inspect_ai import Task, eval
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.log import EvalLog
from inspect_ai.model import ChatMessage, Model, ModelOutput, ModelUsage, get_model
from inspect_ai.scorer import Scorer
from inspect_ai.solver import generate

USAGE = ModelUsage(input_tokens=10, output_tokens=5, total_tokens=15)


def output(text: str) -> ModelOutput:
    """A mock output with usage set, so mockllm never loads a tokenizer (stays offline)."""
    out = ModelOutput.from_content(model="mockllm/model", content=text)
    out.usage = USAGE
    return out


def mock_model(reply: Callable[[str], str]) -> Model:
    """mockllm/model answering each call with reply(all input text)."""

    def answer(messages: list[ChatMessage], *_: Any) -> ModelOutput:
        return output(reply("\n".join(m.text for m in messages)))

    return get_model("mockllm/model", custom_outputs=answer, memoize=False)


def run(
    samples: Sequence[Sample], responses: dict[str, str], scorer: Scorer, log_dir: Path
) -> EvalLog:
    """Eval a tiny task: the model under test answers each prompt from `responses`."""
    model = mock_model(lambda text: next(r for p, r in responses.items() if p in text))
    task = Task(dataset=MemoryDataset(list(samples)), solver=generate(), scorer=scorer)
    [log] = eval(task, model=model, display="none", log_dir=str(log_dir), log_format="json")
    assert log.status == "success", log.error
    return log


def meta(language: str, harmful: bool = True, pair_id: str = "p1") -> dict[str, Any]:
    """langgap sample metadata (the SampleMeta contract) for a test sample."""
    return {
        "benchmark": "test",
        "language": language,
        "language_tag": language,
        "pair_id": pair_id,
        "harmful": harmful,
    }
