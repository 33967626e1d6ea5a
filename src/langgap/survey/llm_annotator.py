"""An annotator backed by any Inspect model: OpenAI-compatible servers, hosted APIs, local HF.

Papers run concurrently; each reply is validated (`llm_answer.LLMAnswer`) and, when invalid, asked
again with the error. Valid answers are cached as they arrive (`langgap.models.ReplyCache`), so a
killed run resumes.

A paper whose replies never validate is not given invented labels. It gets the fallback
annotator's labels (the transparent rule annotator by default) as `FallbackLabels`, which carry the
LLM's error and last reply; `is_llm_labels` tells them apart, `failures` lists them, and they are
never cached, so the next run asks again. With `fallback=None` the run raises
`LLMAnnotationError` instead (after caching every valid answer).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import partial
from pathlib import Path
from typing import Any

from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageUser,
    Model,
)

from langgap._io import cache_dir
from langgap.languages import try_lookup
from langgap.models.cache import JSON, ReplyCache
from langgap.models.client import ModelClient
from langgap.models.runner import run_cached, run_sync
from langgap.survey.annotate import Annotator, RuleAnnotator, _group
from langgap.survey.annotation_cache import paper_key
from langgap.survey.llm_answer import (
    PROMPT_VERSION,
    SYSTEM_PROMPT,
    AnswerError,
    LLMAnswer,
    parse_answer,
    retry_prompt,
    user_prompt,
)
from langgap.survey.models import Evidence, Labels, Paper

_FIELDS = ("related", "languages", "group", "topic", "documented")


@dataclass(frozen=True, slots=True)
class AnnotationFailure:
    """A paper whose replies never validated."""

    paper_id: str
    raw_output: str
    error: str
    attempts: int


@dataclass(slots=True)
class FallbackLabels(Labels):
    """Labels from the fallback annotator for a paper the LLM could not annotate."""

    llm_error: str = ""
    llm_output: str = ""


def is_llm_labels(labels: Labels) -> bool:
    """True when the labels are the LLM's own answer, not a fallback."""
    return not isinstance(labels, FallbackLabels)


class LLMAnnotationError(RuntimeError):
    """Some papers got no valid answer and there is no fallback annotator."""

    def __init__(self, failures: Sequence[AnnotationFailure]) -> None:
        self.failures = list(failures)
        listed = "; ".join(f"{f.paper_id}: {f.error}" for f in self.failures[:5])
        more = f" (+{len(self.failures) - 5} more)" if len(self.failures) > 5 else ""
        super().__init__(
            f"{len(self.failures)} paper(s) got no valid LLM answer: {listed}{more}. "
            "Valid answers are cached; rerun to retry only these, or use a fallback annotator."
        )


class LLMAnnotator:
    """Labels papers with an Inspect model; `version` follows the prompt and the model.

    >>> annotator = LLMAnnotator("openai-api/vllm/Qwen2.5-7B-Instruct")  # doctest: +SKIP
    >>> labels = annotator.annotate_many(papers)  # doctest: +SKIP
    >>> print(annotator.usage.summary())  # doctest: +SKIP
    """

    name = "llm"

    def __init__(
        self,
        model: str | Model,
        *,
        concurrency: int = 8,
        max_retries: int = 2,
        max_tokens: int = 512,
        temperature: float = 0.0,
        fallback: Annotator | None = None,
        use_fallback: bool = True,
        use_cache: bool = True,
        cache_root: Path | None = None,
        flush_interval: float = 1.0,
        **model_args: Any,
    ) -> None:
        if concurrency < 1 or max_retries < 0:
            raise ValueError("concurrency must be ≥ 1 and max_retries ≥ 0")
        self.client = ModelClient(
            model,
            concurrency=concurrency,
            max_tokens=max_tokens,
            temperature=temperature,
            **model_args,
        )
        self.model_name = self.client.model_name  # provider/name, as `get_model` was given it
        self.version = f"{PROMPT_VERSION}:{self.model_name}"
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.fallback = (fallback or RuleAnnotator()) if use_fallback else None
        self.use_cache = use_cache
        self.cache_root = cache_root
        self.flush_interval = flush_interval
        self.usage = self.client.usage
        self.failures: list[AnnotationFailure] = []

    def cacheable(self, labels: Labels) -> bool:
        """Only the model's own valid answers are cached; fallback labels are asked again."""
        return is_llm_labels(labels)

    def annotate_many(self, papers: Sequence[Paper]) -> list[Labels]:
        """Labels for each paper, in order (runs the async version to completion)."""
        return run_sync(self.annotate_many_async(papers))

    async def annotate_many_async(self, papers: Sequence[Paper]) -> list[Labels]:
        """Labels for each paper, in order, with up to `concurrency` requests in flight."""
        cache = self._cache()
        keys = [paper_key(paper) for paper in papers]
        jobs = {key: partial(self._ask, paper) for key, paper in zip(keys, papers, strict=True)}
        answers = await run_cached(
            jobs,
            cache=cache,
            usage=self.usage,
            concurrency=self.concurrency,
            decode=_answer,
            encode=lambda a: a.model_dump(mode="json") if isinstance(a, LLMAnswer) else None,
        )
        return self._labels(papers, [answers[key] for key in keys])

    async def _ask(self, paper: Paper) -> LLMAnswer | AnnotationFailure:
        messages: list[ChatMessage] = [
            ChatMessageSystem(content=SYSTEM_PROMPT),
            ChatMessageUser(content=user_prompt(paper)),
        ]
        raw, error = "", ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.usage.retries += 1
                messages += [
                    ChatMessageAssistant(content=raw),
                    ChatMessageUser(content=retry_prompt(error)),
                ]
            output = await self.client.generate(messages)
            raw = output.completion
            if output.error:
                error = f"model error: {output.error}"
                continue
            try:
                return parse_answer(raw)
            except AnswerError as exc:
                error = str(exc)
        self.usage.failures += 1
        return AnnotationFailure(paper.id, raw, error, self.max_retries + 1)

    def _labels(
        self, papers: Sequence[Paper], answers: Sequence[LLMAnswer | AnnotationFailure]
    ) -> list[Labels]:
        self.failures = [a for a in answers if isinstance(a, AnnotationFailure)]
        if self.failures and self.fallback is None:
            raise LLMAnnotationError(self.failures)
        failed = [i for i, a in enumerate(answers) if isinstance(a, AnnotationFailure)]
        fallback = self._fallback([papers[i] for i in failed])
        by_position = dict(zip(failed, fallback, strict=True))
        result: list[Labels] = []
        for i, answer in enumerate(answers):
            if isinstance(answer, AnnotationFailure):
                result.append(self._mark(by_position[i], answer))
            else:
                result.append(self._to_labels(answer))
        return result

    def _fallback(self, papers: Sequence[Paper]) -> list[Labels]:
        if not papers or self.fallback is None:
            return []
        return self.fallback.annotate_many(papers)

    def _to_labels(self, answer: LLMAnswer) -> Labels:
        codes = answer.codes()
        why = [Evidence("llm", 0, 0, answer.rationale, f"llm/{self.model_name}")]
        return Labels(
            related=answer.related,
            languages=codes,
            group=_group(set(codes), claimed_multilingual=False),
            topic=answer.topic,
            documented=answer.documented and bool(answer.languages),
            annotator=f"{self.name}/{self.version}",
            evidence={
                "related": why,
                "topic": why,
                "languages": [
                    Evidence("llm", 0, 0, name, "→ " + "+".join(_counted(name)))
                    for name in answer.languages
                ],
            },
        )

    def _mark(self, labels: Labels, failure: AnnotationFailure) -> FallbackLabels:
        note = f"LLM answer unusable after {failure.attempts} tries: {failure.error}"
        evidence = {**labels.evidence, "llm": [Evidence("llm", 0, 0, failure.raw_output, note)]}
        values = {f.name: getattr(labels, f.name) for f in fields(Labels)}
        values.update(
            annotator=f"{self.name}/{self.version}:invalid->{labels.annotator}",
            evidence=evidence,
        )
        return FallbackLabels(**values, llm_error=failure.error, llm_output=failure.raw_output)

    def _cache(self) -> ReplyCache:
        """Valid answers by paper key for this (model, prompt version); also the answers of the
        whole-file JSON cache (`….json`) that earlier versions wrote beside it."""
        if not self.use_cache:
            return ReplyCache(None)
        # The readable part may be shortened or collide ("a/b", "a_b"); the digest keeps it exact.
        digest = hashlib.blake2b(self.version.encode(), digest_size=6).hexdigest()
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", self.model_name)[-100:]
        stem = f"{safe}-{PROMPT_VERSION}-{digest}"
        folder = self.cache_root or cache_dir("llm-annotations")
        return ReplyCache.upgrading(
            folder / stem, flush_interval=self.flush_interval, section="answers"
        )


def _answer(stored: JSON) -> LLMAnswer | None:
    """A cached answer, or None when it no longer validates (it is asked again)."""
    try:
        return LLMAnswer.model_validate(stored)
    except ValueError:
        return None


def _counted(name: str) -> tuple[str, ...]:
    lang = try_lookup(name)
    return lang.counted if lang else ()


def disagreements(
    rule_labels: Sequence[Labels], llm_labels: Sequence[Labels], papers: Sequence[Paper]
) -> list[dict[str, str]]:
    """One row per paper and field where the rules and the LLM differ, for review.

    Papers the LLM could not annotate get one row with field `llm_output`, so they are reviewed
    rather than counted as agreement.
    """
    rows: list[dict[str, str]] = []
    for paper, rules, llm in zip(papers, rule_labels, llm_labels, strict=True):
        base = {"id": paper.id, "title": paper.title}
        if isinstance(llm, FallbackLabels):
            rows.append(
                {
                    **base,
                    "field": "llm_output",
                    "rules": "",
                    "llm": f"unusable: {llm.llm_error}",
                    "llm_rationale": llm.llm_output,
                }
            )
            continue
        why = " ".join(e.text for e in llm.evidence.get("related", []))
        for name in _FIELDS:
            ours, theirs = _show(getattr(rules, name)), _show(getattr(llm, name))
            if ours != theirs:
                rows.append(
                    {**base, "field": name, "rules": ours, "llm": theirs, "llm_rationale": why}
                )
    return rows


def _show(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return ";".join(str(v) for v in value)
    return str(value)
