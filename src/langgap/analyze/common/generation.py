"""Greedy replies to chat-templated prompts: what every behaviour measure reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from langgap.analyze.common.activations import Prompt, tokenize_batch


def chat_texts(tokenizer: Any, prompts: Sequence[Prompt]) -> list[str]:
    """Each prompt as one user turn in the chat template, ready for the reply."""
    return [
        str(
            tokenizer.apply_chat_template(
                [{"role": "user", "content": p.text}], tokenize=False, add_generation_prompt=True
            )
        )
        for p in prompts
    ]


def generate(
    model: nn.Module,
    tokenizer: Any,
    prompts: Sequence[Prompt],
    max_new_tokens: int = 32,
    batch_size: int = 8,
) -> list[str]:
    """Greedy completions of chat-templated prompts (deterministic, so runs compare)."""
    device = next(model.parameters()).device
    texts = chat_texts(tokenizer, prompts)
    out: list[str] = []
    for start in range(0, len(texts), batch_size):
        batch = tokenize_batch(tokenizer, texts[start : start + batch_size], device)
        batch.pop("position_ids")  # generate derives them from the mask at every step
        with torch.inference_mode():
            ids = model.generate(  # type: ignore[operator]
                **batch,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
            )
        new = ids[:, batch["input_ids"].shape[1] :]
        out += tokenizer.batch_decode(new, skip_special_tokens=True)
    return out
