"""One runner and one client: bounded concurrency, cached replies, counted usage, plain errors."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from inspect_ai.model import ModelOutput, ModelUsage

from langgap.models import (
    ModelClient,
    ModelReplyError,
    ReplyCache,
    Usage,
    cached_text,
    run_cached,
    run_sync,
)


def _job(value: str | None, log: list[str], delay: float = 0.0) -> Any:
    async def job() -> str | None:
        log.append(str(value))
        await asyncio.sleep(delay)
        return value

    return job


def test_only_uncached_jobs_run_and_results_are_cached(tmp_path: Path) -> None:
    cache, usage, log = ReplyCache(tmp_path / "c.jsonl"), Usage(), []
    cache.put("a", "cached")
    jobs = {"a": _job("fresh", log), "b": _job("b", log), "c": _job(None, log)}
    done = run_sync(
        run_cached(
            jobs, cache=cache, usage=usage, concurrency=2, decode=cached_text, encode=lambda r: r
        )
    )
    assert done == {"a": "cached", "b": "b", "c": None}
    assert sorted(log) == ["None", "b"] and usage.cache_hits == 1
    again = ReplyCache(tmp_path / "c.jsonl")
    assert again.get("b") == "b" and again.get("c") is None  # None is never cached


def test_concurrency_is_bounded() -> None:
    state = {"now": 0, "max": 0}

    def job() -> Any:
        async def run() -> str:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
            await asyncio.sleep(0.01)
            state["now"] -= 1
            return "x"

        return run

    jobs = {str(i): job() for i in range(12)}
    run_sync(
        run_cached(
            jobs, cache=ReplyCache(None), usage=Usage(), concurrency=3, decode=cached_text,
            encode=lambda r: r,
        )
    )  # fmt: skip
    assert state["max"] == 3


def test_an_error_is_raised_as_itself_after_finished_replies_are_cached(tmp_path: Path) -> None:
    async def broken() -> str:
        await asyncio.sleep(0.05)
        raise ConnectionError("nothing listens")

    log: list[str] = []
    jobs = {"ok": _job("fine", log), "bad": broken}
    cache = ReplyCache(tmp_path / "c.jsonl", flush_interval=3600)
    with pytest.raises(ConnectionError):
        run_sync(
            run_cached(
                jobs, cache=cache, usage=Usage(), concurrency=2, decode=cached_text,
                encode=lambda r: r,
            )
        )  # fmt: skip
    assert ReplyCache(tmp_path / "c.jsonl").get("ok") == "fine"


def test_run_sync_inside_a_running_loop() -> None:
    async def outer() -> int:
        return run_sync(asyncio.sleep(0, result=7))

    assert asyncio.run(outer()) == 7


def _reply(text: str, error: str | None = None) -> ModelOutput:
    out = ModelOutput.from_content(model="mockllm", content=text, error=error)
    out.usage = ModelUsage(input_tokens=10, output_tokens=5, total_tokens=15, total_cost=0.5)
    return out


def test_client_cleans_replies_and_counts_usage() -> None:
    client = ModelClient("mockllm/model", custom_outputs=[_reply('"Bonjour"'), _reply(" ")])
    assert run_sync(client.complete("Hello")) == "Bonjour"
    with pytest.raises(ModelReplyError, match="empty reply"):
        run_sync(client.complete("Hello"))
    usage = client.usage
    assert (usage.requests, usage.input_tokens, usage.output_tokens) == (2, 20, 10)
    assert usage.failures == 0 and usage.cost == 1.0  # the caller counts failed items
    assert usage.summary() == (
        "2 requests, 20 input + 10 output tokens, cost 1.0000, 0 cached, 0 retries, 0 failed"
    )


def test_client_counts_into_the_usage_it_is_given() -> None:
    client = ModelClient("mockllm/model", custom_outputs=[_reply("", error="overloaded")])
    stage = Usage()
    with pytest.raises(ModelReplyError, match="model error: overloaded"):
        run_sync(client.complete("Hello", stage))
    assert stage.requests == 1 and client.usage.requests == 0
    with pytest.raises(ValueError, match="concurrency"):
        ModelClient("mockllm/model", concurrency=0)
