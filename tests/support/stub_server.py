"""A tiny OpenAI-compatible server for tests and benchmarks: fixed answers, measured concurrency.

Test support, not part of the shipped package. Tests import it as `tests.support.stub_server`;
benchmarks put this folder on `sys.path` and import `stub_server`. `StubProcess` runs this file
as a script.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from langgap.models.local import wait_or_kill

Reply = Callable[[dict[str, Any]], str]
_MAX_BODY = 16 * 1024 * 1024


class StubServer:
    """Answers `/v1/chat/completions` with `reply(request)` after `latency` seconds, on loopback.

    It runs its own event loop in a thread, so synchronous code and other event loops can call it.

    >>> with StubServer(lambda request: '{"ok": true}', latency=0.2) as stub:  # doctest: +SKIP
    ...     get_model("openai-api/stub/any", base_url=stub.base_url, api_key="none")
    """

    def __init__(self, reply: Reply, *, latency: float = 0.0, host: str = "127.0.0.1") -> None:
        self.reply = reply
        self.latency = latency
        self.host = host
        self.port = 0
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._connections: set[asyncio.Task[Any]] = set()
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible root, ending in /v1."""
        return f"http://{self.host}:{self.port}/v1"

    def reset(self) -> None:
        """Zero the request counters."""
        with self._lock:
            self.requests = self.max_in_flight = 0

    def __enter__(self) -> StubServer:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("stub server did not start within 10 s")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    def _serve(self, ready: threading.Event) -> None:
        asyncio.run(self._main(ready))

    async def _main(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._handle, self.host, 0, backlog=1024)
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        await self._stop.wait()
        server.close()
        # Clients keep idle connections open; their handlers are cancelled so the loop ends clean.
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            while request := await _read_request(reader):
                path, body = request
                status, payload = await self._respond(path, body)
                _write_response(writer, status, payload)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass  # the client went away or spoke something that is not HTTP/1.1: drop it
        except asyncio.CancelledError:
            pass  # shutdown; re-raising would make asyncio log every idle keep-alive connection
        finally:
            writer.close()
            if task is not None:
                self._connections.discard(task)

    async def _respond(self, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if path.rstrip("/").endswith("/models"):
            return 200, {"object": "list", "data": [{"id": "stub", "object": "model"}]}
        if not path.rstrip("/").endswith("/chat/completions"):
            return 404, {"error": {"message": f"no route {path}"}}
        request = json.loads(body or b"{}")
        with self._lock:
            self.requests += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.latency)
            content = self.reply(request)
        finally:
            with self._lock:
                self.in_flight -= 1
        return 200, _completion(str(request.get("model", "stub")), content)


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, bytes] | None:
    line = await reader.readline()
    if not line.strip():
        return None
    _method, path, _version = line.decode("latin-1").split(" ", 2)
    length = 0
    while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = header.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length > _MAX_BODY:
        raise ValueError("request body too large")
    return path, await reader.readexactly(length) if length else b""


def _write_response(writer: asyncio.StreamWriter, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    head = (
        f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: keep-alive\r\n\r\n"
    )
    writer.write(head.encode("latin-1") + body)


def _completion(model: str, content: str) -> dict[str, Any]:
    prompt_tokens, completion_tokens = 100, max(1, len(content) // 4)
    return {
        "id": f"stub-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class StubProcess:
    """A `StubServer` with a fixed reply in its own process, like a real model server.

    In a thread the stub shares the client's GIL, so its request handling slows the client it
    measures; a process keeps the client's CPU its own.

    >>> with StubProcess("I can't help with that.", latency=0.2) as stub:  # doctest: +SKIP
    ...     stub.base_url
    """

    def __init__(self, reply: str, *, latency: float = 0.0, host: str = "127.0.0.1") -> None:
        self.reply = reply
        self.latency = latency
        self.host = host
        self.port = 0
        self._process: subprocess.Popen[str] | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible root, ending in /v1."""
        return f"http://{self.host}:{self.port}/v1"

    def __enter__(self) -> StubProcess:
        command = [sys.executable, str(Path(__file__)), "--latency", str(self.latency)]
        self._process = subprocess.Popen(
            [*command, "--host", self.host, "--reply", self.reply],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()  # the child prints its port once it listens
        if not line.strip().isdigit():
            self.__exit__(None, None, None)
            raise RuntimeError(f"stub process did not start (it printed {line!r})")
        self.port = int(line)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._process is None:
            return
        if self._process.stdin is not None:
            self._process.stdin.close()  # the child stops when its stdin closes
        wait_or_kill(self._process, 10)


def main(argv: list[str] | None = None) -> None:
    """Serve a fixed reply until stdin closes; prints the port first (used by `StubProcess`)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--reply", required=True)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    text: str = args.reply
    with StubServer(lambda _request: text, latency=args.latency, host=args.host) as stub:
        print(stub.port, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
