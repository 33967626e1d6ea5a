"""Annotations cached by (annotator, version, paper text): unchanged papers are never redone."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

from langgap._io import cache_dir, load_pickle, save_pickle
from langgap.survey.annotate import Annotator
from langgap.survey.models import Labels, Paper


def paper_key(paper: Paper) -> str:
    """Identity of what an annotator sees: the id plus a hash of title and abstract."""
    digest = hashlib.blake2b(
        f"{paper.title}\x00{paper.abstract or ''}".encode(), digest_size=12
    ).hexdigest()
    return f"{paper.id}:{digest}"


def _file(annotator: Annotator, root: Path | None) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{annotator.name}-{annotator.version}")
    return (root or cache_dir("annotations")) / f"{safe}.pkl"


def annotate_cached(
    annotator: Annotator,
    papers: Sequence[Paper],
    *,
    cache_root: Path | None = None,
    use_cache: bool = True,
) -> tuple[list[Labels], int]:
    """Labels for every paper and how many were freshly computed; the cache is saved atomically."""
    path = _file(annotator, cache_root)
    store: dict[str, Labels] = (load_pickle(path) if use_cache else None) or {}
    keys = [paper_key(p) for p in papers]
    missing = [i for i, key in enumerate(keys) if key not in store]
    results: dict[str, Labels] = {}
    if missing:
        fresh = annotator.annotate_many([papers[i] for i in missing])
        # An annotator may say a result is not worth keeping (an LLM's fallback labels for an
        # answer it could not give): those papers are asked again next run.
        keep = getattr(annotator, "cacheable", lambda _labels: True)
        for i, labels in zip(missing, fresh, strict=True):
            results[keys[i]] = labels
            if keep(labels):
                store[keys[i]] = labels
        if use_cache:
            save_pickle(path, store)
    return [results.get(key) or store[key] for key in keys], len(missing)
