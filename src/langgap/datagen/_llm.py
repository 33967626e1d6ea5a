"""Cached, concurrent Inspect model calls for the datagen stages (built on the probes' machinery).

Each call is keyed by (stage, model, prompt version, prompt hash) in one append-only JSONL cache
per run, written line by line as replies arrive: a killed run loses only the calls in flight.
One semaphore bounds the requests in flight across every stage and model.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from inspect_ai.model import ChatMessageUser, Model

from langgap.datagen.config import ModelSpec
from langgap.evaluate.probes._rewrite import (
    InspectRewriter,
    RewriteCache,
    RewriteUsage,
    clean_reply,
    text_key,
)


class StageError(RuntimeError):
    """A model call that gave no usable reply (recorded against the item, never cached)."""


@dataclass(slots=True)
class StageUsage:
    """Requests, tokens, cache hits and failures per stage."""

    by_stage: dict[str, RewriteUsage] = field(default_factory=dict)

    def of(self, stage: str) -> RewriteUsage:
        """The counters of one stage (created on first use)."""
        return self.by_stage.setdefault(stage, RewriteUsage())

    @property
    def requests(self) -> int:
        """Model requests over all stages."""
        return sum(u.requests for u in self.by_stage.values())

    def summary(self) -> str:
        """One line per stage, for the CLI (counts only, never text)."""
        return "\n".join(f"  {s}: {u.summary()}" for s, u in sorted(self.by_stage.items()))


class StageModels:
    """The run's model calls: one Inspect model per stage, one cache, one concurrency bound."""

    def __init__(
        self,
        specs: dict[str, ModelSpec],
        cache_path: Path | None,
        *,
        concurrency: int,
        max_tokens: int,
        overrides: dict[str, Model] | None = None,
    ) -> None:
        self.cache = RewriteCache(cache_path)
        self.semaphore = asyncio.Semaphore(concurrency)
        self.usage = StageUsage()
        self._rewriters: dict[str, InspectRewriter] = {}
        built: dict[str, InspectRewriter] = {}
        for stage, spec in specs.items():
            given = (overrides or {}).get(stage)
            key = f"{spec.model_dump_json()}|{id(given)}"
            if key not in built:  # stages sharing a model share its connection pool
                built[key] = InspectRewriter(
                    given or spec.name,
                    concurrency=concurrency,
                    max_tokens=spec.max_tokens or max_tokens,
                    temperature=spec.temperature,
                    **spec.args,
                )
            self._rewriters[stage] = built[key]

    def model_name(self, stage: str) -> str:
        """The Inspect name of a stage's model."""
        return self._rewriters[stage].model_name

    async def ask(self, stage: str, role: str, prompt: str, version: str) -> str:
        """The reply of `role`'s model (a stage key of the specs) to `prompt`, through the cache.

        `stage` names the step for the cache and the usage (e.g. "repair-critique"); a model error
        or an empty reply raises, and the caller records it against the item.
        """
        rewriter = self._rewriters[role]
        key = text_key(stage, rewriter.model_name, version, prompt)
        usage = self.usage.of(stage)
        cached = self.cache.get(key)
        if cached is not None:
            usage.cache_hits += 1
            return cached
        async with self.semaphore:
            usage.requests += 1
            try:
                output = await rewriter.model.generate(
                    [ChatMessageUser(content=prompt)], config=rewriter.config
                )
            except Exception:
                usage.failures += 1
                raise
        if output.usage is not None:
            usage.input_tokens += output.usage.input_tokens
            usage.output_tokens += output.usage.output_tokens
        text = clean_reply(output.completion)
        if output.error or not text:
            usage.failures += 1
            why = f"model error: {output.error}" if output.error else "empty reply"
            raise StageError(f"{stage}: {why}")
        self.cache.put(key, text)
        return text
