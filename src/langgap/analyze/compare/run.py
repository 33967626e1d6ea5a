"""Compare two checkpoints of a model language by language: does safety survive adaptation?

Before and after (continued pretraining on a new language, a fine-tune, a LoRA adapter) answer
the same labelled prompts. Refusal of harmful prompts (harmlessness) and of harmless ones
(over-refusal) is judged by the evaluation layer's refusal judge and compared prompt by prompt;
difference-in-means refusal directions of both are compared layer by layer (cosine, norm ratio,
held-out AUROC). Cosines are meaningful because the after checkpoint descends from the before
one, so both residual streams share a basis.

Each checkpoint's judged replies (per language) and activations are cached under a key that
hashes its weights, the prompts and the settings, so an interrupted run resumes where it
stopped. Only prompt ids and outcomes are stored, never prompt text or replies.

>>> prompts, splits = comparison_prompts(["eng", "yor"], 25)
>>> result = compare_specs("smollm2", "runs/smollm2-yor", prompts)
>>> result.headline
"""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypedDict, Unpack

import numpy as np
import torch

from langgap._io import atomic_write_text
from langgap.analyze.common.activations import Activations, Prompt, capture, last_k
from langgap.analyze.common.behaviour import (
    JUDGE,
    RefusalEval,
    Reply,
    evaluate_refusal,
    judge_version,
    prompt_digest,
)
from langgap.analyze.common.checkpoints import (
    Architecture,
    CompareError,
    architecture,
    check_compatible,
    check_layers,
    load_checkpoint,
    peek_architecture,
)
from langgap.analyze.common.data import (
    benchmark_languages,
    benchmark_prompts,
    prompts_any_split,
    read_benchmark,
)
from langgap.analyze.common.experiment import digest, versions
from langgap.analyze.common.models import LoadedModel, ModelLoadError, fingerprint
from langgap.analyze.compare.measures import (
    BehaviourComparison,
    DirectionComparison,
    WhatChanged,
    compare_behaviour,
    compare_directions,
    split_half_cosine,
    what_changed,
)
from langgap.analyze.directions.run import refusal_directions
from langgap.evaluate.benchmarks import BenchmarkError
from langgap.languages import counting_code

DEFAULT_POSITIONS: tuple[int, ...] = tuple(last_k(3))  # the end-of-instruction tokens
ANY_SPLIT = "any"  # each language from the first split of ANY_ORDER that has both classes
ANY_ORDER = ("test", "val", "train")


# --- prompts -----------------------------------------------------------------------------------


def comparison_prompts(
    languages: Sequence[str] | str,
    n_per_class: int,
    *,
    benchmark: str = "polyrefuse",
    split: str | None = ANY_SPLIT,
    data_dir: str | Path | None = None,
    seed: int = 0,
) -> tuple[list[Prompt], dict[str, str | None]]:
    """n_per_class harmful and harmless prompts per language (`"all"`: every one), and the split
    each language's prompts came from.

    `split="any"` takes each language from the first of test, val, train that has both classes
    (PolyRefuse has no Chinese harmless test prompts); a named split (None: all rows) must have
    both for every language. A language the benchmark lacks raises BenchmarkError naming the
    available ones.
    """
    from langgap.languages.registry import UnknownLanguageError

    if n_per_class < 1:
        raise CompareError(f"n_per_class must be at least 1 (--n), got {n_per_class}")
    wanted = [languages] if isinstance(languages, str) else list(languages)
    every = [w.strip().casefold() for w in wanted] == ["all"]
    loaded = read_benchmark(benchmark, data_dir)  # once, whatever is drawn from it
    chosen = (
        benchmark_languages(split=None, loaded=loaded)
        if every
        else [counting_code(w) for w in wanted]
    )
    try:
        if split == ANY_SPLIT:
            prompts, used = prompts_any_split(
                chosen, n_per_class, splits=ANY_ORDER, seed=seed, loaded=loaded
            )
            return prompts, dict(used)
        prompts = benchmark_prompts(chosen, n_per_class, split=split, seed=seed, loaded=loaded)
    except UnknownLanguageError as exc:
        codes = benchmark_languages(split=None, loaded=loaded)
        raise BenchmarkError(f"{exc}; {benchmark} languages: {', '.join(codes)}") from exc
    return prompts, dict.fromkeys(chosen, split)


def check_prompts(prompts: Sequence[Prompt], *, directions: bool = True) -> list[Prompt]:
    """Labelled prompts with distinct ids; with directions, ≥ 2 per class in each language."""
    items = list(prompts)
    if not items:
        raise CompareError("no prompts to compare the checkpoints on")
    seen: set[str] = set()
    for p in items:
        if p.language is None or p.harmful is None:
            raise CompareError(f"prompt {p.id} needs a language and a harmful/harmless label")
        if p.id in seen:
            raise CompareError(f"prompt id {p.id} repeats; replies are paired by id")
        seen.add(p.id)
    if directions:
        counts = _class_counts(items)
        short = {lang: c for lang, c in counts.items() if min(c.values()) < 2}
        if short:
            detail = ", ".join(
                f"{lang} ({c['harmful']} harmful, {c['harmless']} harmless)"
                for lang, c in sorted(short.items())
            )
            none = any(min(c.values()) == 0 for c in short.values())
            fix = (
                "take those languages from a split that has both classes (--split any), leave "
                "them out (--languages)"
                if none
                else "raise n (--n)"
            )
            raise CompareError(
                f"refusal directions need at least 2 harmful and 2 harmless prompts per language; "
                f"too few in {detail}. Fix: {fix}, or compare behaviour only (--no-directions)"
            )
    return items


def _class_counts(prompts: Sequence[Prompt]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for p in prompts:
        entry = counts.setdefault(counting_code(str(p.language)), {"harmful": 0, "harmless": 0})
        entry["harmful" if p.harmful else "harmless"] += 1
    return dict(sorted(counts.items()))


# --- one checkpoint ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompareSettings:
    """Every setting that decides a comparison's numbers."""

    layers: tuple[int, ...] | None = None
    positions: tuple[int, ...] = DEFAULT_POSITIONS
    max_new_tokens: int = 64
    batch_size: int = 16
    seed: int = 0
    n_boot: int = 1000
    holdout: float = 0.25
    directions: bool = True

    def __post_init__(self) -> None:
        small = {
            name: value
            for name, value in (
                ("max_new_tokens", self.max_new_tokens),
                ("batch_size", self.batch_size),
                ("n_boot", self.n_boot),
            )
            if value < 1
        }
        if small:
            got = ", ".join(f"{name}={value}" for name, value in small.items())
            raise CompareError(f"{got}: each must be at least 1 (--max-new-tokens, --batch-size, "
                               "--n-boot)")  # fmt: skip
        if not self.positions:
            raise CompareError("positions is empty; pass e.g. last_k(3)")
        if not 0.0 < self.holdout < 1.0:
            raise CompareError(f"holdout must be between 0 and 1 (exclusive), got {self.holdout}")


@dataclass
class CheckpointRun:
    """One checkpoint's judged replies and (unless behaviour only) captured activations."""

    info: dict[str, Any]  # spec, path, adapter, architecture, fingerprint, device, dtype
    evaluation: RefusalEval
    activations: Activations | None
    reused: list[str] = field(default_factory=list)  # parts read from the cache


def checkpoint_info(loaded: LoadedModel, arch: Architecture) -> dict[str, Any]:
    """What identifies a checkpoint in the saved config."""
    first = next(loaded.model.parameters())
    return {
        "spec": loaded.name,
        "path": str(loaded.path),
        "adapter": getattr(loaded, "adapter", None),
        "architecture": asdict(arch),
        "vocab_size": len(loaded.tokenizer),
        "dtype": str(first.dtype).removeprefix("torch."),
        "device": str(first.device),
        "fingerprint": fingerprint(loaded.model, loaded.tokenizer),
    }


def run_checkpoint(
    loaded: LoadedModel,
    prompts: Sequence[Prompt],
    settings: CompareSettings,
    *,
    role: str = "model",
    cache_dir: Path | None = None,
    arch: Architecture | None = None,
) -> CheckpointRun:
    """Judge the checkpoint's greedy replies per language, then capture activations.

    With `cache_dir`, every finished language and the activations are stored under a key of
    the weights' fingerprint, the prompts and the settings; a rerun reads them back.
    """
    arch = arch or architecture(loaded, role)
    info = checkpoint_info(loaded, arch)
    layers = check_layers(settings.layers, arch.n_layers) if settings.directions else []
    reused: list[str] = []
    evaluation = _evaluate(loaded, prompts, settings, info["fingerprint"], cache_dir, reused)
    acts = None
    if settings.directions:
        acts = _capture(loaded, prompts, settings, layers, info["fingerprint"], cache_dir, reused)
    return CheckpointRun(info, evaluation, acts, reused)


def _evaluate(
    loaded: LoadedModel,
    prompts: Sequence[Prompt],
    settings: CompareSettings,
    fp: str,
    cache_dir: Path | None,
    reused: list[str],
) -> RefusalEval:
    by_language: dict[str, list[Prompt]] = {}
    for p in prompts:
        by_language.setdefault(counting_code(str(p.language)), []).append(p)
    version = judge_version()
    replies: dict[str, Reply] = {}
    for language, chunk in sorted(by_language.items()):
        key = _cache_key(
            "replies", fp, settings.max_new_tokens, JUDGE, version, prompt_digest(chunk)
        )
        path = None if cache_dir is None else cache_dir / f"replies-{language}-{key}.json"
        got = _read_replies(path, chunk)
        if got is not None:
            reused.append(f"replies:{language}")
        else:
            got = evaluate_refusal(
                loaded.model,
                loaded.tokenizer,
                chunk,
                name=loaded.name,
                max_new_tokens=settings.max_new_tokens,
                batch_size=settings.batch_size,
                n_boot=settings.n_boot,
                seed=settings.seed,
            ).replies
            if path is not None:
                payload = {
                    "model": loaded.name,
                    "fingerprint": fp,
                    "language": language,
                    "max_new_tokens": settings.max_new_tokens,
                    "judge": JUDGE,
                    "judge_version": version,
                    "replies": [asdict(r) for r in got],
                }
                atomic_write_text(path, json.dumps(payload, indent=1) + "\n")
        replies |= {r.id: r for r in got}
    ordered = [replies[p.id] for p in prompts]
    return RefusalEval(
        loaded.name, ordered, settings.max_new_tokens, settings.n_boot, settings.seed
    )


def _read_replies(path: Path | None, chunk: Sequence[Prompt]) -> list[Reply] | None:
    if path is None or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        replies = [Reply(**r) for r in data["replies"]]
    except (OSError, ValueError, KeyError, TypeError):  # unreadable: recomputed
        return None
    return replies if sorted(r.id for r in replies) == sorted(p.id for p in chunk) else None


def _capture(
    loaded: LoadedModel,
    prompts: Sequence[Prompt],
    settings: CompareSettings,
    layers: list[int],
    fp: str,
    cache_dir: Path | None,
    reused: list[str],
) -> Activations:
    positions = list(settings.positions)
    key = _cache_key("activations", fp, layers, positions, "mean", True, prompt_digest(prompts))
    path = None if cache_dir is None else cache_dir / f"activations-{key}.safetensors"
    if path is not None and path.is_file() and path.with_suffix(".json").is_file():
        try:
            cached = Activations.load(path)
        except Exception:  # an unreadable cache entry is recomputed
            cached = None
        if cached is not None and cached.ids == [p.id for p in prompts]:
            reused.append("activations")
            return cached
    acts = capture(
        loaded.model,
        loaded.tokenizer,
        list(prompts),
        layers=layers,
        positions=positions,
        batch_size=settings.batch_size,
        reduce="mean",
    )
    if path is not None:
        acts.save(path)
    return acts


@dataclass
class CheckpointComparison:
    """Behaviour and refusal directions of two checkpoints, what changed most, and the config."""

    behaviour: BehaviourComparison
    directions: DirectionComparison | None
    changed: WhatChanged
    config: dict[str, Any]
    reused: dict[str, list[str]] = field(default_factory=dict)  # cache hits (not in to_dict)

    @property
    def headline(self) -> str:
        """One plain-language sentence: the largest safety drop and the largest rotation."""
        return self.changed.headline

    @property
    def languages(self) -> list[str]:
        """Languages compared."""
        return sorted(set(self.behaviour.before.languages()))

    def to_dict(self) -> dict[str, Any]:
        """Config, behaviour, directions and the ranked changes; ids and outcomes, never text."""
        out: dict[str, Any] = _clean({
            "experiment": "checkpoint comparison",
            "headline": self.headline,
            "config": self.config,
            "what_changed": self.changed.to_dict(),
            "behaviour": self.behaviour.to_dict(),
            "directions": None if self.directions is None else self.directions.to_dict(),
            "warnings": self.warnings(),
        })  # fmt: skip
        return out

    def warnings(self) -> list[str]:
        """Languages whose base (before) refusal rate on harmful prompts is near 0 or 1: there a
        harmlessness change is bounded by construction."""
        from langgap.analyze.common.bounds import base_rate_warnings

        base = self.behaviour.before.by_language(harmful=True)
        return base_rate_warnings({lang: r.rate / 100 for lang, r in base.items()})


def _clean(value: Any) -> Any:
    # JSON has no NaN or infinity: undefined numbers are written as null.
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def combine_runs(
    before: CheckpointRun,
    after: CheckpointRun,
    prompts: Sequence[Prompt],
    settings: CompareSettings,
    *,
    source: Mapping[str, Any] | None = None,
) -> CheckpointComparison:
    """Compare two finished checkpoint runs on the same prompts."""
    behaviour = compare_behaviour(
        before.evaluation, after.evaluation, n_boot=settings.n_boot, seed=settings.seed
    )
    directions = None
    if settings.directions:
        if before.activations is None or after.activations is None:
            raise CompareError("direction comparison needs both checkpoints' activations")
        shape_b, shape_a = before.activations.tensor.shape, after.activations.tensor.shape
        if shape_b != shape_a:
            raise CompareError(
                f"activation shapes differ (before {list(shape_b)}, after {list(shape_a)}); "
                "compare behaviour only with directions=False (--no-directions)"
            )
        dirs_b = refusal_directions(
            before.activations, holdout=settings.holdout, seed=settings.seed
        )
        dirs_a = refusal_directions(after.activations, holdout=settings.holdout, seed=settings.seed)
        floor = split_half_cosine(before.activations, dirs_b.languages, seed=settings.seed)
        directions = compare_directions(dirs_b, dirs_a, noise_floor=floor)
    changed = what_changed(behaviour, directions)
    layers = None if directions is None else directions.layers
    config = {
        "before": before.info,
        "after": after.info,
        "prompts": {
            "n": len(prompts),
            "per_language": _class_counts(prompts),
            "sha256": prompt_digest(prompts),
            "source": dict(source) if source is not None else None,
        },
        "seed": settings.seed,
        "n_boot": settings.n_boot,
        "directions": settings.directions,
        "layers": layers,
        "positions": list(settings.positions),
        "reduce": "mean over positions",
        "chat_template": True,
        "holdout": settings.holdout,
        "max_new_tokens": settings.max_new_tokens,
        "decoding": "greedy",
        "judge": JUDGE,
        "judge_version": judge_version(),
        "batch_size": settings.batch_size,
        "versions": versions(),
    }
    reused = {"before": before.reused, "after": after.reused}
    return CheckpointComparison(behaviour, directions, changed, config, reused)


class SettingArgs(TypedDict, total=False):
    """The CompareSettings both entry points take as keywords (defaults in CompareSettings)."""

    layers: Sequence[int] | None
    positions: int | Sequence[int]
    max_new_tokens: int
    batch_size: int
    seed: int
    n_boot: int
    holdout: float
    directions: bool


def compare_settings(**args: Unpack[SettingArgs]) -> CompareSettings:
    """CompareSettings from keywords: layers and positions as tuples, one position as an int."""
    unknown = sorted(set(args) - set(SettingArgs.__annotations__))
    if unknown:  # keywords are not checked at run time: a misspelt one must not be ignored
        raise TypeError(
            f"unknown comparison setting(s) {', '.join(unknown)}; "
            f"known: {', '.join(SettingArgs.__annotations__)}"
        )
    default = CompareSettings()
    layers, positions = args.get("layers"), args.get("positions", default.positions)
    return CompareSettings(
        layers=None if layers is None else tuple(layers),
        positions=(positions,) if isinstance(positions, int) else tuple(positions),
        max_new_tokens=args.get("max_new_tokens", default.max_new_tokens),
        batch_size=args.get("batch_size", default.batch_size),
        seed=args.get("seed", default.seed),
        n_boot=args.get("n_boot", default.n_boot),
        holdout=args.get("holdout", default.holdout),
        directions=args.get("directions", default.directions),
    )


def compare_checkpoints(
    before: LoadedModel,
    after: LoadedModel,
    prompts: Sequence[Prompt],
    *,
    cache_dir: str | Path | None = None,
    source: Mapping[str, Any] | None = None,
    **settings_args: Unpack[SettingArgs],
) -> CheckpointComparison:
    """Compare two loaded checkpoints language by language (see the module docstring).

    `directions=False` compares behaviour only (checkpoints of different shapes). `cache_dir`
    stores finished parts for a resumable rerun; `source` (e.g. benchmark, split, n, seed) is
    recorded in the config.
    """
    settings = compare_settings(**settings_args)
    items = check_prompts(prompts, directions=settings.directions)
    arch_b, arch_a = architecture(before, "before"), architecture(after, "after")
    if settings.directions:
        check_compatible(arch_b, arch_a)
        check_layers(settings.layers, arch_b.n_layers)
    cache = None if cache_dir is None else Path(cache_dir)
    run_b = run_checkpoint(before, items, settings, role="before", cache_dir=cache, arch=arch_b)
    run_a = run_checkpoint(after, items, settings, role="after", cache_dir=cache, arch=arch_a)
    return combine_runs(run_b, run_a, items, settings, source=source)


def compare_specs(
    before: str,
    after: str,
    prompts: Sequence[Prompt],
    *,
    adapter_base: str | None = None,
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
    cache_dir: str | Path | None = None,
    source: Mapping[str, Any] | None = None,
    **settings_args: Unpack[SettingArgs],
) -> CheckpointComparison:
    """Like compare_checkpoints from two specs, holding only one model in memory at a time.

    Specs: a local HF folder, a hub name, `smollm2`, or a peft adapter folder (its base is
    `adapter_base` or the one its adapter_config.json names). Architectures are checked from
    the configs before any model runs.
    """
    settings = compare_settings(**settings_args)
    items = check_prompts(prompts, directions=settings.directions)
    if settings.directions:
        peeked = [peek_architecture(spec, base=adapter_base) for spec in (before, after)]
        if peeked[0] is not None and peeked[1] is not None:
            check_compatible(peeked[0], peeked[1])
            check_layers(settings.layers, peeked[0].n_layers)
    cache = None if cache_dir is None else Path(cache_dir)
    runs: list[CheckpointRun] = []
    archs: list[Architecture] = []
    for role, spec in (("before", before), ("after", after)):
        try:
            loaded = load_checkpoint(spec, base=adapter_base, device=device, dtype=dtype)
        except ModelLoadError as exc:
            raise CompareError(f"{role} checkpoint: {exc}") from exc
        arch = architecture(loaded, role)
        if settings.directions and archs:
            check_compatible(archs[0], arch)
        archs.append(arch)
        runs.append(run_checkpoint(loaded, items, settings, role=role, cache_dir=cache, arch=arch))
        del loaded
        _free_memory()
    return combine_runs(runs[0], runs[1], items, settings, source=source)


def _free_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _cache_key(*parts: Any) -> str:
    return digest(*parts, length=24)
