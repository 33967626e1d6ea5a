"""One Inspect model with its generation settings and usage counter: how langgap asks a model."""

from __future__ import annotations

from typing import Any

from inspect_ai.model import (
    ChatMessage,
    ChatMessageUser,
    GenerateConfig,
    Model,
    ModelOutput,
    get_model,
)

from langgap.models.usage import Usage


class ModelReplyError(RuntimeError):
    """A model call that produced no usable reply (an error, or nothing said)."""


class ModelClient:
    """Any Inspect model (OpenAI-compatible server, hosted API, local HF), counting its usage.

    >>> client = ModelClient("openai-api/vllm/Qwen2.5-7B", concurrency=16)  # doctest: +SKIP
    >>> text = run_sync(client.complete("Translate to French: Hello"))  # doctest: +SKIP
    """

    def __init__(
        self,
        model: str | Model,
        *,
        concurrency: int = 8,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int | None = None,
        **model_args: Any,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be ≥ 1, got {concurrency}")
        # Inspect's own connection pool must not cap our semaphore below `concurrency`.
        self.config = GenerateConfig(
            max_connections=concurrency, max_tokens=max_tokens, temperature=temperature, seed=seed
        )
        self.model = (
            model
            if isinstance(model, Model)
            else get_model(model, config=self.config, memoize=False, **model_args)
        )
        self.model_name = str(self.model)  # provider/name, as `get_model` was given it
        self.concurrency = concurrency
        self.usage = Usage()

    async def generate(
        self, messages: str | list[ChatMessage], usage: Usage | None = None
    ) -> ModelOutput:
        """The model's output, counted in `usage` (this client's own by default).

        A call that raises (an unreachable server) counts as a failure, not a request.
        """
        counter = self.usage if usage is None else usage
        try:
            output = await self.model.generate(messages, config=self.config)
        except Exception:
            counter.failures += 1
            raise
        counter.add(output)
        return output

    async def complete(self, prompt: str, usage: Usage | None = None) -> str:
        """The cleaned reply to one user prompt; ModelReplyError when it errs or says nothing.

        The caller counts the failure against its item (it may ask again, or use a fallback).
        """
        output = await self.generate([ChatMessageUser(content=prompt)], usage)
        text = clean_reply(output.completion)
        if output.error or not text:
            raise ModelReplyError(
                f"model error: {output.error}"
                if output.error
                else "the model returned an empty reply"
            )
        return text


_QUOTES = {'"': '"', "“": "”", "«": "»", "'": "'", "「": "」"}


def clean_reply(text: str) -> str:
    """Strip whitespace and one pair of quotes wrapped around the whole reply (models add them)."""
    text = text.strip()
    if len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:
        text = text[1:-1].strip()
    return text
