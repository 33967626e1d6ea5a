"""Influence inputs: training and query examples (JSONL or built-in refusals) and their encoding."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import torch
import yaml

from langgap.analyze.common.activations import Prompt
from langgap.languages import counting_code

IGNORE = -100  # label of tokens outside the loss: the prompt and the padding


class InfluenceError(ValueError):
    """Bad input to the influence analysis: data, languages, module selection or settings."""


@dataclass(frozen=True)
class TrainExample:
    """One conversation: a user prompt, the assistant's response, its language and a stable id.

    Queries use the same record: their response is the target reply whose probability is
    measured (a refusal in the query's language for harmful prompts, see `refusal_queries`).
    """

    prompt: str
    response: str
    language: str
    id: str


def load_examples(path: str | Path, *, response_optional: bool = False) -> list[TrainExample]:
    """Examples from a JSONL file: one object a line with prompt, response, language and id.

    `id` is optional (default: file stem and line number). With `response_optional`, a line
    without a response gets a refusal in its language, one of several phrasings chosen by its id
    (for query files of harmful prompts). Languages are normalised to ISO 639-3 codes. Errors
    name the file, line and field.
    """
    path = Path(path)
    if not path.is_file():
        raise InfluenceError(f"{path}: file not found")
    examples: list[TrainExample] = []
    first_line: dict[str, int] = {}
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            example = _parse_line(line, where, f"{path.stem}:{lineno}", response_optional)
            if example.id in first_line:
                raise InfluenceError(
                    f"{where}: id {example.id!r} repeats line {first_line[example.id]}; "
                    "give every example its own id"
                )
            first_line[example.id] = lineno
            examples.append(example)
    if not examples:
        raise InfluenceError(f"{path}: no examples (the file is empty)")
    return examples


def _parse_line(line: str, where: str, default_id: str, response_optional: bool) -> TrainExample:
    fields = "fields prompt, response, language (and optionally id)"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InfluenceError(
            f"{where}: not valid JSON ({exc.msg}, column {exc.colno}); "
            f"write one JSON object per line with {fields}"
        ) from None
    if not isinstance(record, dict):
        raise InfluenceError(f"{where}: expected a JSON object with {fields}")
    prompt = _text_field(record, "prompt", where, fields)
    language = counting_code(_text_field(record, "language", where, fields))
    raw_id = record.get("id")
    if raw_id is None:
        example_id = default_id
    elif isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) and str(raw_id).strip():
        example_id = str(raw_id)
    else:
        raise InfluenceError(f"{where}: field 'id' must be a non-empty string or an integer")
    if response_optional and record.get("response") is None:
        try:
            response = refusal_phrasing(language, example_id)
        except InfluenceError as exc:
            raise InfluenceError(f"{where}: no response given and {exc}") from None
    else:
        response = _text_field(record, "response", where, fields)
    return TrainExample(prompt=prompt, response=response, language=language, id=example_id)


def _text_field(record: dict[str, Any], name: str, where: str, fields: str) -> str:
    if name not in record or record[name] is None:
        raise InfluenceError(f"{where}: field {name!r} is missing; each line needs {fields}")
    value = record[name]
    if not isinstance(value, str) or not value.strip():
        raise InfluenceError(f"{where}: field {name!r} must be a non-empty string")
    return value


@cache
def _replies() -> dict[str, str]:
    text = (
        resources.files("langgap.analyze.common")
        .joinpath("refusal_replies.yaml")
        .read_text("utf-8")
    )
    data = yaml.safe_load(text)
    return {str(code): str(reply) for code, reply in data.items()}


def refusal_replies() -> dict[str, str]:
    """The refusal reply of every language that has one, by ISO 639-3 code."""
    return dict(_replies())


def refusal_reply(language: str) -> str:
    """A short refusal ("I'm sorry, but I can't help with that.") in a language (any code)."""
    code = counting_code(language)
    replies = _replies()
    if code not in replies:
        raise InfluenceError(
            f"no refusal reply for language {language!r}; available: {', '.join(sorted(replies))} "
            "(add one to langgap/analyze/common/refusal_replies.yaml, or give the query a response)"
        )
    return replies[code]


def refusal_phrasing(language: str, key: str) -> str:
    """One of several refusals in `language` (refusal_templates.yaml, 3-5 a language), chosen by
    `key` (an example id, so stable across runs); the single reply of refusal_replies.yaml for a
    language with no templates. Varied targets keep same-language influence from being only the
    tokens of one shared sentence."""
    from langgap.analyze.common.refusal_data import refusal_reply as template_reply
    from langgap.analyze.common.refusal_data import refusal_templates

    if counting_code(language) in refusal_templates():
        return template_reply(language, key)
    return refusal_reply(language)


def refusal_queries(prompts: Sequence[Prompt]) -> list[TrainExample]:
    """Queries from (harmful) prompts: the target reply is a refusal in the prompt's language
    (one of several phrasings, chosen by the prompt's id)."""
    return [
        TrainExample(p.text, refusal_phrasing(lang, p.id), lang, p.id)
        for p, lang in _languages(prompts)
    ]


def refusal_examples(
    prompts: Sequence[Prompt], *, answer: str, id_prefix: str = "train-"
) -> list[TrainExample]:
    """Training examples: harmful prompts refused in their language (varied phrasings, see
    `refusal_phrasing`), harmless ones `answer`ed."""
    return [
        TrainExample(
            p.text, refusal_phrasing(lang, p.id) if p.harmful else answer, lang, id_prefix + p.id
        )
        for p, lang in _languages(prompts)
    ]


def _languages(prompts: Sequence[Prompt]) -> list[tuple[Prompt, str]]:
    """Each prompt with its canonical language; a prompt without one cannot get a refusal."""
    for prompt in prompts:
        if not prompt.language:
            raise InfluenceError(f"prompt {prompt.id} has no language; a refusal reply needs one")
    return [(p, counting_code(p.language or "")) for p in prompts]


@dataclass(frozen=True)
class Encoded:
    """Token ids of one example and its labels (IGNORE outside the response)."""

    input_ids: list[int]
    labels: list[int]
    truncated: bool


def encode_example(tokenizer: Any, example: TrainExample, max_length: int) -> Encoded:
    """Chat-templated tokens of a conversation with the loss on the response tokens only.

    Without a chat template the prompt and response are joined by a newline and the response
    ends with the eos token. Over `max_length`, the prompt is cut at its start (the tokens right
    before the response, such as the assistant header, survive) down to a quarter of the window;
    only a response longer than the remaining three quarters is cut, at its end.
    """
    if max_length < 2:
        raise InfluenceError(f"max_length must be at least 2, got {max_length}")
    prompt_ids, response_ids = _split_ids(tokenizer, example)
    if not prompt_ids or not response_ids:
        part = "prompt" if not prompt_ids else "response"
        raise InfluenceError(f"example {example.id}: the {part} encodes to no tokens")
    truncated = len(prompt_ids) + len(response_ids) > max_length
    if truncated:
        keep_prompt = min(len(prompt_ids), max(1, max_length // 4))
        response_ids = response_ids[: max_length - keep_prompt]
        prompt_ids = prompt_ids[len(prompt_ids) - (max_length - len(response_ids)) :]
    return Encoded(
        input_ids=prompt_ids + response_ids,
        labels=[IGNORE] * len(prompt_ids) + response_ids,
        truncated=truncated,
    )


def has_chat_template(tokenizer: Any) -> bool:
    """Whether the tokenizer formats conversations with a chat template."""
    return getattr(tokenizer, "chat_template", None) is not None


def _split_ids(tokenizer: Any, example: TrainExample) -> tuple[list[int], list[int]]:
    if not has_chat_template(tokenizer):
        eos = getattr(tokenizer, "eos_token", None) or ""
        prompt = tokenizer(f"{example.prompt}\n", add_special_tokens=True)["input_ids"]
        response = tokenizer(f"{example.response}{eos}", add_special_tokens=False)["input_ids"]
        return list(prompt), list(response)
    user = {"role": "user", "content": example.prompt}
    head = str(tokenizer.apply_chat_template([user], tokenize=False, add_generation_prompt=True))
    full = str(
        tokenizer.apply_chat_template(
            [user, {"role": "assistant", "content": example.response}], tokenize=False
        )
    )
    head_ids = list(tokenizer(head, add_special_tokens=False)["input_ids"])
    full_ids = list(tokenizer(full, add_special_tokens=False)["input_ids"])
    # The whole conversation is tokenized as the model reads it; the response starts at the first
    # token where it stops matching the generation prompt: in most templates exactly the prompt's
    # end, and at a token boundary in templates that render the last assistant turn differently.
    cut = next(
        (i for i, (a, b) in enumerate(zip(head_ids, full_ids, strict=False)) if a != b), None
    )
    cut = min(len(head_ids), len(full_ids)) if cut is None else cut
    if cut == len(full_ids):
        raise InfluenceError(f"example {example.id}: the chat template dropped the response")
    return full_ids[:cut], full_ids[cut:]


class EncodedDataset(torch.utils.data.Dataset[dict[str, torch.Tensor]]):
    """Encoded examples as the dict items kronfluence's loaders expect."""

    def __init__(self, rows: Sequence[Encoded]) -> None:
        self.rows = list(rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        row = self.rows[index]
        return {
            "input_ids": torch.tensor(row.input_ids, dtype=torch.long),
            "labels": torch.tensor(row.labels, dtype=torch.long),
        }


class Collate:
    """Right-pads a batch: pad id in input_ids, 0 in attention_mask, IGNORE in labels."""

    def __init__(self, pad_id: int) -> None:
        self.pad_id = pad_id

    def __call__(self, items: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        width = max(len(item["input_ids"]) for item in items)
        ids = torch.full((len(items), width), self.pad_id, dtype=torch.long)
        labels = torch.full((len(items), width), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(items), width), dtype=torch.long)
        for row, item in enumerate(items):
            n = len(item["input_ids"])
            ids[row, :n] = item["input_ids"]
            labels[row, :n] = item["labels"]
            mask[row, :n] = 1
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}
