"""Choosing samples: by language, category, harmfulness and split; paired limits and sampling."""

from __future__ import annotations

import random
from collections.abc import Iterable
from itertools import chain, islice, zip_longest
from typing import Any

from inspect_ai.dataset import Sample

from langgap.evaluate.benchmarks._common import BenchmarkError
from langgap.languages import Language, lookup


def _meta(sample: Sample) -> dict[str, Any]:
    return sample.metadata or {}


def _available(samples: list[Sample], key: str) -> list[str]:
    return sorted({str(_meta(s).get(key)) for s in samples if _meta(s).get(key) is not None})


def by_languages(
    samples: list[Sample], languages: Iterable[str], benchmark: str, full: list[Sample]
) -> list[Sample]:
    """Samples in any of `languages` (names or codes); unknown ones raise with close matches."""
    languages = list(languages)
    wanted = [lookup(q) for q in languages]  # UnknownLanguageError carries suggestions
    if absent := absent_languages(languages, full):
        query, lang = absent[0]
        raise BenchmarkError(
            f"{benchmark} has no {lang.name} ({query!r} -> {lang.tag}); its languages: "
            f"{', '.join(language_tags(full))}"
        )
    tags = {lang.tag for lang in wanted}
    # a bare code ("zh") selects every script/variety of it; a tagged query only its tag
    codes = {lang.code for lang in wanted if "-" not in lang.tag}
    return [s for s in samples if _meta(s)["language_tag"] in tags or _meta(s)["language"] in codes]


def language_tags(samples: list[Sample]) -> list[str]:
    """The language tags present, sorted."""
    return sorted({str(_meta(s)["language_tag"]) for s in samples})


def absent_languages(languages: Iterable[str], full: list[Sample]) -> list[tuple[str, Language]]:
    """(query, language) for each of `languages` (names or codes) that `full` has no sample in."""
    present = {(_meta(s)["language"], _meta(s)["language_tag"]) for s in full}
    return [
        (query, lang)
        for query in languages
        if not any((lang := lookup(query)).tag == tag or lang.code == code for code, tag in present)
    ]


def by_categories(
    samples: list[Sample], categories: Iterable[str], benchmark: str, full: list[Sample]
) -> list[Sample]:
    """Samples in any of `categories` (case-insensitive); unknown ones raise listing the choices."""
    available = _available(full, "category")
    by_fold = {c.casefold(): c for c in available}
    unknown = [c for c in categories if c.casefold() not in by_fold]
    if unknown:
        raise BenchmarkError(
            f"{benchmark} has no categor{'y' if len(unknown) == 1 else 'ies'} "
            f"{', '.join(map(repr, unknown))}; available: {', '.join(available) or '(none)'}"
        )
    keep = {by_fold[c.casefold()] for c in categories}
    return [s for s in samples if _meta(s).get("category") in keep]


def by_split(samples: list[Sample], split: str, benchmark: str, full: list[Sample]) -> list[Sample]:
    """Samples of one split; an unknown split raises listing the benchmark's splits."""
    available = _available(full, "split")
    if split not in available:
        raise BenchmarkError(
            f"{benchmark} has no split {split!r}; available: {', '.join(available) or '(none)'}"
        )
    return [s for s in samples if _meta(s).get("split") == split]


def by_harmful(samples: list[Sample], harmful: bool) -> list[Sample]:
    """Only harmful (True) or only harmless (False) prompts."""
    return [s for s in samples if bool(_meta(s).get("harmful", True)) is harmful]


def _pair_order(samples: list[Sample]) -> list[str]:
    return list(dict.fromkeys(str(_meta(s)["pair_id"]) for s in samples))


def first_pairs(samples: list[Sample], limit: int) -> list[Sample]:
    """The samples of the first `limit` pair ids, so translations of a prompt stay together.

    When both harmful and harmless prompts are present (PolyRefuse), the limit is split between
    them, taking their pair ids in turn (harmful first): `limit` 10 keeps 5 of each, and a class
    with fewer pairs leaves its share to the other. Harmful rows come first in the files, so the
    plain first ids would drop every harmless prompt, and with them over-refusal.
    """
    classes: dict[bool, list[Sample]] = {True: [], False: []}
    for s in samples:
        classes[bool(_meta(s).get("harmful", True))].append(s)
    orders = [_pair_order(classes[kind]) for kind in (True, False) if classes[kind]]
    turns = chain.from_iterable(zip_longest(*orders))  # harmful, harmless, harmful, …
    keep = set(islice(dict.fromkeys(pair for pair in turns if pair is not None), limit))
    return [s for s in samples if str(_meta(s)["pair_id"]) in keep]


def per_language(samples: list[Sample], n: int, seed: int) -> list[Sample]:
    """At most n samples per language and variant, choosing the same pair ids in every language.

    Pair ids are shuffled once with `seed`; each language takes the first n ids of that order it
    has, so parallel benchmarks get identical pair ids everywhere and the choice is repeatable.
    """
    order = _pair_order(samples)
    random.Random(seed).shuffle(order)
    rank = {pair: i for i, pair in enumerate(order)}
    streams: dict[tuple[str, str], list[Sample]] = {}
    for s in samples:
        streams.setdefault((_meta(s)["language_tag"], _meta(s)["variant"]), []).append(s)
    chosen: set[int] = set()
    for stream in streams.values():
        by_pair: dict[str, list[Sample]] = {}
        for s in stream:
            by_pair.setdefault(str(_meta(s)["pair_id"]), []).append(s)
        for pair in sorted(by_pair, key=rank.__getitem__)[:n]:
            chosen.update(id(s) for s in by_pair[pair])
    return [s for s in samples if id(s) in chosen]
