"""Closing the gap with data: seeds → translate/generate → critique + revise → validate → export."""

from langgap.datagen.config import ConfigError, DatagenConfig, load_config
from langgap.datagen.constitution import (
    EXAMPLE,
    Constitution,
    ConstitutionError,
    Principle,
    applicable,
    load_constitution,
)

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
