"""Download the papers' PDFs politely and resumably into a cache folder.

Politeness: at most `concurrency` requests at once, requests to one host at least `delay` seconds
apart, a User-Agent naming langgap, retries with exponential backoff only where a retry can help
(5xx, 429, timeouts, dropped connections; never 404). Resumable: a finished PDF is never fetched
again; a download is written to `<id>.pdf.part` and renamed only once complete and checked to
start with `%PDF`, so an interrupted run never leaves a half file that passes for a cached one.
Offline: every host is probed once up front (a TCP connect within
`langgap.data.network.probe_timeout()`, 1.5 s or LANGGAP_CONNECT_TIMEOUT), so an offline
run returns at once instead of waiting out every paper's timeouts.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import httpx

from langgap import __version__
from langgap.data.network import probe_timeout, reachable_urls
from langgap.models.runner import run_sync
from langgap.survey.models import Paper

FetchStatus = Literal["cached", "downloaded", "failed", "offline", "no_url"]
FETCH_STATUSES: tuple[FetchStatus, ...] = ("cached", "downloaded", "failed", "offline", "no_url")
USER_AGENT = f"langgap/{__version__} (language-gap survey; polite PDF fetcher)"
PDF_MAGIC = b"%PDF"

# Anthology IDs: new style "2023.acl-long.1", old style "P19-1001"; their PDF is "<url>.pdf".
_ANTHOLOGY_ID = re.compile(r"(?:\d{4}\.[a-z0-9-]+\.\d+|[A-Z]\d{2}-\d{4})")
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class PdfStatus:
    """What happened to one paper's PDF."""

    paper_id: str
    status: FetchStatus
    path: Path | None = None  # set for cached and downloaded
    url: str | None = None
    reason: str = ""  # why it failed / was skipped
    attempts: int = 0


@dataclass(slots=True)
class FetchReport:
    """Per-paper results of `fetch_pdfs`, in input order, with counts and a message."""

    results: list[PdfStatus] = field(default_factory=list)
    offline: bool = False
    message: str = ""

    @property
    def counts(self) -> dict[str, int]:
        """Papers per status (every status present, zeros included)."""
        found = Counter(r.status for r in self.results)
        return {status: found.get(status, 0) for status in FETCH_STATUSES}

    def by_id(self) -> dict[str, PdfStatus]:
        """Results keyed by paper id."""
        return {r.paper_id: r for r in self.results}


def safe_id(paper_id: str) -> str:
    """A file name for a paper id; ids that needed changing get a hash so they never collide."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", paper_id).strip("._") or "paper"
    if cleaned == paper_id:
        return cleaned
    return f"{cleaned[:80]}-{hashlib.blake2b(paper_id.encode(), digest_size=4).hexdigest()}"


def pdf_path(cache_dir: Path, paper: Paper) -> Path:
    """Where `fetch_pdfs` keeps this paper's PDF."""
    return cache_dir / f"{safe_id(paper.id)}.pdf"


def pdf_url(paper: Paper) -> str | None:
    """The PDF address: the URL itself when it ends in .pdf, `<url>.pdf` for Anthology pages."""
    if not paper.url:
        return None
    url = paper.url.strip()
    path = urlsplit(url).path.rstrip("/")
    if path.lower().endswith(".pdf"):
        return url
    if _ANTHOLOGY_ID.fullmatch(path.rsplit("/", 1)[-1]):
        return url.rstrip("/") + ".pdf"
    return None


def fetch_pdfs(
    papers: Sequence[Paper],
    cache_dir: Path,
    *,
    concurrency: int = 4,
    retries: int = 3,
    timeout: float = 30,
    offline_check: bool = True,
    delay: float = 1.0,
    backoff: float = 1.0,
    url_for: Callable[[Paper], str | None] = pdf_url,
    on_result: Callable[[PdfStatus], None] | None = None,
) -> FetchReport:
    """Download each paper's PDF into cache_dir/<safe id>.pdf; already-complete files are kept.

    >>> report = fetch_pdfs(papers, Path("pdfs"))  # doctest: +SKIP
    >>> report.counts  # doctest: +SKIP
    {'cached': 3, 'downloaded': 40, 'failed': 1, 'offline': 0, 'no_url': 2}
    """
    if concurrency < 1 or retries < 0 or timeout <= 0 or delay < 0 or backoff < 0:
        raise ValueError(
            "fetch_pdfs: need concurrency >= 1, retries >= 0, timeout > 0, delay >= 0, backoff >= 0"
        )
    cache_dir.mkdir(parents=True, exist_ok=True)
    fetcher = _Fetcher(cache_dir, retries, timeout, delay, backoff, on_result)
    results, planned = _plan(papers, cache_dir, url_for, fetcher)
    report = FetchReport()
    if planned and offline_check:
        timeout = probe_timeout()
        # the data sets' probe (langgap.data.network): one TCP connect per host (or proxy),
        # all at once, so offline costs one timeout; one URL stands for its host (and scheme,
        # which picks the proxy), as looking up each URL's proxy costs ~45 µs
        probes = {_probe_key(url): url for _, _, url in reversed(planned)}
        reached = reachable_urls(sorted(set(probes.values())), timeout)
        answered = {key for key, url in probes.items() if url in reached}
        unreachable = {_host_port(url) for _, _, url in planned if _probe_key(url) not in answered}
        if unreachable:
            planned = _mark_offline(planned, answered, results, fetcher)
            report.offline = not planned
            hosts = ", ".join(sorted(unreachable))
            report.message = (
                f"{'offline' if report.offline else 'unreachable'}: {hosts} did not answer "
                f"within {timeout:g} s, so its PDFs were not fetched (cached ones are "
                "still used); rerun when online to fetch them. "
            )
    if planned:
        fetched = run_sync(fetcher.fetch_all([(p, url) for _, p, url in planned], concurrency))
        for (index, _, _), status in zip(planned, fetched, strict=True):
            results[index] = status
    report.results = [r for r in results if r is not None]
    counts = ", ".join(f"{n} {s}" for s, n in report.counts.items() if n)
    report.message += f"PDFs: {counts or 'none'}"
    return report


def _plan(
    papers: Sequence[Paper],
    cache_dir: Path,
    url_for: Callable[[Paper], str | None],
    fetcher: _Fetcher,
) -> tuple[list[PdfStatus | None], list[tuple[int, Paper, str]]]:
    """Settle cached and URL-less papers now; the rest are (index, paper, url) still to fetch."""
    results: list[PdfStatus | None] = []
    planned: list[tuple[int, Paper, str]] = []
    for paper in papers:
        url = url_for(paper)
        cached = pdf_path(cache_dir, paper)
        if _is_pdf(cached):
            results.append(fetcher.done(PdfStatus(paper.id, "cached", cached, url)))
        elif url is None:
            reason = f"no known PDF address for {paper.url}" if paper.url else "no URL"
            status = PdfStatus(paper.id, "no_url", url=paper.url, reason=reason)
            results.append(fetcher.done(status))
        else:
            planned.append((len(results), paper, url))
            results.append(None)
    return results, planned


def _mark_offline(
    planned: list[tuple[int, Paper, str]],
    answered: set[tuple[str, str]],
    results: list[PdfStatus | None],
    fetcher: _Fetcher,
) -> list[tuple[int, Paper, str]]:
    """Mark papers whose URL's host (`_probe_key`) did not answer offline; the rest are still
    to fetch."""
    remaining = []
    for index, paper, url in planned:
        if _probe_key(url) not in answered:
            reason = f"{_host_port(url)} unreachable (offline?)"
            results[index] = fetcher.done(PdfStatus(paper.id, "offline", url=url, reason=reason))
        else:
            remaining.append((index, paper, url))
    return remaining


class _Fetcher:
    """The async download loop: per-host spacing, retries, `.part` files."""

    def __init__(
        self,
        cache_dir: Path,
        retries: int,
        timeout: float,
        delay: float,
        backoff: float,
        on_result: Callable[[PdfStatus], None] | None,
    ) -> None:
        self.cache_dir = cache_dir
        self.retries = retries
        self.timeout = timeout
        self.delay = delay
        self.backoff = backoff
        self.on_result = on_result
        self._next_slot: dict[str, float] = {}
        self._host_locks: dict[str, asyncio.Lock] = {}

    def done(self, status: PdfStatus) -> PdfStatus:
        """Report one finished paper to the caller's callback."""
        if self.on_result is not None:
            self.on_result(status)
        return status

    async def fetch_all(self, jobs: list[tuple[Paper, str]], concurrency: int) -> list[PdfStatus]:
        """Fetch every (paper, url), at most `concurrency` at once."""
        limit = asyncio.Semaphore(concurrency)
        headers = {"User-Agent": USER_AGENT, "Accept": "application/pdf"}
        timeout = httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0))
        async with httpx.AsyncClient(
            headers=headers, timeout=timeout, follow_redirects=True
        ) as client:

            async def one(paper: Paper, url: str) -> PdfStatus:
                async with limit:
                    return self.done(await self._fetch(client, paper, url))

            return list(await asyncio.gather(*(one(p, u) for p, u in jobs)))

    async def _polite_wait(self, host: str) -> None:
        """Space requests to one host at least `delay` seconds apart."""
        lock = self._host_locks.setdefault(host, asyncio.Lock())
        async with lock:
            now = time.monotonic()
            start = max(now, self._next_slot.get(host, now))
            self._next_slot[host] = start + self.delay
        await asyncio.sleep(start - now)

    async def _fetch(self, client: httpx.AsyncClient, paper: Paper, url: str) -> PdfStatus:
        target = pdf_path(self.cache_dir, paper)
        reason = ""
        for attempt in range(1, self.retries + 2):
            if attempt > 1:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 2))
            await self._polite_wait(urlsplit(url).hostname or "")
            try:
                reason, retry = await self._download(client, url, target)
            except (httpx.TimeoutException, httpx.TransportError) as error:
                reason, retry = f"{type(error).__name__}: {str(error) or 'no detail'}", True
            except OSError as error:  # disk full, permissions: retrying will not help
                reason, retry = f"could not write {target}: {error}", False
            if not reason:
                return PdfStatus(paper.id, "downloaded", target, url, attempts=attempt)
            if not retry:
                break
        return PdfStatus(paper.id, "failed", url=url, reason=reason, attempts=attempt)

    async def _download(
        self, client: httpx.AsyncClient, url: str, target: Path
    ) -> tuple[str, bool]:
        """Stream url to target.part, check it, rename; ("", _) on success, else (reason, retry)."""
        part = target.with_name(target.name + ".part")
        try:
            async with client.stream("GET", url) as response:
                if response.status_code != 200:
                    retry = response.status_code in _RETRY_STATUS
                    return f"HTTP {response.status_code} from {url}", retry
                with part.open("wb") as out:  # "wb": a leftover .part is replaced, not appended
                    async for chunk in response.aiter_bytes(1 << 16):
                        out.write(chunk)
            with part.open("rb") as done:
                head = done.read(len(PDF_MAGIC))
            if head != PDF_MAGIC:
                return f"{url} did not return a PDF (it starts with {head!r})", False
            os.replace(part, target)
            return "", False
        finally:
            part.unlink(missing_ok=True)


def _is_pdf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(PDF_MAGIC)) == PDF_MAGIC
    except OSError:
        return False


def _probe_key(url: str) -> tuple[str, str]:
    """(scheme, host:port): URLs alike in both reach the same address (or the same proxy)."""
    return urlsplit(url).scheme, _host_port(url)


def _host_port(url: str) -> str:
    """A URL's host and port ("host:port"), as the offline messages name them."""
    parts = urlsplit(url)
    return f"{parts.hostname or ''}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
