"""Harmful and harmless prompts per language from a benchmark, ready for activation capture."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from langgap.analyze.activations import Prompt


def benchmark_prompts(
    languages: Sequence[str],
    n_per_class: int,
    *,
    name: str = "polyrefuse",
    split: str | None = "test",
    data_dir: str | Path | None = None,
    seed: int = 0,
) -> list[Prompt]:
    """n_per_class harmful and n_per_class harmless prompts for each language, labelled."""
    from langgap.evaluate.benchmarks import load_benchmark

    prompts: list[Prompt] = []
    for harmful in (True, False):
        samples, _ = load_benchmark(
            name,
            data_dir=data_dir,
            languages=list(languages),
            harmful=harmful,
            split=split,
            sample_per_language=n_per_class,
            seed=seed,
        )
        for i, sample in enumerate(samples):
            meta = sample.metadata or {}
            prompts.append(
                Prompt(
                    text=str(sample.input),
                    id=str(sample.id if sample.id is not None else f"{name}-{harmful}-{i}"),
                    language=meta.get("language"),
                    harmful=harmful,
                )
            )
    return prompts


def benchmark_languages(
    name: str = "polyrefuse", *, split: str | None = "test", data_dir: str | Path | None = None
) -> list[str]:
    """Every language (ISO 639-3) the benchmark has harmful prompts in, sorted."""
    from langgap.evaluate.benchmarks import load_benchmark

    samples, _ = load_benchmark(name, data_dir=data_dir, harmful=True, split=split)
    return sorted({str((s.metadata or {}).get("language")) for s in samples} - {"None"})
