"""What the model-based probes share: their report and the cached, concurrent rewriting loop.

A *rewrite* is one model call that turns a text into another (a translation, a code-switched
version). The calling itself — client, usage, reply cache, runner — lives in `langgap.models`;
here a failed rewrite becomes an item flagged `failed` instead of stopping the run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from langgap.evaluate.probes.base import ProbeReport
from langgap.models.cache import ReplyCache
from langgap.models.client import ModelReplyError
from langgap.models.runner import cached_text, run_cached
from langgap.models.usage import Usage


@dataclass
class RewriteReport(ProbeReport):
    """A ProbeReport with item flags, failures and model usage (the model-based probes' base)."""

    n_failed: int = 0  # the model gave nothing: kept with the source text, flagged `failed`
    flags: dict[str, int] = field(default_factory=dict)  # flag -> number of items
    usage: Usage = field(default_factory=Usage)
    errors: list[str] = field(default_factory=list)  # "sample id: error" for failed items

    def summary(self) -> str:
        """A short plain-text account, safe to print (counts and ids only)."""
        flagged = ", ".join(f"{k} {v}" for k, v in sorted(self.flags.items())) or "none"
        return (
            f"{ProbeReport.summary(self)}\n  failed: {self.n_failed}; flagged: {flagged}\n"
            f"  usage: {self.usage.summary()}"
        )


Job = Callable[[], Awaitable[str]]


async def run_jobs(
    jobs: dict[str, Job], cache: ReplyCache, usage: Usage, concurrency: int
) -> dict[str, str | ModelReplyError]:
    """Run each job not cached (at most `concurrency` at once); each rewrite is cached on arrival.

    A job's ModelReplyError is returned in its place, counted as a failure and never cached (a
    rerun asks again); any other exception stops the run after what finished has been cached.
    """

    def failing_softly(job: Job) -> Callable[[], Awaitable[str | ModelReplyError]]:
        async def call() -> str | ModelReplyError:
            try:
                return await job()
            except ModelReplyError as err:
                usage.failures += 1
                return err

        return call

    return await run_cached(
        {key: failing_softly(job) for key, job in jobs.items()},
        cache=cache,
        usage=usage,
        concurrency=concurrency,
        decode=cached_text,
        encode=lambda result: result if isinstance(result, str) else None,
    )
