"""The stub server in its own process: it answers, and it ends when its owner leaves."""

from __future__ import annotations

import httpx
from tests.support.stub_server import StubProcess


def test_stub_process_answers_then_stops() -> None:
    with StubProcess("I can't help with that.", latency=0.0) as stub:
        body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
        reply = httpx.post(f"{stub.base_url}/chat/completions", json=body, timeout=10).json()
        assert reply["choices"][0]["message"]["content"] == "I can't help with that."
        process = stub._process
    assert process is not None and process.poll() is not None  # ended, not left running
