"""Is a server there at all? A bounded check before a download, so offline fails in seconds."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Sequence
from urllib.parse import urlsplit

PROBE_TIMEOUT_S = 2.5


def reachable(url: str, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Whether url's host (or the proxy in front of it) accepts a TCP connection within timeout."""
    return bool(reachable_urls([url], timeout))


def reachable_urls(urls: Sequence[str], timeout: float = PROBE_TIMEOUT_S) -> set[str]:
    """The urls whose host (or the proxy in front of it) accepts a TCP connection in time.

    Each probe runs in a daemon thread, all at once, because a name lookup can hang far longer
    than the socket timeout, which does not cover it; offline, this returns after `timeout`.
    """
    answered: set[str] = set()

    def probe(url: str) -> None:
        try:
            with socket.create_connection(_address(url), timeout=timeout):
                answered.add(url)
        except OSError:
            pass

    threads = [threading.Thread(target=probe, args=(url,), daemon=True) for url in urls]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout + 0.1  # one wait for all: they run at once
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return set(answered)


def _address(url: str) -> tuple[str, int]:
    """Where a connection to url goes: its host and port, or the proxy that would carry it."""
    parts = urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme or "https")
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        proxy_parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        return proxy_parts.hostname or "", proxy_parts.port or 8080
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
