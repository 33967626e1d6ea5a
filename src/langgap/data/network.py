"""Is a server there at all? A bounded check before a download, so offline fails in seconds."""

from __future__ import annotations

import socket
import threading
import urllib.request
from urllib.parse import urlsplit

PROBE_TIMEOUT_S = 2.5


def reachable(url: str, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Whether url's host (or the proxy in front of it) accepts a TCP connection within timeout.

    The probe runs in a daemon thread because a name lookup can hang far longer than the socket
    timeout, which does not cover it; offline, this returns after `timeout` seconds at most.
    """
    parts = urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme or "https")
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        proxy_parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        address = (proxy_parts.hostname or "", proxy_parts.port or 8080)
    else:
        address = (parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
    answered: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection(address, timeout=timeout):
                answered.append(True)
        except OSError:
            pass

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout + 0.1)
    return bool(answered)
