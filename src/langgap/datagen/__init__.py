"""Closing the gap with data: seeds → translate/generate → critique + revise → validate → export.

The names below load on first use (PEP 562), so that `langgap` commands that never touch datagen
do not pay for its configuration models at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langgap.datagen.config import ConfigError, DatagenConfig, load_config
    from langgap.datagen.constitution import (
        EXAMPLE,
        Constitution,
        ConstitutionError,
        Principle,
        applicable,
        load_constitution,
    )

_HOME = {
    "ConfigError": "config",
    "DatagenConfig": "config",
    "load_config": "config",
    "EXAMPLE": "constitution",
    "Constitution": "constitution",
    "ConstitutionError": "constitution",
    "Principle": "constitution",
    "applicable": "constitution",
    "load_constitution": "constitution",
}

__all__ = [
    "EXAMPLE",
    "ConfigError",
    "Constitution",
    "ConstitutionError",
    "DatagenConfig",
    "Principle",
    "applicable",
    "load_config",
    "load_constitution",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'langgap.datagen' has no attribute {name!r}")
    return getattr(importlib.import_module(f"langgap.datagen.{_HOME[name]}"), name)
