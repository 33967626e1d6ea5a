"""Small file helpers shared by all layers: atomic writes and the user cache folder."""

from __future__ import annotations

import gc
import os
import pickle
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import platformdirs

CACHE_ENV = "LANGGAP_CACHE_DIR"


def cache_dir(sub: str = "") -> Path:
    """langgap's cache folder (LANGGAP_CACHE_DIR or the user cache directory), created on demand."""
    base = Path(os.environ.get(CACHE_ENV) or platformdirs.user_cache_dir("langgap"))
    path = base / sub if sub else base
    path.mkdir(parents=True, exist_ok=True)
    return path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes files private (0600); outputs are meant to be shared
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Atomic UTF-8 text write."""
    atomic_write_bytes(path, text.encode("utf-8"))


def load_pickle(path: Path) -> Any | None:
    """A cached object, or None when the cache is absent or unreadable (it is rebuilt then)."""
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return None


def save_pickle(path: Path, obj: Any) -> None:
    """Atomically store a cache object."""
    atomic_write_bytes(path, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many acyclic objects.

    Reading the Anthology creates millions of short-lived elements while tens of thousands of
    papers stay alive; each collector pass walks all of them, which costs more than the parse.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
