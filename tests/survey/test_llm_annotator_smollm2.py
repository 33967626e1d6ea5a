"""End to end through a real model: SmolLM2 served by `transformers serve` on loopback.

This checks the plumbing (HTTP, schema validation, failure records, caching), not the quality:
a 135M model's answers are poor, and an invalid answer recorded as a failure is a pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from langgap.models import LocalServer
from langgap.survey.llm_annotator import FallbackLabels, LLMAnnotator, is_llm_labels
from langgap.survey.models import GROUPS, TOPICS, Paper

PAPERS = [
    Paper(
        "smol-1",
        "Jailbreaking LLMs in Bengali and Swahili",
        "Prompts in Bengali and Swahili bypass the safety guardrails of large language models.",
        2024,
    ),
    Paper(
        "smol-2",
        "Hallucination in Chinese medical question answering",
        "We measure factual errors of chatbots that answer medical questions in Chinese.",
        2023,
    ),
]


@pytest.mark.slow
def test_smollm2_annotates_or_records_failures(smollm2_server: LocalServer, tmp_path: Path) -> None:
    def annotator(retries: int) -> LLMAnnotator:
        return LLMAnnotator(
            smollm2_server.inspect_model,
            concurrency=2,
            max_retries=retries,
            max_tokens=64,
            cache_root=tmp_path,
        )

    first = annotator(retries=1)
    labels = first.annotate_many(PAPERS)
    assert len(labels) == len(PAPERS)
    assert 2 <= first.usage.requests <= 4
    assert first.usage.input_tokens > 0 and first.usage.output_tokens > 0
    failed = {f.paper_id for f in first.failures}
    for paper, lab in zip(PAPERS, labels, strict=True):
        assert lab.group in GROUPS and lab.topic in TOPICS
        if paper.id in failed:
            assert isinstance(lab, FallbackLabels) and lab.llm_error
        else:
            assert is_llm_labels(lab) and lab.annotator.startswith("llm/")
    valid = len(PAPERS) - len(failed)

    second = annotator(retries=0)
    second.annotate_many(PAPERS)
    assert second.usage.cache_hits == valid  # valid answers are never asked again
    assert second.usage.requests == len(failed)  # failures are
