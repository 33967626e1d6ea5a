"""The one reply cache: model replies by key in an append-only JSONL file.

Each line is `{"k": key, "t": value}` (value: any JSON — a rewrite, a raw judge output, a
validated answer). Lines are appended as replies arrive (or batched for `flush_interval`
seconds), so a killed run loses at most the replies in flight or in the batch, and a rerun asks
only for what is missing. A line torn by a kill is skipped on reading, and the next write starts
on a fresh line. Keys are hashes: the file never holds a prompt, only replies.

Caches written before this module (the survey annotator's and judge meta-evaluation's whole-file
JSON) are still read: `ReplyCache.upgrading(stem)` opens `stem.jsonl` holding also the entries of
`stem.json` (or pass them yourself as `legacy`, see `read_json_object`).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeAlias

from langgap._io import cache_dir

JSON: TypeAlias = Any  # what json.loads returns; callers check the shape they expect


def text_key(*parts: str) -> str:
    """A stable hash of the parts (source text, languages, …): what replies are keyed by."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def scoped_path(kind: str, scope: str, root: Path | None, suffix: str = ".jsonl") -> Path:
    """The cache file of one scope (e.g. "inspect:openai/gpt-4o|translate-v1") under `kind`."""
    # The readable part may be shortened or collide ("a/b", "a_b"); the digest keeps it exact.
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", scope)[-80:]
    return (root or cache_dir(kind)) / f"{readable}-{text_key(scope)[:12]}{suffix}"


def read_json_object(path: Path) -> dict[str, JSON]:
    """The object in a whole-file JSON cache, or {} when absent or unreadable (asked again)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class ReplyCache:
    """Replies by key in one JSONL file; `path=None` keeps them in memory only (cache off).

    >>> cache = ReplyCache(None)
    >>> cache.put(text_key("Hello", "fra"), "Bonjour")
    >>> cache.get(text_key("Hello", "fra"))
    'Bonjour'
    """

    def __init__(
        self,
        path: Path | None,
        *,
        flush_interval: float = 0.0,
        legacy: Mapping[str, JSON] | None = None,
    ) -> None:
        self.path = path
        self.flush_interval = flush_interval
        self._lock = threading.Lock()
        self._items: dict[str, JSON] = dict(legacy or {})
        self._pending: list[str] = []
        self._torn = False  # the file ends mid-line (a kill during a write)
        self._saved_at = time.monotonic()
        if path is not None:
            self._items.update(self._load(path))

    @classmethod
    def upgrading(
        cls,
        stem: Path,
        *,
        flush_interval: float = 0.0,
        section: str | None = None,
        keep: type | None = None,
    ) -> ReplyCache:
        """The cache `stem.jsonl`, also holding the entries of the whole-file JSON cache
        `stem.json` that earlier versions wrote beside it: its `section` object if given, only
        values of type `keep` if given (the rest is asked again)."""
        old: JSON = read_json_object(stem.with_name(stem.name + ".json"))
        if section is not None:
            old = old.get(section)
        legacy = {
            str(k): v
            for k, v in (old.items() if isinstance(old, dict) else ())
            if keep is None or isinstance(v, keep)
        }
        return cls(
            stem.with_name(stem.name + ".jsonl"), flush_interval=flush_interval, legacy=legacy
        )

    @classmethod
    def for_scope(cls, kind: str, scope: str, root: Path | None, enabled: bool) -> ReplyCache:
        """The cache of one scope under `kind` (see `scoped_path`), or an in-memory one."""
        return cls(scoped_path(kind, scope, root) if enabled else None)

    def _load(self, path: Path) -> dict[str, JSON]:
        items: dict[str, JSON] = {}
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            return items  # absent or unreadable: everything is asked again
        self._torn = bool(text) and not text.endswith("\n")
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line torn by a kill mid-write: that item is asked again
            if isinstance(entry, dict) and "k" in entry and entry.get("t") is not None:
                items[str(entry["k"])] = entry["t"]
        return items

    def get(self, key: str) -> JSON | None:
        """The cached value, or None."""
        return self._items.get(key)

    def put(self, key: str, value: JSON) -> None:
        """Remember a value; it reaches disk at once, or within `flush_interval` seconds."""
        with self._lock:
            self._items[key] = value
            if self.path is None:
                return
            self._pending.append(json.dumps({"k": key, "t": value}, ensure_ascii=False) + "\n")
            due = time.monotonic() - self._saved_at >= self.flush_interval
        if due:
            self.flush()

    def flush(self) -> None:
        """Append the pending lines now."""
        with self._lock:
            if self.path is None or not self._pending:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lines = "".join(self._pending)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(("\n" if self._torn else "") + lines)
            self._pending.clear()
            self._torn = False
            self._saved_at = time.monotonic()

    def __len__(self) -> int:
        return len(self._items)
