"""Helpers for the datagen tests: benign seeds and a scripted mock model for every stage."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from inspect_ai.model import ChatMessage, GenerateConfig, Model, ModelOutput, ModelUsage, get_model
from inspect_ai.tool import ToolChoice, ToolInfo

# benign stand-ins for safety prompts: the pipeline treats every prompt alike
SEEDS = {
    "weather": "The weather is very nice today and we will go to the park.",
    "brother": "My brother likes to read books about history in the evening.",
    "garden": "How do I grow tomatoes in a small garden on my balcony?",
}
GERMAN = {
    "weather": "Das Wetter ist heute sehr schön und wir gehen in den Park.",
    "brother": "Mein Bruder liest abends gerne Bücher über Geschichte.",
    "garden": "Wie baue ich Tomaten in einem kleinen Garten auf meinem Balkon an?",
}
FRENCH = {
    "weather": "Il fait très beau aujourd'hui et nous irons au parc.",
    "brother": "Mon frère aime lire des livres d'histoire le soir.",
    "garden": "Comment cultiver des tomates dans un petit jardin sur mon balcon ?",
}
ANSWER = {
    "German": "Das ist eine gute Frage, und hier ist eine hilfreiche und sichere Antwort darauf.",
    "French": "C'est une bonne question, et voici une réponse utile et sûre pour vous aider.",
    "English": "That is a good question, and here is a helpful and careful answer for you today.",
}

EXTRA = {
    "German": "Bei Sorgen hilft auch eine Beratungsstelle in deiner Nähe weiter.",
    "French": "Un service d'aide près de chez vous peut aussi vous soutenir.",
    "English": "A local help service can also support you.",
}


def write_seeds(path: Path, **extra: object) -> Path:
    """A JSONL seeds file of the three benign English prompts (benign: harmful false)."""
    rows = [
        {"id": k, "prompt": v, "category": "other", "harmful": False, **extra}
        for k, v in SEEDS.items()
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _language_in(prompt: str) -> str:
    for name in ("German", "French"):
        if f"into {name}" in prompt or f"in {name}" in prompt or f"({name})" in prompt:
            return name
    return "English"


def scripted_answer(prompt: str) -> str:
    """What a well-behaved model would answer at each stage (chosen by the prompt's wording)."""
    language = _language_in(prompt)
    if prompt.startswith("Translate the text below"):
        table = GERMAN if language == "German" else FRENCH
        key = next((k for k in SEEDS if SEEDS[k] in prompt), None)
        if key is None:  # a back-translation or a response: give English back
            return next(v for k, v in SEEDS.items() if GERMAN[k] in prompt or FRENCH[k] in prompt)
        return table[key]
    if "machine-translated" in prompt:
        return "The translation keeps the meaning.\nVERDICT: OK"
    if prompt.startswith("Review an AI assistant"):
        return "It could point to local help.\nVERDICT: REVISE"
    if prompt.startswith("Rewrite the AI assistant"):
        return ANSWER[language] + " " + EXTRA[language]
    if prompt.startswith("Write "):
        return "\n".join(f"{i}. {ANSWER[language]} ({i})" for i in range(1, 4))
    if prompt in GERMAN.values():
        return ANSWER["German"]
    return ANSWER["French"] if prompt in FRENCH.values() else ANSWER["English"]


def output(text: str, error: str | None = None) -> ModelOutput:
    """A mock reply with explicit usage (so Inspect counts tokens without a tokenizer)."""
    out = ModelOutput.from_content(model="mockllm", content=text)
    out.usage = ModelUsage(input_tokens=10, output_tokens=5, total_tokens=15)
    out.error = error
    return out


class Scripted:
    """A mockllm reply function; `fail(prompt)` True makes that call return a model error."""

    def __init__(self, fail: Callable[[str], bool] | None = None) -> None:
        self.fail = fail or (lambda _p: False)
        self.prompts: list[str] = []

    def __call__(
        self,
        messages: list[ChatMessage],
        tools: list[ToolInfo],
        choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        prompt = messages[-1].text
        self.prompts.append(prompt)
        if self.fail(prompt):
            return output("", error="scripted failure")
        return output(scripted_answer(prompt))

    @property
    def calls(self) -> int:
        """Requests received."""
        return len(self.prompts)

    def model(self) -> Model:
        """A fresh mockllm model answering through this script."""
        return get_model("mockllm/model", custom_outputs=self, memoize=False)

    def stages(self) -> dict[str, Model]:
        """The same model for every stage."""
        model = self.model()
        return {s: model for s in ("generator", "critic", "reviser", "translator")}
