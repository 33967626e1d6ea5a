"""What model calls cost: one counter for every layer that calls a model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only annotated: code that merely runs coroutines need not load Inspect
    from inspect_ai.model import ModelOutput


@dataclass(slots=True)
class Usage:
    """Requests, tokens, provider cost, cache hits, retries and failures of a run.

    >>> usage = Usage(requests=2, input_tokens=30, output_tokens=8, cache_hits=1)
    >>> usage.summary()
    '2 requests, 30 input + 8 output tokens, 1 cached, 0 retries, 0 failed'
    """

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0  # only where the provider reports it
    cache_hits: int = 0
    retries: int = 0
    failures: int = 0

    def add(self, output: ModelOutput) -> None:
        """Count one model call and the tokens (and cost) its provider reported."""
        self.requests += 1
        if output.usage is not None:
            self.input_tokens += output.usage.input_tokens
            self.output_tokens += output.usage.output_tokens
            self.cost += output.usage.total_cost or 0.0

    def summary(self) -> str:
        """One line for the CLI (counts only, never text)."""
        cost = f", cost {self.cost:.4f}" if self.cost else ""
        return (
            f"{self.requests} requests, {self.input_tokens} input + {self.output_tokens} output "
            f"tokens{cost}, {self.cache_hits} cached, {self.retries} retries, "
            f"{self.failures} failed"
        )


@dataclass(slots=True)
class StageUsage:
    """One `Usage` per named stage of a run (datagen's translate, judge, repair, …)."""

    by_stage: dict[str, Usage] = field(default_factory=dict)

    def of(self, stage: str) -> Usage:
        """The counters of one stage (created on first use)."""
        return self.by_stage.setdefault(stage, Usage())

    @property
    def requests(self) -> int:
        """Model requests over all stages."""
        return sum(u.requests for u in self.by_stage.values())

    def summary(self) -> str:
        """One line per stage, for the CLI (counts only, never text)."""
        return "\n".join(f"  {s}: {u.summary()}" for s, u in sorted(self.by_stage.items()))
