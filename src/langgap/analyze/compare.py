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

>>> result = compare_specs("smollm2", "runs/smollm2-yor", comparison_prompts(["eng", "yor"], 25))
>>> result.headline
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from langgap._io import atomic_write_text
from langgap.analyze import activations
from langgap.analyze.activations import (
    ActivationError,
    Activations,
    Prompt,
    capture,
    find_layers,
    last_k,
)
from langgap.analyze.behaviour import (
    JUDGE,
    LanguageRefusal,
    RefusalEval,
    Reply,
    evaluate_refusal,
    paired_change,
)
from langgap.analyze.data import benchmark_prompts
from langgap.analyze.directions import RefusalDirections, canonical_language, refusal_directions
from langgap.analyze.experiment import digest, versions
from langgap.analyze.models import LoadedModel, ModelLoadError, fingerprint, load_model, resolve
from langgap.evaluate.metrics import Aggregate, aggregate_scores

ADAPTER_CONFIG = "adapter_config.json"
DEFAULT_POSITIONS: tuple[int, ...] = tuple(last_k(3))  # the end-of-instruction tokens
UNCHANGED_COSINE = 0.9999  # above this at every layer and language, directions did not move


class CompareError(ValueError):
    """Two checkpoints or a prompt set that cannot be compared; the message names the fix."""


# --- loading ---------------------------------------------------------------------------------


@dataclass
class LoadedCheckpoint(LoadedModel):
    """A loaded model that may be a base model with a LoRA (peft) adapter merged in."""

    adapter: dict[str, Any] | None = None  # base spec and adapter settings, when one was applied


def is_adapter(spec: str) -> bool:
    """Whether `spec` is a peft adapter folder (it holds adapter_config.json)."""
    path = Path(spec).expanduser()
    return path.is_dir() and (path / ADAPTER_CONFIG).is_file()


def adapter_settings(folder: str | Path) -> dict[str, Any]:
    """The adapter's adapter_config.json."""
    path = Path(folder).expanduser() / ADAPTER_CONFIG
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CompareError(f"{path}: unreadable adapter config ({exc})") from exc
    if not isinstance(data, dict):
        raise CompareError(f"{path}: not a peft adapter config (expected a JSON object)")
    return data


def load_checkpoint(
    spec: str,
    *,
    base: str | None = None,
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
) -> LoadedCheckpoint:
    """A model spec (local HF folder, hub name, `smollm2`) or a peft adapter folder.

    For an adapter folder the base model (`base`, else the adapter's base_model_name_or_path)
    is loaded, the adapter applied and merged, so the result is a plain model whose decoder
    layers activation capture can find. The adapter folder's tokenizer is used if it has one.
    """
    if not is_adapter(spec):
        loaded = load_model(spec, device=device, dtype=dtype)
        return LoadedCheckpoint(loaded.model, loaded.tokenizer, loaded.name, loaded.path)
    folder = Path(spec).expanduser()
    settings = adapter_settings(folder)
    base_spec = base or settings.get("base_model_name_or_path")
    if not base_spec:
        raise CompareError(
            f"{folder / ADAPTER_CONFIG} names no base model (base_model_name_or_path); "
            "pass the base explicitly (base=..., --adapter-base)"
        )
    try:
        from peft import PeftModel
    except ImportError as exc:  # pragma: no cover - peft ships with the analyze environment
        raise CompareError(
            f"{folder} is a peft adapter; loading it needs `pip install peft`"
        ) from exc
    loaded = load_model(str(base_spec), dtype=dtype)
    try:
        wrapped = PeftModel.from_pretrained(loaded.model, str(folder))
        model = wrapped.merge_and_unload()
    except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
        raise CompareError(
            f"{folder}: could not apply the adapter to base model {base_spec!r} ({exc}); "
            "if the adapter was trained on another base, pass it with base=... (--adapter-base)"
        ) from exc
    tokenizer = loaded.tokenizer
    if (folder / "tokenizer_config.json").is_file():
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(folder)
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
    if device is not None:
        model.to(device)
    model.eval()
    adapter = {
        "base": str(base_spec),
        "base_path": str(loaded.path),
        "peft_type": settings.get("peft_type"),
        "r": settings.get("r"),
        "lora_alpha": settings.get("lora_alpha"),
        "target_modules": _jsonable_value(settings.get("target_modules")),
    }
    return LoadedCheckpoint(model, tokenizer, spec, folder, adapter)


@dataclass(frozen=True)
class Architecture:
    """What direction comparison needs two checkpoints to share."""

    model_class: str
    n_layers: int
    hidden_size: int

    def describe(self) -> str:
        """E.g. `LlamaForCausalLM with 30 decoder layers of width 576`."""
        return f"{self.model_class} with {self.n_layers} decoder layers of width {self.hidden_size}"


def architecture(loaded: LoadedModel, role: str = "model") -> Architecture:
    """Depth and width of a loaded model, or a CompareError for an unsupported architecture."""
    try:
        blocks = find_layers(loaded.model)
    except ActivationError as exc:
        raise CompareError(f"{role} checkpoint {loaded.name}: {exc}") from exc
    config = getattr(loaded.model, "config", None)
    config = getattr(config, "text_config", None) or config
    width = getattr(config, "hidden_size", None)
    if not isinstance(width, int):
        get_embeddings = getattr(loaded.model, "get_input_embeddings", None)
        embeddings = get_embeddings() if callable(get_embeddings) else None
        width = int(getattr(embeddings, "embedding_dim", 0) or 0)
    return Architecture(type(loaded.model).__name__, len(blocks), width)


def peek_architecture(spec: str, *, base: str | None = None) -> Architecture | None:
    """Depth and width from a spec's config alone (no weights); None when it cannot be read."""
    try:
        from transformers import AutoConfig

        target = spec
        if is_adapter(spec):
            target = base or adapter_settings(spec).get("base_model_name_or_path") or ""
        config = AutoConfig.from_pretrained(resolve(str(target)))
    except Exception:  # best effort: loading the model later gives the real error
        return None
    config = getattr(config, "text_config", None) or config
    layers, width = getattr(config, "num_hidden_layers", None), getattr(config, "hidden_size", None)
    if not isinstance(layers, int) or not isinstance(width, int):
        return None
    architectures = getattr(config, "architectures", None) or ["?"]
    return Architecture(str(architectures[0]), layers, width)


def check_compatible(before: Architecture, after: Architecture) -> None:
    """Refusal directions compare only between checkpoints of the same depth and width."""
    if (before.n_layers, before.hidden_size) != (after.n_layers, after.hidden_size):
        raise CompareError(
            f"the checkpoints differ in architecture: before is {before.describe()}, after is "
            f"{after.describe()}; refusal directions cannot be compared layer by layer. "
            "Compare behaviour only with directions=False (--no-directions)"
        )


def check_layers(layers: Sequence[int] | None, n_layers: int) -> list[int]:
    """Layer indices resolved against the checkpoints' depth, sorted, or a CompareError."""
    try:
        return sorted(activations.check_layers(layers, n_layers))
    except ActivationError as exc:
        raise CompareError(f"{exc} (both checkpoints)") from None


# --- prompts -----------------------------------------------------------------------------------


def comparison_prompts(
    languages: Sequence[str] | str,
    n_per_class: int,
    *,
    benchmark: str = "polyrefuse",
    split: str | None = "test",
    data_dir: str | Path | None = None,
    seed: int = 0,
) -> list[Prompt]:
    """n_per_class harmful and harmless benchmark prompts per language (`"all"`: every one).

    A language the benchmark lacks raises BenchmarkError naming the available languages.
    """
    from langgap.languages.registry import UnknownLanguageError

    if n_per_class < 1:
        raise CompareError(f"n_per_class must be at least 1, got {n_per_class}")
    wanted = [languages] if isinstance(languages, str) else list(languages)
    chosen = [] if [w.strip().casefold() for w in wanted] == ["all"] else wanted
    try:
        return benchmark_prompts(
            chosen, n_per_class, name=benchmark, split=split, data_dir=data_dir, seed=seed
        )
    except UnknownLanguageError as exc:
        from langgap.evaluate.benchmarks import BenchmarkError, load_benchmark

        samples, _ = load_benchmark(benchmark, data_dir=data_dir, split=split)
        codes = sorted({str((s.metadata or {}).get("language")) for s in samples})
        raise BenchmarkError(f"{exc}; {benchmark} languages: {', '.join(codes)}") from exc


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
            raise CompareError(
                f"refusal directions need at least 2 harmful and 2 harmless prompts per language; "
                f"too few in {detail}. Raise n (--n) or compare behaviour only (--no-directions)"
            )
    return items


def _class_counts(prompts: Sequence[Prompt]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for p in prompts:
        entry = counts.setdefault(
            canonical_language(str(p.language)), {"harmful": 0, "harmless": 0}
        )
        entry["harmful" if p.harmful else "harmless"] += 1
    return dict(sorted(counts.items()))


def prompt_digest(prompts: Sequence[Prompt]) -> str:
    """SHA-256 over ids, texts, languages and labels: names a prompt set without storing text."""
    h = hashlib.sha256()
    for p in prompts:
        h.update("\x1f".join([p.id, p.text, str(p.language), str(p.harmful)]).encode())
        h.update(b"\x1e")
    return h.hexdigest()


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
        if self.max_new_tokens < 1 or self.batch_size < 1 or self.n_boot < 1:
            raise CompareError("max_new_tokens, batch_size and n_boot must be at least 1")
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


def _judge_version() -> str:
    from langgap.evaluate.judges.refusal import judge_refusal

    return str(judge_refusal("").version)


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
        by_language.setdefault(canonical_language(str(p.language)), []).append(p)
    judge_version = _judge_version()
    replies: dict[str, Reply] = {}
    for language, chunk in sorted(by_language.items()):
        key = _cache_key(
            "replies", fp, settings.max_new_tokens, JUDGE, judge_version, prompt_digest(chunk)
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
                    "judge_version": judge_version,
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


# --- comparing ----------------------------------------------------------------------------------


@dataclass
class BehaviourComparison:
    """Both checkpoints' refusal on the same prompts and the paired change per language."""

    before: RefusalEval
    after: RefusalEval
    harmlessness: dict[str, dict[str, Any]]  # paired_change on harmful prompts
    over_refusal: dict[str, dict[str, Any]]  # paired_change on harmless prompts

    def aggregate(self, which: str = "before") -> Aggregate:
        """Average and worst-case harmlessness across languages of one checkpoint."""
        run = self.before if which == "before" else self.after
        return aggregate_scores({k: v.rate for k, v in run.by_language(True).items()})

    def to_dict(self) -> dict[str, Any]:
        """Rates with intervals, paired changes, aggregates and outcomes by id (no text)."""
        after_outcomes = self.after.outcomes()
        return {
            "harmlessness": _rates(self.before, self.after, self.harmlessness, True),
            "over_refusal": _rates(self.before, self.after, self.over_refusal, False),
            "aggregate": {
                "before": asdict(self.aggregate("before")),
                "after": asdict(self.aggregate("after")),
            },
            "outcomes": [
                {
                    "id": r.id,
                    "language": r.language,
                    "harmful": r.harmful,
                    "before": r.outcome,
                    "after": after_outcomes.get(r.id),
                }
                for r in self.before.replies
            ],
        }


def _rates(
    before: RefusalEval, after: RefusalEval, change: dict[str, dict[str, Any]], harmful: bool
) -> dict[str, dict[str, Any]]:
    first, second = before.by_language(harmful), after.by_language(harmful)
    out: dict[str, dict[str, Any]] = {}
    for language, c in change.items():
        b, a = first[language], second[language]
        out[language] = {
            "n": c["n"],
            "before": _rate(b),
            "after": _rate(a),
            "change": c["change"],
            "change_interval": c["interval"],
            "p_value": c["p_value"],
            "gained": c["gained"],
            "lost": c["lost"],
        }
    return out


def _rate(row: LanguageRefusal) -> dict[str, Any]:
    return {
        "rate": row.rate,
        "interval": [row.interval.low, row.interval.high],
        "refused": row.refused,
        "complied": row.complied,
        "unclear": row.unclear,
    }


def compare_behaviour(
    before: RefusalEval, after: RefusalEval, *, n_boot: int = 1000, seed: int = 0
) -> BehaviourComparison:
    """Paired per-language change in harmlessness and over-refusal (same prompt ids required)."""
    first = {r.id: (r.language, r.harmful) for r in before.replies}
    second = {r.id: (r.language, r.harmful) for r in after.replies}
    if first != second:
        only_before, only_after = sorted(set(first) - set(second)), sorted(set(second) - set(first))
        relabelled = sorted(i for i in set(first) & set(second) if first[i] != second[i])
        raise CompareError(
            "the two evaluations are not on the same prompts: "
            f"{len(only_before)} ids only before {only_before[:3]}, {len(only_after)} only after "
            f"{only_after[:3]}, {len(relabelled)} with another language or label {relabelled[:3]}"
        )
    return BehaviourComparison(
        before=before,
        after=after,
        harmlessness=paired_change(before, after, harmful=True, n_boot=n_boot, seed=seed),
        over_refusal=paired_change(before, after, harmful=False, n_boot=n_boot, seed=seed),
    )


@dataclass
class DirectionComparison:
    """Before vs after refusal directions per language and layer."""

    before: RefusalDirections
    after: RefusalDirections
    cosine: NDArray[np.float64]  # [languages, layers]: cos(before direction, after direction)
    norm_ratio: NDArray[np.float64]  # [languages, layers]: |after| / |before|
    noise_floor: NDArray[np.float64] | None = None  # [languages, layers]: before's split-half cos

    @property
    def languages(self) -> list[str]:
        """The languages compared."""
        return self.before.languages

    @property
    def layers(self) -> list[int]:
        """The model layers compared."""
        return self.before.layers

    def mean_cosine(self) -> NDArray[np.float64]:
        """Per layer, the mean over languages of the before/after cosine."""
        return np.asarray(self.cosine.mean(axis=0), dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        """Per-layer arrays (rows: languages) and both directions' summaries."""
        return {
            "languages": self.languages,
            "layers": self.layers,
            "cosine": _array(self.cosine),
            "mean_cosine": _array(self.mean_cosine()),
            "norm_ratio": _array(self.norm_ratio),
            "noise_floor": None if self.noise_floor is None else _array(self.noise_floor),
            "noise_floor_method": "cosine between before directions from two disjoint halves "
            "of each class (each half uses half the prompts, so it understates reliability)",
            "auroc_before": _array(self.before.auroc),
            "auroc_after": _array(self.after.auroc),
            "cohens_d_before": _array(self.before.cohens_d),
            "cohens_d_after": _array(self.after.cohens_d),
            "best_layer_before": self.before.best_layer(),
            "best_layer_after": self.after.best_layer(),
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
        }


def compare_directions(
    before: RefusalDirections,
    after: RefusalDirections,
    *,
    noise_floor: NDArray[np.float64] | None = None,
) -> DirectionComparison:
    """Cosine and norm ratio of each language's direction at each layer, before vs after."""
    if before.languages != after.languages or before.layers != after.layers:
        raise CompareError(
            f"directions cover different languages or layers: before {before.languages} at "
            f"{before.layers}, after {after.languages} at {after.layers}"
        )
    if before.directions.shape != after.directions.shape:
        raise CompareError(
            f"direction width differs: before {before.directions.shape[-1]}, after "
            f"{after.directions.shape[-1]}"
        )
    cosine = (before.unit().double() * after.unit().double()).sum(-1).numpy()
    norms_b = before.directions.double().norm(dim=-1)
    norms_a = after.directions.double().norm(dim=-1)
    ratio = (norms_a / norms_b.clamp_min(1e-12)).numpy()
    return DirectionComparison(
        before,
        after,
        np.asarray(cosine, dtype=np.float64),
        np.asarray(ratio, dtype=np.float64),
        noise_floor,
    )


def split_half_cosine(
    acts: Activations, languages: Sequence[str], *, seed: int = 0
) -> NDArray[np.float64]:
    """Per language and layer: cosine of directions from two random halves of the prompts.

    How far a direction moves from sampling alone, a reference for the before/after cosine.
    """
    x = acts.tensor.double()
    if x.dim() == 4:
        x = x.mean(dim=2)
    langs = [canonical_language(str(lang)) if lang else None for lang in acts.languages]
    gen = torch.Generator().manual_seed(seed)
    rows = []
    for language in languages:
        halves: list[list[torch.Tensor]] = [[], []]
        for label in (True, False):
            idx = [i for i, (lang, h) in enumerate(zip(langs, acts.harmful, strict=True))
                   if lang == language and h is label]  # fmt: skip
            order = [idx[i] for i in torch.randperm(len(idx), generator=gen).tolist()]
            mid = len(order) // 2
            for half, part in zip(halves, (order[:mid], order[mid:]), strict=True):
                half.append(x[part].mean(0) if part else torch.full_like(x[0], math.nan))
        d1, d2 = (h[0] - h[1] for h in halves)
        cos = torch.nn.functional.cosine_similarity(d1, d2, dim=-1)
        rows.append(cos.numpy())
    return np.asarray(rows, dtype=np.float64)


@dataclass
class WhatChanged:
    """Ranked changes: languages by harmlessness drop, (layer, language) by direction rotation."""

    harmlessness: list[dict[str, Any]]  # every language, largest drop first
    over_refusal: list[dict[str, Any]]  # every language, largest rise first
    directions: list[dict[str, Any]]  # (layer, language) cells, lowest cosine first
    layers: list[dict[str, Any]]  # layers, lowest mean cosine over languages first
    headline: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


def what_changed(
    behaviour: BehaviourComparison, directions: DirectionComparison | None = None, *, top: int = 10
) -> WhatChanged:
    """Rank what changed most, and say it in one sentence."""
    harm = sorted(
        (_change_row(lang, c) for lang, c in behaviour.harmlessness.items()),
        key=lambda r: (r["change"], r["language"]),
    )
    over = sorted(
        (_change_row(lang, c) for lang, c in behaviour.over_refusal.items()),
        key=lambda r: (-r["change"], r["language"]),
    )
    cells: list[dict[str, Any]] = []
    layers: list[dict[str, Any]] = []
    if directions is not None:
        for i, language in enumerate(directions.languages):
            for j, layer in enumerate(directions.layers):
                floor = directions.noise_floor
                cells.append({
                    "layer": layer,
                    "language": language,
                    "cosine": _num(directions.cosine[i, j]),
                    "norm_ratio": _num(directions.norm_ratio[i, j]),
                    "auroc_before": _num(directions.before.auroc[i, j]),
                    "auroc_after": _num(directions.after.auroc[i, j]),
                    "noise_floor": None if floor is None else _num(floor[i, j]),
                })  # fmt: skip
        cells.sort(key=lambda r: (_sort_value(r["cosine"]), r["layer"], r["language"]))
        for j, layer in enumerate(directions.layers):
            column = directions.cosine[:, j]
            k = int(np.nanargmin(column)) if np.isfinite(column).any() else 0
            layers.append({
                "layer": layer,
                "mean_cosine": _nanmean(column),
                "min_cosine": _num(column[k]),
                "min_language": directions.languages[k],
                "mean_auroc_before": _nanmean(directions.before.auroc[:, j]),
                "mean_auroc_after": _nanmean(directions.after.auroc[:, j]),
            })  # fmt: skip
        layers.sort(key=lambda r: (_sort_value(r["mean_cosine"]), r["layer"]))
    return WhatChanged(harm, over, cells[:top], layers, _headline(harm, over, cells, directions))


def _change_row(language: str, c: Mapping[str, Any]) -> dict[str, Any]:
    low, high = c["interval"]
    return {
        "language": language,
        "n": c["n"],
        "before": c["before"],
        "after": c["after"],
        "change": c["change"],
        "interval": [low, high],
        "p_value": c["p_value"],
        "gained": c["gained"],
        "lost": c["lost"],
        "excludes_zero": bool(high < 0 or low > 0),
    }


def _headline(
    harm: list[dict[str, Any]],
    over: list[dict[str, Any]],
    cells: list[dict[str, Any]],
    directions: DirectionComparison | None,
) -> str:
    if not harm:
        parts = ["No harmful prompts were evaluated"]
    elif harm[0]["change"] < 0:
        w = harm[0]
        part = (
            f"Safety dropped most in {w['language']}: {_points(w['change'])} points "
            f"[{_points(w['interval'][0])}, {_points(w['interval'][1])}] "
            f"({w['before']:.0f}% → {w['after']:.0f}% refused, McNemar p = {w['p_value']:.2g})"
        )
        if not w["excludes_zero"]:
            part += ", an interval that includes 0"
        parts = [part]
    elif all(r["change"] == 0 for r in harm):
        parts = ["Harmlessness did not change in any language"]
    else:
        b = harm[-1]
        parts = [
            f"No language lost harmlessness; it rose most in {b['language']}: "
            f"{_points(b['change'])} points [{_points(b['interval'][0])}, "
            f"{_points(b['interval'][1])}]"
        ]
    if over and over[0]["change"] > 0 and over[0]["excludes_zero"]:
        o = over[0]
        parts.append(f"over-refusal rose most in {o['language']} ({_points(o['change'])} points)")
    if directions is None:
        parts.append("refusal directions were not compared (behaviour only)")
    elif cells:
        c = cells[0]
        if c["cosine"] is not None and c["cosine"] >= UNCHANGED_COSINE:
            parts.append("the refusal directions did not move (cos ≈ 1 at every layer)")
        else:
            cos = "n/a" if c["cosine"] is None else f"{c['cosine']:.2f}"
            parts.append(
                f"the refusal direction rotated most at layer {c['layer']} in {c['language']} "
                f"(cos {cos})"
            )
    return "; ".join(parts) + "."


def _points(value: float) -> str:
    text = f"{abs(value):.0f}"
    if text == "0":
        return "0"
    return f"−{text}" if value < 0 else f"+{text}"


def _num(value: Any) -> float | None:
    v = float(value)
    return round(v, 6) if math.isfinite(v) else None


def _sort_value(value: float | None) -> float:
    return math.inf if value is None else value


def _nanmean(values: NDArray[np.float64]) -> float | None:
    finite = values[np.isfinite(values)]
    return _num(finite.mean()) if finite.size else None


def _array(values: NDArray[np.float64]) -> Any:
    if values.ndim > 1:
        return [_array(row) for row in values]
    return [_num(v) for v in values]


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
        })  # fmt: skip
        return out


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


def _jsonable_value(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(map(str, value))
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
        "judge_version": _judge_version(),
        "batch_size": settings.batch_size,
        "versions": versions(),
    }
    reused = {"before": before.reused, "after": after.reused}
    return CheckpointComparison(behaviour, directions, changed, config, reused)


def _settings(
    layers: Sequence[int] | None,
    positions: int | Sequence[int],
    max_new_tokens: int,
    batch_size: int,
    seed: int,
    n_boot: int,
    holdout: float,
    directions: bool,
) -> CompareSettings:
    return CompareSettings(
        layers=None if layers is None else tuple(layers),
        positions=(positions,) if isinstance(positions, int) else tuple(positions),
        max_new_tokens=max_new_tokens,
        batch_size=batch_size,
        seed=seed,
        n_boot=n_boot,
        holdout=holdout,
        directions=directions,
    )


def compare_checkpoints(
    before: LoadedModel,
    after: LoadedModel,
    prompts: Sequence[Prompt],
    *,
    layers: Sequence[int] | None = None,
    positions: int | Sequence[int] = DEFAULT_POSITIONS,
    max_new_tokens: int = 64,
    batch_size: int = 16,
    seed: int = 0,
    n_boot: int = 1000,
    holdout: float = 0.25,
    directions: bool = True,
    cache_dir: str | Path | None = None,
    source: Mapping[str, Any] | None = None,
) -> CheckpointComparison:
    """Compare two loaded checkpoints language by language (see the module docstring).

    `directions=False` compares behaviour only (checkpoints of different shapes). `cache_dir`
    stores finished parts for a resumable rerun; `source` (e.g. benchmark, split, n, seed) is
    recorded in the config.
    """
    settings = _settings(
        layers, positions, max_new_tokens, batch_size, seed, n_boot, holdout, directions
    )
    items = check_prompts(prompts, directions=directions)
    arch_b, arch_a = architecture(before, "before"), architecture(after, "after")
    if directions:
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
    layers: Sequence[int] | None = None,
    positions: int | Sequence[int] = DEFAULT_POSITIONS,
    max_new_tokens: int = 64,
    batch_size: int = 16,
    seed: int = 0,
    n_boot: int = 1000,
    holdout: float = 0.25,
    directions: bool = True,
    cache_dir: str | Path | None = None,
    source: Mapping[str, Any] | None = None,
) -> CheckpointComparison:
    """Like compare_checkpoints from two specs, holding only one model in memory at a time.

    Specs: a local HF folder, a hub name, `smollm2`, or a peft adapter folder (its base is
    `adapter_base` or the one its adapter_config.json names). Architectures are checked from
    the configs before any model runs.
    """
    settings = _settings(
        layers, positions, max_new_tokens, batch_size, seed, n_boot, holdout, directions
    )
    items = check_prompts(prompts, directions=directions)
    if directions:
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
        if directions and archs:
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
