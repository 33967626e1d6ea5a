"""Running model calls: from synchronous code, concurrently, through a reply cache.

Every layer that asks a model many things at once goes through `run_cached`: at most
`concurrency` calls in flight, each reply cached as it arrives (a killed run loses only the calls
in flight), and a failure that hits every call (an unreachable server) raised as itself rather than
as an ExceptionGroup.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, TypeVar

from langgap.models.cache import JSON, ReplyCache
from langgap.models.usage import Usage

T = TypeVar("T")
R = TypeVar("R")

Job = Callable[[], Awaitable[R]]
Decode = Callable[[JSON], R | None]  # a cached value -> the result, or None to ask again
Encode = Callable[[R], JSON | None]  # a result -> what to cache, or None to never cache it


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from synchronous code, also when an event loop is already running here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def cached_call(
    key: str,
    job: Job[R],
    *,
    cache: ReplyCache,
    usage: Usage,
    semaphore: asyncio.Semaphore,
    decode: Decode[R],
    encode: Encode[R],
) -> R:
    """The cached result of `key`, or `job()`'s (run under `semaphore`), cached on arrival."""
    stored = cache.get(key)
    if stored is not None and (hit := decode(stored)) is not None:
        usage.cache_hits += 1
        return hit
    async with semaphore:
        result = await job()
    if (value := encode(result)) is not None:
        cache.put(key, value)
    return result


async def run_cached(
    jobs: Mapping[str, Job[R]],
    *,
    cache: ReplyCache,
    usage: Usage,
    concurrency: int,
    decode: Decode[R],
    encode: Encode[R],
) -> dict[str, R]:
    """Each job's result by its cache key; only jobs not in the cache are run.

    An exception from a job stops the run after what finished has been cached (and flushed).
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be ≥ 1, got {concurrency}")
    semaphore = asyncio.Semaphore(concurrency)
    results: dict[str, R] = {}

    async def one(key: str, job: Job[R]) -> None:
        results[key] = await cached_call(
            key, job, cache=cache, usage=usage, semaphore=semaphore, decode=decode, encode=encode
        )

    try:
        async with asyncio.TaskGroup() as group:
            for key, job in jobs.items():
                group.create_task(one(key, job))
    except ExceptionGroup as errors:
        # A model that cannot be reached fails every call alike: show the cause, not a group.
        raise errors.exceptions[0] from errors
    finally:
        cache.flush()
    return results


def cached_text(value: JSON) -> str | None:
    """A `Decode` for replies cached as plain text."""
    return value if isinstance(value, str) else None
