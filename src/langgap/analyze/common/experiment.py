"""What every analysis run records next to its results: the exact settings and the software."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langgap._io import atomic_write_text

PACKAGES = (
    "langgap", "torch", "transformers", "tokenizers", "peft", "trl", "datasets", "kronfluence",
    "safetensors", "numpy",
)  # fmt: skip


def versions() -> dict[str, str | None]:
    """Installed versions of the libraries a result depends on (None when absent)."""
    found: dict[str, str | None] = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def digest(*parts: Any, length: int = 64) -> str:
    """A stable hex key of JSON-able parts (dict order ignored): what decides a cached result."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def device_name() -> str:
    """The accelerator torch sees, else the CPU."""
    import torch

    if torch.cuda.is_available():
        return f"cuda: {torch.cuda.get_device_name(0)}"
    return f"cpu: {platform.processor() or platform.machine()}"


def write_config(out_dir: Path, command: str, settings: dict[str, Any]) -> Path:
    """config.json: the command, its settings (seeds included), versions and when it ran."""
    record = {
        "command": command,
        "settings": settings,
        "versions": versions(),
        "device": device_name(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "config.json"
    atomic_write_text(path, json.dumps(record, indent=2, default=str) + "\n")
    return path


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from a cache file; None when it is missing, unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write a JSON object atomically (a killed run never leaves half a cache file)."""
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
