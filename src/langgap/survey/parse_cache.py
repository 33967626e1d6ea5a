"""Incremental Anthology reading: each collection file is parsed once, reused until it changes."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields
from pathlib import Path
from typing import Any

from langgap._io import cache_dir, load_pickle, save_pickle
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
_PARALLEL_FROM = 64  # fewer stale files than this are parsed in-process


def _signature(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _venue_signature(layout: AnthologyLayout) -> tuple[tuple[str, int, int], ...]:
    if layout.venues_dir is None:
        return ()
    return tuple((p.name, *_signature(p)) for p in sorted(layout.venues_dir.glob("*.yaml")))


def _pack(papers: list[Paper]) -> list[tuple[Any, ...]]:
    # Plain tuples pickle several times faster than slotted dataclasses.
    return [tuple(getattr(p, name) for name in _PAPER_FIELDS) for p in papers]


def _unpack(rows: list[tuple[Any, ...]]) -> list[Paper]:
    return [Paper(*row) for row in rows]


_Parsed = tuple[str, tuple[int, int], list[tuple[Any, ...]], SourceIssue | None]


def _parse_chunk(files: list[Path], venues: dict[str, VenueInfo]) -> list[_Parsed]:
    results: list[_Parsed] = []
    for file in files:
        signature = _signature(file)
        try:
            results.append((file.name, signature, _pack(read_collection(file, venues)), None))
        except SourceError as error:
            results.append((file.name, signature, [], issue_from_error(file, error)))
    return results


def _parse_all(
    files: list[Path],
    venues: dict[str, VenueInfo],
    workers: int | None,
    progress: Progress | None,
    total: int,
) -> Iterator[_Parsed]:
    """Parse files, in worker processes when there are enough of them to pay for the start-up."""
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    size = max(1, len(files) // (workers * 8))
    chunks = [files[i : i + size] for i in range(0, len(files), size)]
    done = total - len(files)
    if workers <= 1 or len(files) < _PARALLEL_FROM:
        results: Iterable[list[_Parsed]] = (_parse_chunk(chunk, venues) for chunk in chunks)
        executor = None
    else:
        # fork: the workers inherit the imported modules, so they start in milliseconds.
        context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
        executor = ProcessPoolExecutor(workers, mp_context=context)
        results = executor.map(_parse_chunk, chunks, [venues] * len(chunks))
    try:
        for chunk_result in results:
            yield from chunk_result
            done += len(chunk_result)
            if progress is not None:
                progress(done, total)
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)


def cache_file(layout: AnthologyLayout, root: Path | None = None) -> Path:
    """Where the parse cache of one Anthology folder lives."""
    key = hashlib.sha1(str(layout.xml_dir.resolve()).encode()).hexdigest()[:16]
    return (root or cache_dir("anthology")) / f"v{PARSER_VERSION}-{key}.pkl"


def read_anthology_cached(
    root: Path,
    *,
    years: tuple[int, int] | None = None,
    strict: bool = False,
    cache_root: Path | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
    workers: int | None = None,
) -> tuple[list[Paper], list[SourceIssue], int]:
    """Papers and issues, reparsing only changed files; also returns how many files were parsed."""
    layout = locate(root)
    path = cache_file(layout, cache_root)
    venue_sig = _venue_signature(layout)
    cached: dict[str, Any] = (load_pickle(path) if use_cache else None) or {}
    entries: dict[str, tuple[tuple[int, int], list[tuple[Any, ...]]]] = (
        cached.get("files", {}) if cached.get("venues") == venue_sig else {}
    )
    files = xml_files(layout, years)
    issues: list[SourceIssue] = []
    stale = [f for f in files if (e := entries.get(f.name)) is None or e[0] != _signature(f)]
    if stale:
        venues = read_venues(layout.venues_dir)
        for name, signature, rows, issue in _parse_all(
            stale, venues, workers, progress, len(files)
        ):
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
        save_pickle(path, {"venues": venue_sig, "files": entries})
    return papers, issues, parsed
