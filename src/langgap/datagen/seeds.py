"""Seed prompts from a langgap benchmark or a JSONL file (generated seeds live in the pipeline)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from langgap.datagen.config import ConfigError, Seeds
from langgap.datagen.items import Seed
from langgap.languages import try_lookup


def load_seeds(seeds: Seeds, default_language: str) -> list[Seed]:
    """The seeds a config names (kind "benchmark" or "file")."""
    if seeds.kind == "benchmark":
        return _from_benchmark(seeds)
    if seeds.kind == "file":
        assert seeds.path is not None  # checked by Seeds
        return read_seed_file(Path(seeds.path), default_language)
    return []


def _from_benchmark(seeds: Seeds) -> list[Seed]:
    from langgap.evaluate.benchmarks import load_benchmark

    assert seeds.benchmark is not None
    samples, _report = load_benchmark(
        seeds.benchmark,
        data_dir=seeds.data_dir,
        languages=list(seeds.source_languages) or None,
        categories=list(seeds.categories) or None,
        limit=seeds.limit,
        harmful=seeds.harmful,
    )
    out = []
    for sample in samples:
        if not isinstance(sample.input, str):
            continue  # chat transcripts are not single prompts
        meta = sample.metadata or {}
        out.append(
            Seed(
                id=str(sample.id),
                prompt=sample.input,
                language=str(meta.get("language", "eng")),
                category=meta.get("category"),
                harmful=bool(meta.get("harmful", True)),
                source=seeds.benchmark,
            )
        )
    return out


def read_seed_file(path: Path, default_language: str) -> list[Seed]:
    """Seeds from JSONL: `prompt` required; id, language, category, harmful, chosen, rejected."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the seeds file ({err})") from err
    seeds: list[Seed] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            row = json.loads(line)
        except ValueError as err:
            raise ConfigError(f"{where}: not JSON ({err}). Fix: one JSON object per line") from err
        if not isinstance(row, dict):
            raise ConfigError(f"{where}: expected a JSON object with a `prompt` field")
        language = str(row.get("language") or default_language)
        found = try_lookup(language)
        if found is None:
            raise ConfigError(f"{where}: field `language`: unknown language {language!r}")
        try:
            seeds.append(
                Seed.model_validate(
                    {
                        **row,
                        "id": str(row.get("id") or f"{path.stem}:{number}"),
                        "language": found.code,
                        "source": f"{path.name}:{number}",
                    }
                )
            )
        except ValidationError as err:
            fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in err.errors())
            raise ConfigError(
                f"{where}: invalid field(s) {fields}. Fix: give a non-empty string `prompt`"
            ) from err
    ids = [s.id for s in seeds]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise ConfigError(f"{path}: seed id {dup!r} appears twice. Fix: make `id` unique")
    return seeds
