"""Is a server there at all? A bounded check before a download, so offline fails in seconds."""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import urlsplit

# A TCP handshake to GitHub or the hub takes well under a second even on slow links; 1.5 s also
# survives one lost SYN (retried after 1 s), and keeps start-up + probe under the 3 s in which an
# offline command must have said so. A very slow link can raise it with LANGGAP_CONNECT_TIMEOUT.
PROBE_TIMEOUT_S = 1.5
# Inside probe_once(): each address's answer, so one command asks each host (or proxy) once.
_answers: dict[tuple[str, int], bool] | None = None


def probe_timeout() -> float:
    """Seconds a connection probe waits: LANGGAP_CONNECT_TIMEOUT, else PROBE_TIMEOUT_S."""
    raw = os.environ.get("LANGGAP_CONNECT_TIMEOUT", "").strip()
    if not raw:
        return PROBE_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(
            f"LANGGAP_CONNECT_TIMEOUT={raw!r} is not a number of seconds; set e.g. 5 or unset it"
        ) from None
    if value <= 0:
        raise ValueError(f"LANGGAP_CONNECT_TIMEOUT={raw!r} must be above 0 seconds")
    return value


@contextmanager
def probe_once() -> Iterator[None]:
    """Within it, a host (or the proxy in front of it) is probed once and its answer reused: a
    command fetching many data sets offline waits once per host, not once per data set."""
    global _answers
    outer = _answers
    if outer is None:
        _answers = {}
    try:
        yield
    finally:
        _answers = outer


def reachable(url: str, timeout: float | None = None) -> bool:
    """Whether url's host (or the proxy in front of it) accepts a TCP connection within timeout."""
    return bool(reachable_urls([url], timeout))


def reachable_urls(urls: Sequence[str], timeout: float | None = None) -> set[str]:
    """The urls whose host (or the proxy in front of it) accepts a TCP connection in time.

    Each probe runs in a daemon thread, all at once, because a name lookup can hang far longer
    than the socket timeout, which does not cover it; offline, this returns after `timeout`.
    Inside probe_once(), an address already probed is not probed again.
    """
    timeout = probe_timeout() if timeout is None else timeout
    addresses = {url: _address(url) for url in urls}
    known = _answers if _answers is not None else {}
    asked = {address for address in addresses.values() if address not in known}
    answered: set[tuple[str, int]] = set()

    def probe(address: tuple[str, int]) -> None:
        try:
            with socket.create_connection(address, timeout=timeout):
                answered.add(address)
        except OSError:
            pass

    threads = [threading.Thread(target=probe, args=(address,), daemon=True) for address in asked]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout + 0.1  # one wait for all: they run at once
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    now = {address: address in answered for address in asked}
    if _answers is not None:
        _answers.update(now)
    return {url for url, address in addresses.items() if (known | now).get(address)}


def _address(url: str) -> tuple[str, int]:
    """Where a connection to url goes: its host and port, or the proxy that would carry it."""
    parts = urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme or "https")
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        proxy_parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        return proxy_parts.hostname or "", proxy_parts.port or 8080
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
