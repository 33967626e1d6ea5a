"""Cached, concurrent Inspect model calls for the datagen stages (on `langgap.models`).

Each call is keyed by (stage, model, prompt version, prompt hash) in one append-only JSONL cache
per run, written line by line as replies arrive: a killed run loses only the calls in flight.
One semaphore bounds the requests in flight across every stage and model.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from inspect_ai.model import Model

from langgap.datagen.config import ModelSpec
from langgap.models.cache import ReplyCache, text_key
from langgap.models.client import ModelClient, ModelReplyError
from langgap.models.runner import cached_call, cached_text
from langgap.models.usage import StageUsage


class StageError(RuntimeError):
    """A model call that gave no usable reply (recorded against the item, never cached)."""


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
        self.cache = ReplyCache(cache_path)
        self.semaphore = asyncio.Semaphore(concurrency)
        self.usage = StageUsage()
        self._rewriters: dict[str, ModelClient] = {}
        built: dict[str, ModelClient] = {}
        for stage, spec in specs.items():
            given = (overrides or {}).get(stage)
            key = f"{spec.model_dump_json()}|{id(given)}"
            if key not in built:  # stages sharing a model share its connection pool
                built[key] = ModelClient(
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
        usage = self.usage.of(stage)

        async def call() -> str:
            try:
                return await rewriter.complete(prompt, usage)
            except ModelReplyError as err:
                usage.failures += 1
                raise StageError(f"{stage}: {err}") from err

        key = text_key(stage, rewriter.model_name, version, prompt)
        return await cached_call(
            key,
            call,
            cache=self.cache,
            usage=usage,
            semaphore=self.semaphore,
            decode=cached_text,
            encode=lambda text: text,
        )
