"""Incremental Anthology reading: each collection file is parsed once, reused until it changes."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields
from pathlib import Path
from typing import Any

from langgap._io import atomic_write_bytes, cache_dir, gc_paused, load_pickle
from langgap.survey.models import Paper
from langgap.survey.sources.anthology import (
    PARSER_VERSION,
    AnthologyLayout,
    VenueInfo,
    issue_from_error,
    locate,
    read_collection,
    read_venues,
    xml_files,
)
from langgap.survey.sources.errors import SourceError, SourceIssue

_PAPER_FIELDS = tuple(f.name for f in fields(Paper))
Progress = Callable[[int, int], None]  # (files done, files total)
_FORMAT = 2  # layout of the cache file itself
_PARALLEL_FROM = 64  # fewer stale files than this are parsed in-process


def _signature(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _venue_signature(layout: AnthologyLayout) -> tuple[tuple[str, int, int], ...]:
    if layout.venues_dir is None:
        return ()
    return tuple((p.name, *_signature(p)) for p in sorted(layout.venues_dir.glob("*.yaml")))


def _pack(papers: list[Paper]) -> bytes:
    # Plain tuples pickle several times faster than slotted dataclasses, and a worker that sends
    # bytes lets the parent cache them as they are, without pickling everything a second time.
    rows = [tuple(getattr(p, name) for name in _PAPER_FIELDS) for p in papers]
    return pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)


def _unpack(blob: bytes) -> list[Paper]:
    return [Paper(*row) for row in pickle.loads(blob)]


_Parsed = tuple[str, tuple[int, int], bytes, SourceIssue | None]


def _parse_chunk(files: list[Path], venues: dict[str, VenueInfo]) -> list[_Parsed]:
    with gc_paused():
        return [_parse_one(file, venues) for file in files]


def _parse_one(file: Path, venues: dict[str, VenueInfo]) -> _Parsed:
    signature = _signature(file)
    try:
        return file.name, signature, _pack(read_collection(file, venues)), None
    except SourceError as error:
        return file.name, signature, b"", issue_from_error(file, error)


def _balanced_chunks(files: list[Path], count: int) -> list[list[Path]]:
    """Split files into chunks of similar total size, largest first (a few collections are huge)."""
    bins: list[tuple[int, list[Path]]] = [(0, []) for _ in range(max(1, min(count, len(files))))]
    for file in sorted(files, key=lambda f: f.stat().st_size, reverse=True):
        total, members = min(bins, key=lambda b: b[0])
        bins.remove((total, members))
        members.append(file)
        bins.append((total + file.stat().st_size, members))
    return [members for _, members in sorted(bins, key=lambda b: -b[0]) if members]


def _parse_all(
    files: list[Path],
    venues: dict[str, VenueInfo],
    workers: int | None,
    progress: Progress | None,
    total: int,
    while_parsing: Callable[[], None] | None,
) -> Iterator[_Parsed]:
    """Parse files, in worker processes when there are enough of them to pay for the start-up."""
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    chunks = _balanced_chunks(files, workers * 8)
    done = total - len(files)
    if workers <= 1 or len(files) < _PARALLEL_FROM:
        results: Iterable[list[_Parsed]] = (_parse_chunk(chunk, venues) for chunk in chunks)
        executor = None
    else:
        # fork: the workers inherit the imported modules, so they start in milliseconds.
        context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
        executor = ProcessPoolExecutor(workers, mp_context=context)
        results = executor.map(_parse_chunk, chunks, [venues] * len(chunks))
    if while_parsing is not None:
        # The workers are forked by now, so no thread or lock of this work can leak into them.
        while_parsing()
    try:
        for chunk_result in results:
            yield from chunk_result
            done += len(chunk_result)
            if progress is not None:
                progress(done, total)
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)


_PENDING_WRITES: dict[Path, threading.Thread] = {}


def _wait_for_write(path: Path) -> None:
    """Finish a cache write this process started, so a reread sees it."""
    writer = _PENDING_WRITES.pop(path, None)
    if writer is not None:
        writer.join()


def cache_file(layout: AnthologyLayout, root: Path | None = None) -> Path:
    """Where the parse cache of one Anthology folder lives."""
    key = hashlib.sha1(str(layout.xml_dir.resolve()).encode()).hexdigest()[:16]
    return (root or cache_dir("anthology")) / f"v{PARSER_VERSION}.{_FORMAT}-{key}.pkl"


def read_anthology_cached(
    root: Path,
    *,
    years: tuple[int, int] | None = None,
    strict: bool = False,
    cache_root: Path | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
    workers: int | None = None,
    while_parsing: Callable[[], None] | None = None,
) -> tuple[list[Paper], list[SourceIssue], int]:
    """Papers and issues, reparsing only changed files; also returns how many files were parsed.

    `while_parsing` runs in this process while worker processes parse (e.g. warming up the
    annotator), so its cost overlaps the parse.
    """
    layout = locate(root)
    path = cache_file(layout, cache_root)
    _wait_for_write(path)
    venue_sig = _venue_signature(layout)
    cached: dict[str, Any] = (load_pickle(path) if use_cache else None) or {}
    entries: dict[str, tuple[tuple[int, int], bytes]] = (
        cached.get("files", {}) if cached.get("venues") == venue_sig else {}
    )
    files = xml_files(layout, years)
    issues: list[SourceIssue] = []
    stale = [f for f in files if (e := entries.get(f.name)) is None or e[0] != _signature(f)]
    if stale:
        venues = read_venues(layout.venues_dir)
        parsing = _parse_all(stale, venues, workers, progress, len(files), while_parsing)
        for name, signature, rows, issue in parsing:
            if issue is not None:
                if strict:
                    raise SourceError(issue.message)
                issues.append(issue)
                entries.pop(name, None)
            else:
                entries[name] = (signature, rows)
    papers: list[Paper] = []
    for file in files:
        entry = entries.get(file.name)
        if entry is not None:
            papers.extend(_unpack(entry[1]))
    if progress is not None:
        progress(len(files), len(files))
    parsed = len(stale)
    if use_cache and parsed:
        # The write is pure I/O (the entries are bytes already): let it overlap what comes next.
        blob = pickle.dumps({"venues": venue_sig, "files": entries}, pickle.HIGHEST_PROTOCOL)
        writer = threading.Thread(target=atomic_write_bytes, args=(path, blob), name="parse-cache")
        _PENDING_WRITES[path] = writer
        writer.start()
    return papers, issues, parsed
