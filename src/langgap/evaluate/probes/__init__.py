"""Probes: transforms that turn benchmark samples into the variants where guardrails break.

Importing this package registers the rule-based probes (transliteration, Arabizi,
code-switching) in `PROBES`; `get_probe(kind, **params)` builds one by name.
"""

from langgap.evaluate.probes import (
    arabizi,
    codeswitch,
    codeswitch_llm,
    multiturn,
    translate,
    transliterate,
)
from langgap.evaluate.probes.base import (
    PROBES,
    Probe,
    ProbeError,
    ProbeReport,
    ProbeSkip,
    as_dataset_transform,
    get_probe,
    register_probe,
)

__all__ = [
    "PROBES",
    "Probe",
    "ProbeError",
    "ProbeReport",
    "ProbeSkip",
    "arabizi",
    "as_dataset_transform",
    "codeswitch",
    "codeswitch_llm",
    "get_probe",
    "multiturn",
    "register_probe",
    "translate",
    "transliterate",
]
