"""One language vocabulary for langgap: normalise names and codes, find languages in text."""

from langgap.languages.mentions import (
    SKIPPED_NAMES,
    Dataset,
    Mention,
    find_mentions,
    known_languages,
    load_dataset_table,
)
from langgap.languages.registry import (
    Language,
    UnknownLanguageError,
    counting_code,
    lookup,
    lookup_code,
    suggest,
    try_lookup,
)

__all__ = [
    "SKIPPED_NAMES",
    "Dataset",
    "Language",
    "Mention",
    "UnknownLanguageError",
    "counting_code",
    "find_mentions",
    "known_languages",
    "load_dataset_table",
    "lookup",
    "lookup_code",
    "suggest",
    "try_lookup",
]
