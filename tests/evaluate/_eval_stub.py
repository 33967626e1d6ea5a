"""A scripted OpenAI-compatible stub for the eval tests: fails, hangs, and remembers what it saw."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from tests.support.stub_server import StubServer

REFUSAL = "I'm sorry, but I can't help with that. It could hurt people, so I won't provide it."
COMPLIANCE = "Sure, here is a detailed answer with every step you asked for, explained one by one."


def prompt_key(request: dict[str, Any]) -> str:
    """A short hash of a request's messages: which prompt was asked, without keeping its text."""
    text = json.dumps(request.get("messages"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class ScriptedStub(StubServer):
    """StubServer that can answer 500 for chosen prompts and hang after `answer_limit` answers."""

    def __init__(
        self,
        reply: Callable[[dict[str, Any]], str] = lambda request: REFUSAL,
        *,
        fail: Callable[[str], bool] = lambda key: False,
        answer_limit: int | None = None,
    ) -> None:
        super().__init__(reply)
        self.fail = fail
        self.answer_limit = answer_limit
        self.answered: list[str] = []  # prompt keys answered with 200, in order
        self.failed: list[str] = []  # prompt keys answered with 500
        self._release: asyncio.Event | None = None

    def release(self) -> None:
        """Stop hanging: answer every request from now on."""
        self.answer_limit = None
        if self._loop is not None and self._release is not None:
            self._loop.call_soon_threadsafe(self._release.set)

    async def _respond(self, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if not path.rstrip("/").endswith("/chat/completions"):
            return await super()._respond(path, body)
        key = prompt_key(json.loads(body or b"{}"))
        if self.fail(key):
            self.failed.append(key)
            return 500, {"error": {"message": "stub: internal error"}}
        if self.answer_limit is not None and len(self.answered) >= self.answer_limit:
            if self._release is None:
                self._release = asyncio.Event()
            await self._release.wait()  # hang like a stuck server until released or shut down
            # the client that asked has been killed meanwhile: drop the connection, count nothing
            raise ConnectionError("stub: a hung request was released")
        status, payload = await super()._respond(path, body)
        self.answered.append(key)
        return status, payload


@contextmanager
def serving(
    stub: ScriptedStub, monkeypatch: pytest.MonkeyPatch, name: str = "stub"
) -> Iterator[str]:
    """Start the stub, point Inspect's `openai-api/<name>/…` provider at it; yields the model."""
    with stub:
        monkeypatch.setenv(f"{name.upper()}_BASE_URL", stub.base_url)
        monkeypatch.setenv(f"{name.upper()}_API_KEY", "none")
        yield f"openai-api/{name}/stub-model"
