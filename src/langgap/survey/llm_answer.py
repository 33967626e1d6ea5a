"""The LLM annotator's prompt and answer schema: what it asks, and how a reply is read back."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from langgap.languages import suggest, try_lookup
from langgap.survey.models import Paper, Topic

SYSTEM_PROMPT = """\
You annotate research papers for a survey of language coverage in LLM-safety research.
Read the title and abstract and answer with one JSON object and nothing else:
{"related": true|false, "languages": ["English", ...], "topic": "...", "documented": true|false,
 "rationale": "one sentence"}

related: true when the paper studies the safety of language models or NLP systems; false for
other kinds of safety (road, food, workplace) or for work that is not about safety.

topic, exactly one of:
- jailbreaking: adversarial prompts that bypass refusal guardrails, or detecting them
- toxicity_bias: toxic content and stereotypical bias in data or model outputs
- hallucination: nonsensical, unfaithful or factually wrong content
- privacy: memorisation, data leakage, unlearning
- policy: governance, regulation, ethical guidelines
- alignment: spans several of these topics, or another safety subtopic such as RLHF
- not_safety: the paper is not related (use it exactly when related is false)

languages: every natural language the paper studies, as English names or ISO 639 codes
("Hindi", "sw"). If the text names no language, answer ["English"] and documented false.
documented: true when the title or abstract names the languages.
The group follows from the list: only English, one language that is not English, or two or
more languages (multilingual). Do not add languages the text does not support.
"""

# The number changes by hand when the meaning of the answer changes; the hash follows any edit.
PROMPT_VERSION = "llm1." + hashlib.blake2b(SYSTEM_PROMPT.encode(), digest_size=4).hexdigest()
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)


def user_prompt(paper: Paper, max_abstract_chars: int = 6000) -> str:
    """The per-paper message: title and (truncated) abstract."""
    abstract = (paper.abstract or "(no abstract)")[:max_abstract_chars]
    return f"Title: {paper.title}\n\nAbstract: {abstract}\n\nJSON:"


def retry_prompt(error: str) -> str:
    """What the model is told after an answer that did not validate."""
    return (
        f"That answer is not valid: {error}\n"
        "Reply again with only the corrected JSON object, with the keys related, languages, "
        "topic, documented and rationale."
    )


class LLMAnswer(BaseModel):
    """One validated LLM annotation, as the model gave it (language names are kept verbatim)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    related: bool
    languages: tuple[str, ...] = ()
    topic: Topic
    documented: bool
    rationale: str = ""

    @field_validator("topic", mode="before")
    @classmethod
    def _topic_spelling(cls, value: Any) -> Any:
        # "Toxicity/Bias", "toxicity bias" and "not safety" are the same answer.
        if isinstance(value, str):
            return re.sub(r"[\s/-]+", "_", value.strip().lower())
        return value

    @field_validator("languages", mode="before")
    @classmethod
    def _one_name_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        names = tuple(n.strip() for n in value if n.strip())
        unknown = [n for n in names if try_lookup(n) is None]
        if unknown:
            hints = "; ".join(
                f"{n!r}" + (f" (did you mean {', '.join(suggest(n, 3))}?)" if suggest(n, 3) else "")
                for n in unknown
            )
            raise ValueError(f"unknown language name(s): {hints}; use language names or codes")
        return names

    @model_validator(mode="after")
    def _topic_matches_related(self) -> LLMAnswer:
        if self.related == (self.topic == "not_safety"):
            want = "one of the six safety topics" if self.related else "not_safety"
            raise ValueError(f"related is {str(self.related).lower()}, so topic must be {want}")
        return self

    def codes(self) -> tuple[str, ...]:
        """Counting codes (ISO 639-3) of the named languages, sorted; English when none."""
        found = {c for name in self.languages if (lang := try_lookup(name)) for c in lang.counted}
        return tuple(sorted(found)) or ("eng",)


class AnswerError(ValueError):
    """A reply that is not one valid JSON annotation; the message is fed back to the model."""


def extract_json(text: str) -> dict[str, Any]:
    """The first JSON object in a reply: bare, inside a code fence, or amid other text."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        for start in (i for i, ch in enumerate(candidate) if ch == "{"):
            try:
                value, _ = decoder.raw_decode(candidate, start)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    raise AnswerError("no JSON object found in the reply")


def parse_answer(text: str) -> LLMAnswer:
    """Read and validate a reply; `AnswerError` says what is wrong in words a model can act on."""
    data = extract_json(text)
    try:
        return LLMAnswer.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}" for e in exc.errors()
        )
        raise AnswerError(problems) from None
