"""Shared plumbing for model-based judges: which model, which languages, the response text."""

from __future__ import annotations

from typing import Any

from inspect_ai.model import Model, get_model
from inspect_ai.solver import TaskState

from langgap.languages import try_lookup


def judge_model(model: str | Model | None, role: str) -> Model:
    """The named model, else the model bound to `role` (e.g. `--model-role grader=…`), else the
    model under evaluation."""
    if isinstance(model, Model):
        return model
    if model:
        return get_model(model)
    return get_model(role=role, default=get_model())


def language_name(code: str | None) -> str:
    """English name for a language code, or a neutral phrase when unknown."""
    found = try_lookup(code) if code else None
    return found.name if found else "an unspecified language"


def sample_language(metadata: dict[str, Any] | None) -> str | None:
    """The sample's language code from langgap metadata (`language`, else `language_tag`)."""
    if not metadata:
        return None
    value = metadata.get("language") or metadata.get("language_tag")
    return str(value) if value else None


def prompt_text(state: TaskState) -> str:
    """The user prompt as the model under evaluation saw it."""
    return state.input_text
