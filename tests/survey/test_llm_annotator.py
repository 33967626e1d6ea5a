"""LLMAnnotator on Inspect's mock model (replies with explicit usage, so nothing is downloaded)."""

from __future__ import annotations

import asyncio
import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from inspect_ai.model import ChatMessage, GenerateConfig, ModelOutput, ModelUsage
from tests.support.stub_server import StubServer

from langgap.survey.annotate import RuleAnnotator
from langgap.survey.annotation_cache import annotate_cached
from langgap.survey.llm_annotator import (
    PROMPT_VERSION,
    FallbackLabels,
    LLMAnnotationError,
    LLMAnnotator,
    disagreements,
    is_llm_labels,
)
from langgap.survey.llm_answer import AnswerError, extract_json, parse_answer
from langgap.survey.models import Paper

VALID = {
    "related": True,
    "languages": ["Bangla", "sw"],
    "topic": "jailbreaking",
    "documented": True,
    "rationale": "Jailbreaks in Bengali and Swahili.",
}
Replier = Callable[[list[ChatMessage]], str]


def _paper(
    i: int = 1, abstract: str = "Low-resource languages bypass LLM safety guardrails."
) -> Paper:
    return Paper(f"p{i}", f"Paper {i}: jailbreaking LLMs in Bengali", abstract, 2024)


def _output(text: str) -> ModelOutput:
    output = ModelOutput.from_content("mockllm/model", text)
    output.usage = ModelUsage(input_tokens=100, output_tokens=20, total_tokens=120)
    return output


class Mock:
    """A mockllm reply function that counts calls and remembers what it was sent."""

    def __init__(self, reply: Replier) -> None:
        self.reply = reply
        self.calls: list[list[ChatMessage]] = []

    def __call__(self, messages: list[ChatMessage], *_: Any) -> ModelOutput:
        self.calls.append(list(messages))
        return _output(self.reply(messages))


def _annotator(mock: Mock, cache: Path, **kwargs: Any) -> LLMAnnotator:
    return LLMAnnotator("mockllm/model", custom_outputs=mock, cache_root=cache, **kwargs)


def _always(text: str) -> Replier:
    return lambda _messages: text


def _sequence(*texts: str) -> Replier:
    replies = iter(texts)
    return lambda _messages: next(replies)


def test_valid_json_gives_normalised_labels(tmp_path: Path) -> None:
    mock = Mock(_always(json.dumps(VALID)))
    annotator = _annotator(mock, tmp_path)
    [labels] = annotator.annotate_many([_paper()])
    assert (labels.related, labels.topic, labels.documented) == (True, "jailbreaking", True)
    assert labels.languages == ("ben", "swa")
    assert labels.group == "multilingual"
    assert labels.annotator == f"llm/{PROMPT_VERSION}:mockllm/model"
    assert annotator.version == f"{PROMPT_VERSION}:mockllm/model"
    assert [e.text for e in labels.evidence["languages"]] == ["Bangla", "sw"]
    assert labels.evidence["topic"][0].text == VALID["rationale"]
    usage = annotator.usage
    assert (usage.requests, usage.input_tokens, usage.output_tokens) == (1, 100, 20)
    assert "1 requests" in usage.summary()


@pytest.mark.parametrize(
    "reply",
    [
        "```json\n" + json.dumps(VALID) + "\n```",
        "Sure! Here is the annotation:\n" + json.dumps(VALID) + "\nHope this helps.",
        "```\n" + json.dumps(VALID, indent=2) + "\n```\nThe paper {clearly} studies jailbreaks.",
    ],
    ids=["fenced", "surrounded", "fence-without-language"],
)
def test_json_is_found_in_fences_and_prose(reply: str, tmp_path: Path) -> None:
    [labels] = _annotator(Mock(_always(reply)), tmp_path).annotate_many([_paper()])
    assert is_llm_labels(labels) and labels.topic == "jailbreaking"


@pytest.mark.parametrize(
    ("languages", "codes", "group", "documented"),
    [
        ([], ("eng",), "english_only", False),  # no language named → English, undocumented
        (["English"], ("eng",), "english_only", True),
        (["Hindi"], ("hin",), "non_english", True),
        ("Swahili", ("swa",), "non_english", True),  # one name instead of a list
        (["en", "Hindi"], ("eng", "hin"), "multilingual", True),
    ],
)
def test_group_follows_from_languages(
    languages: Any, codes: tuple[str, ...], group: str, documented: bool, tmp_path: Path
) -> None:
    reply = json.dumps({**VALID, "languages": languages})
    [labels] = _annotator(Mock(_always(reply)), tmp_path).annotate_many([_paper()])
    assert (labels.languages, labels.group, labels.documented) == (codes, group, documented)


def test_topic_spellings_and_consistency() -> None:
    assert parse_answer(json.dumps({**VALID, "topic": "Toxicity/Bias"})).topic == "toxicity_bias"
    with pytest.raises(AnswerError, match="topic must be not_safety"):
        parse_answer(json.dumps({**VALID, "related": False}))
    with pytest.raises(AnswerError, match="topic"):
        parse_answer(json.dumps({**VALID, "topic": "safety"}))
    with pytest.raises(AnswerError, match="no JSON object"):
        extract_json("I think it is about jailbreaking.")


def test_invalid_then_valid_retries_with_the_error(tmp_path: Path) -> None:
    mock = Mock(_sequence('{"related": "perhaps"}', json.dumps(VALID)))
    annotator = _annotator(mock, tmp_path)
    [labels] = annotator.annotate_many([_paper()])
    assert is_llm_labels(labels)
    assert len(mock.calls) == 2 and annotator.usage.retries == 1
    feedback = mock.calls[1][-1].text
    assert "not valid" in feedback and "related" in feedback
    assert mock.calls[1][-2].role == "assistant"  # the model sees its own bad answer


def test_always_invalid_is_recorded_not_invented(tmp_path: Path) -> None:
    mock = Mock(_always("This paper is about safety."))
    annotator = _annotator(mock, tmp_path, max_retries=2)
    papers = [_paper()]
    [labels] = annotator.annotate_many(papers)
    assert len(mock.calls) == 3
    assert isinstance(labels, FallbackLabels) and not is_llm_labels(labels)
    rules = RuleAnnotator().annotate_many(papers)[0]
    assert (labels.related, labels.languages, labels.topic) == (
        rules.related,
        rules.languages,
        rules.topic,
    )
    assert ":invalid->rules/" in labels.annotator
    assert labels.llm_output == "This paper is about safety."
    assert "no JSON object" in labels.evidence["llm"][0].note
    [failure] = annotator.failures
    assert (failure.paper_id, failure.attempts) == ("p1", 3)
    assert failure.raw_output == "This paper is about safety."
    assert annotator.usage.failures == 1
    # failures are never cached: the next run asks again
    again = Mock(_always(json.dumps(VALID)))
    assert is_llm_labels(_annotator(again, tmp_path).annotate_many(papers)[0])
    assert len(again.calls) == 1


def test_without_fallback_failures_raise_after_caching_the_rest(tmp_path: Path) -> None:
    good, bad = _paper(1), _paper(2)

    def reply(messages: list[ChatMessage]) -> str:
        return json.dumps(VALID) if "Paper 1" in messages[1].text else "no idea"

    annotator = _annotator(Mock(reply), tmp_path, use_fallback=False, max_retries=0)
    with pytest.raises(LLMAnnotationError, match="p2: no JSON object"):
        annotator.annotate_many([good, bad])
    rerun = Mock(_always(json.dumps(VALID)))
    _annotator(rerun, tmp_path).annotate_many([good, bad])
    assert len(rerun.calls) == 1  # only the failed paper is asked again


def test_unknown_language_is_fed_back_with_suggestions(tmp_path: Path) -> None:
    bad = json.dumps({**VALID, "languages": ["Bengalee"]})
    mock = Mock(_sequence(bad, json.dumps({**VALID, "languages": ["Bengali"]})))
    [labels] = _annotator(mock, tmp_path).annotate_many([_paper()])
    assert labels.languages == ("ben",)
    feedback = mock.calls[1][-1].text
    assert "unknown language" in feedback and "Bengalee" in feedback and "Bengali" in feedback


def test_unknown_language_forever_is_a_failure(tmp_path: Path) -> None:
    mock = Mock(_always(json.dumps({**VALID, "languages": ["Elvish"]})))
    annotator = _annotator(mock, tmp_path, max_retries=1)
    [labels] = annotator.annotate_many([_paper()])
    assert isinstance(labels, FallbackLabels)
    assert "Elvish" in annotator.failures[0].error


def test_second_run_makes_no_model_calls(tmp_path: Path) -> None:
    papers = [_paper(i) for i in range(5)]
    first = Mock(_always(json.dumps(VALID)))
    labels = _annotator(first, tmp_path).annotate_many(papers)
    assert len(first.calls) == 5
    second = Mock(_always("must not be asked"))
    annotator = _annotator(second, tmp_path)
    assert annotator.annotate_many(papers) == labels
    assert second.calls == [] and annotator.usage.cache_hits == 5
    assert annotator.usage.requests == 0
    [cache_file] = tmp_path.glob("*.jsonl")
    assert PROMPT_VERSION in cache_file.name
    # a changed abstract is a different paper to the model
    changed = Mock(_always(json.dumps(VALID)))
    _annotator(changed, tmp_path).annotate_many([_paper(0, abstract="Something else.")])
    assert len(changed.calls) == 1


def test_answers_cached_by_earlier_versions_are_still_read(tmp_path: Path) -> None:
    papers = [_paper(i) for i in range(2)]
    _annotator(Mock(_always(json.dumps(VALID))), tmp_path).annotate_many(papers)
    [new] = tmp_path.glob("*.jsonl")
    answers = {e["k"]: e["t"] for e in map(json.loads, new.read_text().splitlines())}
    # the whole-file format the annotator wrote before langgap.models.ReplyCache
    new.with_name(new.stem + ".json").write_text(
        json.dumps({"prompt_version": PROMPT_VERSION, "answers": answers})
    )
    new.unlink()
    resumed = Mock(_always("must not be asked"))
    annotator = _annotator(resumed, tmp_path)
    annotator.annotate_many(papers)
    assert resumed.calls == [] and annotator.usage.cache_hits == 2


def test_cache_is_saved_while_the_run_goes_on(tmp_path: Path) -> None:
    papers = [_paper(i) for i in range(3)]

    def reply(messages: list[ChatMessage]) -> str:
        if "Paper 2" in messages[1].text:
            raise KeyboardInterrupt  # the run is killed on the third paper
        return json.dumps(VALID)

    with pytest.raises(BaseException):  # noqa: B017 - whatever the interruption becomes
        _annotator(Mock(reply), tmp_path, concurrency=1, flush_interval=0).annotate_many(papers)
    resumed = Mock(_always(json.dumps(VALID)))
    _annotator(resumed, tmp_path).annotate_many(papers)
    assert len(resumed.calls) == 1


def test_at_least_eight_requests_in_flight(tmp_path: Path) -> None:
    state = {"now": 0, "max": 0}

    async def slow(messages: list[ChatMessage], *_: Any) -> ModelOutput:
        state["now"] += 1
        state["max"] = max(state["max"], state["now"])
        await asyncio.sleep(0.05)
        state["now"] -= 1
        return _output(json.dumps(VALID))

    annotator = LLMAnnotator("mockllm/model", custom_outputs=slow, cache_root=tmp_path)
    annotator.annotate_many([_paper(i) for i in range(32)])
    assert state["max"] >= 8


def test_inspect_connection_limit_does_not_cap_concurrency(tmp_path: Path) -> None:
    # openai-api defaults to 10 connections; 16 must reach the (stub) server at once (a 1 s
    # latency leaves a loaded machine time to open all 16)
    with StubServer(lambda _request: json.dumps(VALID), latency=1.0) as stub:
        annotator = LLMAnnotator(
            "openai-api/stub/model",
            base_url=stub.base_url,
            api_key="none",
            concurrency=16,
            cache_root=tmp_path,
        )
        labels = annotator.annotate_many([_paper(i) for i in range(32)])
    assert stub.max_in_flight == 16 and stub.requests == 32
    assert all(is_llm_labels(lab) for lab in labels)
    assert annotator.usage.input_tokens > 0


def test_runs_inside_a_running_event_loop(tmp_path: Path) -> None:
    async def caller() -> int:
        annotator = _annotator(Mock(_always(json.dumps(VALID))), tmp_path)
        return len(annotator.annotate_many([_paper()]))

    assert asyncio.run(caller()) == 1


def test_survey_annotation_cache_accepts_llm_labels(tmp_path: Path) -> None:
    papers = [_paper(1), _paper(2)]

    def reply(messages: list[ChatMessage]) -> str:
        return json.dumps(VALID) if "Paper 1" in messages[1].text else "?"

    annotator = _annotator(Mock(reply), tmp_path / "llm", max_retries=0)
    labels, fresh = annotate_cached(annotator, papers, cache_root=tmp_path / "survey")
    assert fresh == 2
    restored = pickle.loads(pickle.dumps(labels))
    assert isinstance(restored[1], FallbackLabels) and restored[1].llm_output == "?"


def test_disagreements_list_each_differing_field(tmp_path: Path) -> None:
    papers = [_paper(i, abstract="We red-team LLM safety.") for i in (1, 2, 3)]
    rules = RuleAnnotator().annotate_many(papers)  # each: Bengali, non_english, jailbreaking
    assert rules[1].group == "non_english"

    def reply(messages: list[ChatMessage]) -> str:
        text = messages[1].text
        if "Paper 3" in text:
            return "?"
        languages = ["Bengali"] if "Paper 1" in text else ["Bengali", "Hindi"]
        return json.dumps({**VALID, "languages": languages})

    llm = _annotator(Mock(reply), tmp_path, max_retries=0).annotate_many(papers)
    rows = disagreements(rules, llm, papers)
    fields = {(row["id"], row["field"]) for row in rows}
    assert fields == {("p2", "languages"), ("p2", "group"), ("p3", "llm_output")}
    p2 = next(r for r in rows if r["id"] == "p2" and r["field"] == "languages")
    assert (p2["rules"], p2["llm"]) == ("ben", "ben;hin")
    assert p2["llm_rationale"] == VALID["rationale"]


def test_unreachable_server_raises_its_own_error(tmp_path: Path) -> None:
    annotator = LLMAnnotator(
        "openai-api/stub/model",
        base_url="http://127.0.0.1:9/v1",  # discard port: nothing listens
        api_key="none",
        max_retries=0,
        cache_root=tmp_path,
    )
    annotator.client.config = annotator.client.config.merge(
        GenerateConfig(max_retries=0, timeout=2)
    )
    with pytest.raises(Exception) as raised:  # the provider's own error type
        annotator.annotate_many([_paper(1), _paper(2)])
    assert not isinstance(raised.value, ExceptionGroup)
    assert annotator.usage.requests == 0


def test_cli_builds_the_llm_annotator_at_run_time() -> None:
    """`survey run --annotator llm` used to fail with NameError: LLMAnnotator was imported only
    for type checking."""
    from langgap.survey.cli import _llm_annotator
    from langgap.survey.llm_annotator import LLMAnnotator
    from langgap.survey.screen import ScreenConfig

    assert isinstance(_llm_annotator("mockllm/model", 1, ScreenConfig()), LLMAnnotator)
