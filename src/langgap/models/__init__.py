"""Calling models, shared by all layers: one client and usage counter, one runner, one reply
cache, and local models exported and served for Inspect.

The names below load on first use (PEP 562): serving a local model need not import Inspect.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langgap.models.cache import ReplyCache, text_key
    from langgap.models.client import ModelClient, ModelReplyError, clean_reply
    from langgap.models.local import (
        LocalModelError,
        LocalServer,
        export_hf_folder,
        free_port,
        smollm2_gguf,
    )
    from langgap.models.runner import cached_call, cached_text, run_cached, run_sync
    from langgap.models.usage import StageUsage, Usage

_HOME = {
    "ReplyCache": "cache",
    "text_key": "cache",
    "ModelClient": "client",
    "ModelReplyError": "client",
    "clean_reply": "client",
    "LocalModelError": "local",
    "LocalServer": "local",
    "export_hf_folder": "local",
    "free_port": "local",
    "smollm2_gguf": "local",
    "cached_call": "runner",
    "cached_text": "runner",
    "run_cached": "runner",
    "run_sync": "runner",
    "StageUsage": "usage",
    "Usage": "usage",
}

__all__ = [
    "LocalModelError",
    "LocalServer",
    "ModelClient",
    "ModelReplyError",
    "ReplyCache",
    "StageUsage",
    "Usage",
    "cached_call",
    "cached_text",
    "clean_reply",
    "export_hf_folder",
    "free_port",
    "run_cached",
    "run_sync",
    "smollm2_gguf",
    "text_key",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value
