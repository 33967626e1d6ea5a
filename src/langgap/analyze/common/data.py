"""Harmful and harmless prompts per language from a benchmark, ready for activation capture."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from langgap.analyze.common.activations import Prompt
from langgap.evaluate.benchmarks import BenchmarkError
from langgap.languages import counting_code

if TYPE_CHECKING:
    from inspect_ai.dataset import Sample


@dataclass(frozen=True)
class LoadedBenchmark:
    """Every sample of one benchmark, read once: a caller trying split after split filters it
    in memory instead of reading the files again for each."""

    name: str  # as the caller named it
    benchmark: str  # as its loader names it (in selection errors)
    samples: list[Sample]


DEFAULT_BENCHMARK = "polyrefuse"


def read_benchmark(
    name: str = DEFAULT_BENCHMARK, data_dir: str | Path | None = None
) -> LoadedBenchmark:
    """Every sample of `name` (a benchmark or a prompt table), unfiltered."""
    from langgap.evaluate.benchmarks import load_benchmark

    samples, report = load_benchmark(name, data_dir=data_dir)
    return LoadedBenchmark(name, report.benchmark, samples)


def _resolved(
    name: str | None, data_dir: str | Path | None, loaded: LoadedBenchmark | None
) -> LoadedBenchmark:
    """`loaded`, else `name` (default polyrefuse) read once; both, naming two benchmarks, is an
    error rather than one silently ignored."""
    if loaded is None:
        return read_benchmark(name or DEFAULT_BENCHMARK, data_dir)
    if name is not None and name != loaded.name:
        raise BenchmarkError(
            f"name {name!r} but loaded {loaded.name!r}: give one (`loaded` is already read)"
        )
    return loaded


def benchmark_prompts(
    languages: Sequence[str],
    n_per_class: int,
    *,
    name: str | None = None,
    split: str | None = "test",
    data_dir: str | Path | None = None,
    seed: int = 0,
    required: Sequence[bool] = (True, False),
    exclude: frozenset[str] = frozenset(),
    loaded: LoadedBenchmark | None = None,
) -> list[Prompt]:
    """n_per_class harmful and n_per_class harmless prompts for each language, labelled.

    A language with no prompts of a `required` class (True = harmful) in the split is an error,
    never silently left out. Prompts whose id is in `exclude` (those that tuned the model under
    study, see refusal_model.tuned_ids) are never drawn. `name` (default polyrefuse) is read
    once; with `loaded` (`read_benchmark`'s) no file is read.
    """
    from langgap.evaluate.benchmarks import select

    loaded = _resolved(name, data_dir, loaded)
    name = loaded.name
    prompts: list[Prompt] = []
    for harmful in (True, False):
        samples = select(
            loaded.samples,
            benchmark=loaded.benchmark,
            languages=list(languages),
            harmful=harmful,
            split=split,
            sample_per_language=None if exclude else n_per_class,
            seed=seed,
        )
        if exclude:
            kept = [s for s in samples if str(s.id) not in exclude]
            samples = select(
                kept, benchmark=loaded.benchmark, sample_per_language=n_per_class, seed=seed
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
    # no languages means every one: each the benchmark has must still have the required classes
    checked = list(languages) or sorted({str(p.language) for p in prompts})
    missing = [
        f"{language} ({'harmful' if harmful else 'harmless'})"
        for language in checked
        for harmful in required
        if not any(
            p.harmful == harmful and counting_code(str(p.language)) == counting_code(language)
            for p in prompts
        )
    ]
    if missing:
        raise BenchmarkError(
            f"{name} split {split!r} has no prompts for {', '.join(missing)}; "
            "try another split (train, val, test) or leave those languages out"
        )
    return prompts


def prompts_any_split(
    languages: Sequence[str],
    n_per_class: int,
    *,
    splits: Sequence[str] = ("train", "test", "val"),
    name: str | None = None,
    data_dir: str | Path | None = None,
    seed: int = 0,
    exclude: frozenset[str] = frozenset(),
    loaded: LoadedBenchmark | None = None,
) -> tuple[list[Prompt], dict[str, str]]:
    """Prompts per language from the first split (in order) that has both classes for it.

    PolyRefuse has no English train split and no Chinese harmless test split, so no one split
    serves every language; the split each language came from is returned with the prompts.
    `name` (default polyrefuse) is read once; with `loaded` (`read_benchmark`'s) no file is read.
    """
    loaded = _resolved(name, data_dir, loaded)
    name = loaded.name
    prompts: list[Prompt] = []
    used: dict[str, str] = {}
    remaining = [counting_code(language) for language in languages]
    for split in splits:  # one draw per split, for the languages still without prompts
        if not remaining:
            break
        drawn = benchmark_prompts(remaining, n_per_class, split=split, seed=seed, required=(),
                                  exclude=exclude, loaded=loaded)  # fmt: skip
        for language in list(remaining):
            mine = [p for p in drawn if counting_code(str(p.language)) == language]
            if {bool(p.harmful) for p in mine} == {True, False}:
                prompts += mine
                used[language] = split
                remaining.remove(language)
    if remaining:
        raise BenchmarkError(
            f"{name} has no split ({', '.join(splits)}) with both harmful and harmless prompts "
            f"for {', '.join(remaining)}; leave those languages out"
        )
    return prompts, used


def benchmark_languages(
    name: str | None = None,
    *,
    split: str | None = "test",
    data_dir: str | Path | None = None,
    loaded: LoadedBenchmark | None = None,
) -> list[str]:
    """Every language (ISO 639-3) the benchmark (default polyrefuse) has harmful prompts in,
    sorted (from `loaded`, `read_benchmark`'s, when given)."""
    from langgap.evaluate.benchmarks import select

    loaded = _resolved(name, data_dir, loaded)
    samples = select(loaded.samples, benchmark=loaded.benchmark, harmful=True, split=split)
    return sorted({str((s.metadata or {}).get("language")) for s in samples} - {"None"})
