"""Helpers for the model-based probe tests: benign samples and a scripted mock model."""

from __future__ import annotations

from collections.abc import Callable

from inspect_ai.dataset import Sample
from inspect_ai.model import (
    ChatMessage,
    GenerateConfig,
    Model,
    ModelOutput,
    ModelUsage,
    get_model,
)
from inspect_ai.tool import ToolChoice, ToolInfo

from langgap.evaluate.samples import SampleMeta

# Benign stand-ins for benchmark prompts: the probes treat every prompt alike.
ENGLISH = {
    "p1": "The weather is very nice today and we will go to the park.",
    "p2": "My brother likes to read books about history in the evening.",
}
# What the mock "translator" answers, keyed by a word of the prompt it was sent.
GERMAN = {
    "weather": "Das Wetter ist heute sehr schön und wir gehen in den Park.",
    "brother": "Mein Bruder liest abends gerne Bücher über Geschichte.",
}
FRENCH = "Le temps est très beau aujourd'hui et nous irons au parc."


def english_samples() -> list[Sample]:
    """Two English originals with langgap metadata."""
    return [
        Sample(
            input=text,
            id=f"test:{pid}:en",
            metadata=SampleMeta(
                benchmark="test", language="eng", language_tag="en", pair_id=pid
            ).as_metadata(),
        )
        for pid, text in ENGLISH.items()
    ]


def output(text: str) -> ModelOutput:
    """A mock reply with explicit usage (so Inspect counts tokens without a tokenizer)."""
    out = ModelOutput.from_content(model="mockllm", content=text)
    out.usage = ModelUsage(input_tokens=10, output_tokens=5, total_tokens=15)
    return out


class Scripted:
    """A mockllm reply function: `answer(prompt)` decides the reply; calls are counted."""

    def __init__(self, answer: Callable[[str], str]) -> None:
        self.answer = answer
        self.calls = 0
        self.prompts: list[str] = []

    def __call__(
        self,
        messages: list[ChatMessage],
        tools: list[ToolInfo],
        choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        self.calls += 1
        prompt = messages[-1].text
        self.prompts.append(prompt)
        return output(self.answer(prompt))

    def model(self) -> Model:
        """A fresh mockllm model answering through this script."""
        return get_model("mockllm/model", custom_outputs=self, memoize=False)


def german(prompt: str) -> str:
    """Translate the two test sentences into German; back-translations return the English."""
    if "into English" in prompt:
        return next(e for k, e in ENGLISH.items() if GERMAN[_word(k)] in prompt)
    return next(g for word, g in GERMAN.items() if word in prompt)


def _word(pair: str) -> str:
    return {"p1": "weather", "p2": "brother"}[pair]
