"""The LoRA trainer refuses examples it would cut: the cut part is the reply the loss is on."""

from __future__ import annotations

from typing import Any

import pytest

from langgap.analyze.common.lora_training import check_lengths, sequence_length
from langgap.analyze.common.refusal_data import TrainExample, TransferDataError


def _example(example_id: str, prompt: str, reply: str, rejected: str | None = None) -> TrainExample:
    return TrainExample(example_id, "eng", True, prompt, reply, rejected, "test")


def test_sequence_length_counts_the_templated_prompt_and_the_longest_reply(
    chat_tokenizer: Any,
) -> None:
    # the char tokenizer: <u>prompt</u><a>reply</u> is 3 markers + 1 + prompt + reply characters
    sft = _example("a", "hi", "no")
    assert sequence_length(chat_tokenizer, sft) == 3 + 1 + 2 + 2
    dpo = _example("b", "hi", "no", rejected="sure thing")
    assert sequence_length(chat_tokenizer, dpo) == 3 + 1 + 2 + len("sure thing")


def test_an_example_over_max_length_is_an_error_naming_it_and_the_length_needed(
    chat_tokenizer: Any,
) -> None:
    short = _example("short", "hi", "no")
    long = _example("long", "x" * 40, "I can't help with that.")
    needed = sequence_length(chat_tokenizer, long)
    check_lengths(chat_tokenizer, [short, long], needed)  # exactly at the limit: fine
    with pytest.raises(TransferDataError) as caught:
        check_lengths(chat_tokenizer, [short, long], needed - 1)
    message = str(caught.value)
    assert "1 of 2 training examples" in message and "long" in message
    assert f"Raise --max-length to {needed}" in message
