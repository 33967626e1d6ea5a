"""Seeds and generated items, and the append-only JSONL store that makes a run resumable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from langgap._io import atomic_write_text


class Seed(BaseModel):
    """One prompt to build data from, optionally with an existing chosen/rejected pair."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    prompt: str = Field(min_length=1)
    language: str  # ISO 639-3 counting code
    category: str | None = None
    harmful: bool = True
    chosen: str | None = None
    rejected: str | None = None
    source: str = ""  # benchmark name, file (and line), or "generated"


class Step(BaseModel):
    """One model step of an item's trail (critique or revision), kept for review."""

    model_config = ConfigDict(frozen=True)

    stage: str
    round: int
    text: str
    model: str
    verdict: str | None = None


class DataItem(BaseModel):
    """One (prompt, language) through the pipeline: texts, trail, status and validation."""

    model_config = ConfigDict(extra="ignore")

    id: str
    seed_id: str
    language: str  # counting code
    language_tag: str  # the target as configured (a region such as es-MX is kept)
    category: str | None = None
    harmful: bool = True
    mode: Literal["native", "translated", "generated", "mt-repair"] = "native"
    source_language: str | None = None
    source_prompt: str | None = None
    source_chosen: str | None = None
    prompt: str = ""
    back_translation: str | None = None
    rejected: str = ""
    chosen: str = ""
    principles: list[str] = Field(default_factory=list)
    trail: list[Step] = Field(default_factory=list)
    changes: dict[str, Any] = Field(default_factory=dict)  # MT repair: what the repair changed
    models: dict[str, str] = Field(default_factory=dict)
    status: Literal["ok", "failed"] = "ok"
    error: str | None = None
    validation: dict[str, Any] = Field(default_factory=dict)

    @property
    def revised(self) -> bool:
        """True when the final response differs from the original one."""
        return self.chosen.strip() != self.rejected.strip()


class ItemStore:
    """Items appended one JSON line at a time as they finish; the latest line per id wins."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: dict[str, DataItem] = self._load()

    def _load(self) -> dict[str, DataItem]:
        items: dict[str, DataItem] = {}
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return items
        for line in lines:
            try:
                item = DataItem.model_validate(json.loads(line))
            except (ValueError, ValidationError):
                continue  # a line torn by a kill mid-write: that item is made again
            items[item.id] = item
        return items

    def done(self, item_id: str) -> bool:
        """True when the item finished without error in an earlier run."""
        item = self.items.get(item_id)
        return item is not None and item.status == "ok"

    def add(self, item: DataItem) -> None:
        """Record an item now: one line in one write, flushed."""
        self.items[item.id] = item
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(item.model_dump_json() + "\n")
            handle.flush()

    def compact(self) -> None:
        """Rewrite the file with one line per item (atomically), dropping superseded lines."""
        text = "".join(item.model_dump_json() + "\n" for item in self.items.values())
        atomic_write_text(self.path, text)


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    """Write rows as JSON Lines, atomically."""
    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
