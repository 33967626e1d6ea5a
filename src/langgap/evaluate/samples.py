"""The metadata every langgap evaluation sample carries (the contract between loaders, probes,
judges, metrics and reports)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ResourceLevel = Literal["high", "medium", "low"]


class SampleMeta(BaseModel):
    """Stored in `inspect_ai.dataset.Sample.metadata` (as a dict) for every langgap sample."""

    model_config = ConfigDict(extra="allow", frozen=True)

    benchmark: str  # "multijail", "xsafety", "csrt", "polyrefuse", or a user dataset name
    language: str  # ISO 639-3 counting code from langgap.languages ("ben", "zho", "ara")
    language_tag: str  # BCP-47 with script where it matters ("bn", "ar-Latn", "hi-Latn")
    pair_id: str  # identical across the parallel translations of one prompt
    category: str | None = None
    resource_level: ResourceLevel | None = None
    variant: str = "original"  # probes add others ("arabizi", "codeswitch-word", …)
    harmful: bool = True  # False for harmless prompts (they measure over-refusal)
    split: str | None = None  # e.g. PolyRefuse "test"
    source: str | None = None  # file (and row) the prompt came from
    params: dict[str, Any] = Field(default_factory=dict)  # variant parameters, seed, …

    def as_metadata(self) -> dict[str, Any]:
        """The plain dict Inspect stores."""
        return self.model_dump()
