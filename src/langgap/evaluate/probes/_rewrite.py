"""Shared machinery of the model-based probes: a resumable cache and concurrent rewriting.

A *rewrite* is one model call that turns a text into another (a translation, a code-switched
version). Results are appended to a JSONL cache as they arrive, so a killed run loses at most the
calls in flight and a rerun asks only for what is missing. Keys hash the source text: the cache
file never holds a prompt, only the model's rewrites.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import re
import threading
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from inspect_ai.model import ChatMessageUser, GenerateConfig, Model, get_model

from langgap._io import cache_dir
from langgap.evaluate.probes.base import ProbeReport

T = TypeVar("T")


class ProbeModelError(RuntimeError):
    """A model call that produced no usable rewrite."""


class ProbeInputError(ValueError):
    """Input a model-based probe cannot use (chat inputs, missing languages, unknown names)."""


@dataclass(slots=True)
class RewriteUsage:
    """What a run cost: model calls, tokens, cache hits and failures."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_hits: int = 0
    failures: int = 0

    def summary(self) -> str:
        """One line for the CLI."""
        return (
            f"{self.requests} requests, {self.input_tokens} input + {self.output_tokens} output "
            f"tokens, {self.cache_hits} cached, {self.failures} failed"
        )


@dataclass
class RewriteReport(ProbeReport):
    """A ProbeReport with item flags, failures and model usage (the model-based probes' base)."""

    n_failed: int = 0  # the model gave nothing: kept with the source text, flagged `failed`
    flags: dict[str, int] = field(default_factory=dict)  # flag -> number of items
    usage: RewriteUsage = field(default_factory=RewriteUsage)
    errors: list[str] = field(default_factory=list)  # "sample id: error" for failed items

    def summary(self) -> str:
        """A short plain-text account, safe to print (counts and ids only)."""
        flagged = ", ".join(f"{k} {v}" for k, v in sorted(self.flags.items())) or "none"
        return (
            f"{ProbeReport.summary(self)}\n  failed: {self.n_failed}; flagged: {flagged}\n"
            f"  usage: {self.usage.summary()}"
        )


def text_key(*parts: str) -> str:
    """A stable hash of the parts (source text, languages, …): what the cache is keyed by."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


class RewriteCache:
    """Rewrites by key in one append-only JSONL file per (backend, model, prompt version)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._items: dict[str, str] = self._load() if path is not None else {}

    @classmethod
    def for_scope(cls, kind: str, scope: str, root: Path | None, enabled: bool) -> RewriteCache:
        """The cache of one scope (e.g. "inspect:openai/gpt-4o|translate-v1") under `kind`."""
        if not enabled:
            return cls(None)
        # The readable part may be shortened or collide ("a/b", "a_b"); the digest keeps it exact.
        readable = re.sub(r"[^A-Za-z0-9._-]+", "_", scope)[-80:]
        return cls((root or cache_dir(kind)) / f"{readable}-{text_key(scope)[:12]}.jsonl")

    def _load(self) -> dict[str, str]:
        assert self.path is not None
        items: dict[str, str] = {}
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return items  # absent or unreadable: everything is asked again
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line torn by a kill mid-write: that item is asked again
            if isinstance(entry, dict) and isinstance(entry.get("t"), str):
                items[str(entry.get("k"))] = entry["t"]
        return items

    def get(self, key: str) -> str | None:
        """The cached rewrite, or None."""
        return self._items.get(key)

    def put(self, key: str, text: str) -> None:
        """Remember a rewrite and append it to disk at once (one line, flushed)."""
        with self._lock:
            self._items[key] = text
            if self.path is None:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps({"k": key, "t": text}, ensure_ascii=False) + "\n")

    def __len__(self) -> int:
        return len(self._items)


Job = Callable[[], Awaitable[str]]


async def run_jobs(
    jobs: dict[str, Job], cache: RewriteCache, usage: RewriteUsage, concurrency: int
) -> dict[str, str | ProbeModelError]:
    """Run each job not cached (at most `concurrency` at once); each result is cached on arrival.

    A job's ProbeModelError is returned in its place and never cached (a rerun asks again);
    any other exception stops the run after what finished has been cached.
    """
    results: dict[str, str | ProbeModelError] = {}
    semaphore = asyncio.Semaphore(concurrency)

    async def one(key: str, job: Job) -> None:
        cached = cache.get(key)
        if cached is not None:
            usage.cache_hits += 1
            results[key] = cached
            return
        async with semaphore:
            try:
                text = await job()
            except ProbeModelError as err:
                usage.failures += 1
                results[key] = err
                return
        cache.put(key, text)
        results[key] = text

    try:
        async with asyncio.TaskGroup() as group:
            for key, job in jobs.items():
                group.create_task(one(key, job))
    except ExceptionGroup as errors:
        # A model that cannot be reached fails every item alike: show the cause, not a group.
        raise errors.exceptions[0] from errors
    return results


class InspectRewriter:
    """One prompt -> one completion through any Inspect model, counting usage."""

    def __init__(
        self,
        model: str | Model,
        *,
        concurrency: int = 8,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int | None = None,
        **model_args: Any,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be ≥ 1, got {concurrency}")
        # Inspect's own connection pool must not cap the semaphore below `concurrency`.
        self.config = GenerateConfig(
            max_connections=concurrency, max_tokens=max_tokens, temperature=temperature, seed=seed
        )
        self.model = (
            model
            if isinstance(model, Model)
            else get_model(model, config=self.config, memoize=False, **model_args)
        )
        self.model_name = str(self.model)
        self.concurrency = concurrency
        self.usage = RewriteUsage()

    async def complete(self, prompt: str) -> str:
        """The model's reply to one user prompt; ProbeModelError when it errs or says nothing."""
        output = await self.model.generate([ChatMessageUser(content=prompt)], config=self.config)
        self.usage.requests += 1
        if output.usage is not None:
            self.usage.input_tokens += output.usage.input_tokens
            self.usage.output_tokens += output.usage.output_tokens
        if output.error:
            raise ProbeModelError(f"model error: {output.error}")
        text = clean_reply(output.completion)
        if not text:
            raise ProbeModelError("the model returned an empty reply")
        return text


_QUOTES = {'"': '"', "“": "”", "«": "»", "'": "'", "「": "」"}


def clean_reply(text: str) -> str:
    """Strip whitespace and one pair of quotes wrapped around the whole reply (models add them)."""
    text = text.strip()
    if len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:
        text = text[1:-1].strip()
    return text


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from synchronous code, also when an event loop is already running here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def sample_text(input_: str | Sequence[Any], where: str) -> str:
    """The prompt text of a sample whose input is a string (chat inputs are not rewritten)."""
    if isinstance(input_, str):
        return input_
    raise ProbeInputError(
        f"{where}: the input is a list of chat messages; model-based probes rewrite single "
        "prompts. Fix: apply them to the benchmark's original samples"
    )
