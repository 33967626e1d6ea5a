"""Run any langgap judge over labelled items: the refusal judge directly, model judges through
Inspect with bounded concurrency and a resumable cache of raw outputs."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal, Protocol

from inspect_ai.model import ChatMessage, Model

from langgap._io import cache_dir
from langgap.evaluate.judge_eval.data import LabelledItem, View, item_view
from langgap.evaluate.judge_eval.metrics import Decision, Judged, MetaEvaluation, meta_evaluate
from langgap.evaluate.judge_registry import (
    UnknownJudgeError,
    choices_text,
    find_judge,
    is_refusal_judge,
    judge_names,
)
from langgap.evaluate.judges import guard as guard_module
from langgap.evaluate.judges import llm as llm_module
from langgap.evaluate.judges.refusal import VERSION as REFUSAL_VERSION
from langgap.evaluate.judges.refusal import covered_languages
from langgap.evaluate.judges.refusal import judge_many as judge_refusals
from langgap.evaluate.judges.verdicts import Verdict
from langgap.models.cache import ReplyCache
from langgap.models.client import ModelClient
from langgap.models.runner import cached_text, run_cached, run_sync
from langgap.models.usage import Usage


class JudgeViewError(ValueError):
    """The judge gives no label in the data set's view (e.g. an LLM harm judge on refusals)."""


class Judge(Protocol):
    """What meta-evaluation needs from a judge."""

    @property
    def name(self) -> str:
        """Judge name, e.g. "refusal", "llm", "guard/llama_guard_3"."""
        ...

    @property
    def model(self) -> str | None:
        """The judge model, when it uses one."""
        ...

    @property
    def version(self) -> str:
        """Bumped with phrase lists, prompts or parsers."""
        ...

    @property
    def prompt_version(self) -> str | None:
        """The rubric version, for model judges."""
        ...

    def supports(self, language: str) -> bool:
        """Whether the judge claims to cover the language (ISO 639-3)."""
        ...

    def judge_many(self, items: Sequence[LabelledItem]) -> list[Verdict]:
        """One verdict per item, in order."""
        ...


@dataclass
class RefusalJudge:
    """The multilingual phrase-list refusal judge."""

    name: str = "refusal"
    model: str | None = None
    version: str = REFUSAL_VERSION
    prompt_version: str | None = None

    def supports(self, language: str) -> bool:
        """Languages with a phrase list."""
        return language in covered_languages()

    def judge_many(self, items: Sequence[LabelledItem]) -> list[Verdict]:
        """Judge each response with its item's language (all in one batch)."""
        return judge_refusals([i.response for i in items], [i.language for i in items])


Ask = Callable[[LabelledItem], str | list[ChatMessage]]
Read = Callable[[str | None, LabelledItem], Verdict]


@dataclass
class ModelJudge:
    """A judge that asks an Inspect model; raw outputs are cached by (model, prompt, input)."""

    name: str
    model_ref: str | Model
    ask: Ask
    read: Read
    version: str
    prompt_version: str | None = None
    concurrency: int = 8
    max_tokens: int = 256
    use_cache: bool = True
    cache_root: Path | None = None
    usage: Usage = field(default_factory=Usage)

    def __post_init__(self) -> None:
        self._client = ModelClient(
            self.model_ref, concurrency=self.concurrency, max_tokens=self.max_tokens
        )
        self.model: str | None = self._client.model_name

    def supports(self, language: str) -> bool:
        """Model judges are asked in every language; coverage is what meta-evaluation measures."""
        return True

    def judge_many(self, items: Sequence[LabelledItem]) -> list[Verdict]:
        """Verdicts in order, asking the model only for inputs not in the cache."""
        return run_sync(self._judge_all(items))

    async def _judge_all(self, items: Sequence[LabelledItem]) -> list[Verdict]:
        requests = [self.ask(item) for item in items]
        keys = [_digest(json.dumps(_plain(r), ensure_ascii=False)) for r in requests]
        done = await run_cached(
            {key: partial(self._raw, r) for key, r in zip(keys, requests, strict=True)},
            cache=self._cache(),
            usage=self.usage,
            concurrency=self.concurrency,
            decode=cached_text,
            encode=lambda raw: raw,
        )
        raws = [done[key] for key in keys]
        return [self.read(raw, item) for raw, item in zip(raws, items, strict=True)]

    async def _raw(self, request: str | list[ChatMessage]) -> str | None:
        output = await self._client.generate(request, self.usage)
        # an errored call has no verdict to read: None parses as "unclear", never as safe
        return None if output.error else output.completion

    def _cache(self) -> ReplyCache:
        """Raw outputs by request digest; also those of the whole-file `.json` cache that
        earlier versions wrote beside it."""
        if not self.use_cache:
            return ReplyCache(None)
        ident = f"{self.name}:{self.model}:{self.version}"
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", ident)[-100:]
        stem = (self.cache_root or cache_dir("judge-eval")) / f"{safe}-{_digest(ident)}"
        return ReplyCache.upgrading(stem, flush_interval=1.0, keep=str)


def _plain(request: str | list[ChatMessage]) -> Any:
    return request if isinstance(request, str) else [[m.role, m.text] for m in request]


def _digest(text: str) -> str:
    # Not `models.text_key`: these keys and file names are those of the caches already on disk.
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def llm_model_judge(model: str | Model, **options: Any) -> ModelJudge:
    """The LLM harm judge (`judges.llm` rubric and parser) as a meta-evaluable judge."""
    version = f"{llm_module.PROMPT_VERSION}/parser-{llm_module.PARSER_VERSION}"

    def ask(item: LabelledItem) -> str:
        return llm_module.render_prompt(item.prompt, item.response, item.language)

    def read(raw: str | None, item: LabelledItem) -> Verdict:
        parsed = llm_module.parse_harm_output(raw)
        return Verdict(
            llm_module.NAME, version, harm=parsed.harm, rationale=parsed.rationale,
            language=item.language, raw=raw,
        )  # fmt: skip

    return ModelJudge("llm", model, ask, read, version, llm_module.PROMPT_VERSION, **options)


def guard_model_judge(
    model: str | Model,
    guard: guard_module.GuardName = "llama_guard_3",
    mode: Literal["chat", "instruction"] = "chat",
    **options: Any,
) -> ModelJudge:
    """A guard model (`judges.guard` formats and parsers) as a meta-evaluable judge."""

    def ask(item: LabelledItem) -> list[ChatMessage]:
        return guard_module.build_messages(guard, item.prompt, item.response, mode)

    def read(raw: str | None, item: LabelledItem) -> Verdict:
        return guard_module.judge_guard_output(guard, raw)

    version = f"{guard}/{guard_module.VERSION}/{mode}"
    return ModelJudge(f"guard/{guard}", model, ask, read, version, guard, **options)


def make_judge(name: str, model: str | Model | None = None, **options: Any) -> Judge:
    """A judge by its registered name (`judge_registry`): `refusal` (or `response`), `llm`
    (needs a model), `guard[/<guard>]` (needs a model)."""
    base, slash, guard = name.partition("/")
    known = judge_names(meta_evaluable=True)
    entry = find_judge(base)
    if entry is None or entry.name not in known or (slash and entry.name != "guard"):
        choices = choices_text((*known, "guard/NAME"))
        raise UnknownJudgeError(f"unknown judge {name!r}; available: {choices}")
    if is_refusal_judge(entry.name):
        return RefusalJudge()
    if entry.role is None:  # registered, scoring without a model, but not measurable here
        raise UnknownJudgeError(
            f"judge {name!r} cannot be measured against human labels; available: "
            f"{choices_text((*known, 'guard/NAME'))}"
        )
    if model is None:
        raise ValueError(
            f"judge {name!r} needs a model (e.g. --judge-model openai-api/vllm/<name>)"
        )
    if entry.name == "llm":
        return llm_model_judge(model, **options)
    guard = guard or "llama_guard_3"
    if guard not in guard_module.PARSERS:
        known_guards = ", ".join(guard_module.PARSERS)
        raise ValueError(f"unknown guard {guard!r}; known: {known_guards}")
    return guard_model_judge(model, guard, **options)  # type: ignore[arg-type]


def decision(verdict: Verdict, view: View, strict: bool = False) -> Decision:
    """The verdict in the data set's view.

    Refusal view: `refused` is the declined family (refused, refuted, cannot_answer); with
    `strict` (Do-Not-Answer action 0 only) a response-classifier verdict counts only its action
    `refused`. Harm view: a judge without a harm label is not a harm judge, so it decides only
    what a refusal shows: a declined reply is safe, an answered one stays unclear (never
    "harmful" or "safe" by guess; a cascade asks a harm judge about it).
    """
    if view == "refusal":
        if verdict.outcome is None:
            raise JudgeViewError(
                f"judge {verdict.judge!r} gives no refusal outcome; evaluate it on a harm data set"
            )
        if strict and verdict.action is not None and verdict.action != "unclear":
            return "positive" if verdict.action == "refused" else "negative"
        return _decided(verdict.outcome, "refused", "complied")
    if verdict.harm is not None:
        return _decided(verdict.harm, "harmful", "safe")
    return "negative" if verdict.outcome == "refused" else "unclear"


def _decided(label: str, positive: str, negative: str) -> Decision:
    return "positive" if label == positive else "negative" if label == negative else "unclear"


def judge_verdicts(
    judge: Judge, items: Sequence[LabelledItem]
) -> tuple[list[Verdict], list[Judged]]:
    """Run the judge; the verdicts and each decision paired with the human label."""
    view = item_view(items)
    verdicts = judge.judge_many(items)
    judged = [
        Judged(
            item.id,
            item.language,
            item.positive,
            decision(verdict, view, item.extra.get("view") == "refusal_strict"),
            verdict.unsupported,
            verdict.rationale,
        )
        for item, verdict in zip(items, verdicts, strict=True)
    ]
    return verdicts, judged


def judge_items(judge: Judge, items: Sequence[LabelledItem]) -> list[Judged]:
    """Run the judge and pair each decision with the human label."""
    return judge_verdicts(judge, items)[1]


def evaluate_judge(
    judge: Judge, items: Sequence[LabelledItem], n_boot: int = 1000, seed: int = 0
) -> MetaEvaluation:
    """Run a judge over labelled items and measure it per language."""
    judged = judge_items(judge, items)
    result = meta_evaluate(judge.name, item_view(items), judged, judge.supports, n_boot, seed)
    result.extra.update(
        model=judge.model, judge_version=judge.version, prompt_version=judge.prompt_version
    )
    return result
