"""A small model that refuses, made here: SmolLM2 (or any causal LM) LoRA-tuned to refuse.

SmolLM2-135M-Instruct refuses almost nothing, so ablating its "refusal direction" can only move a
rate that is already 0. This module tunes it, with the lab's own LoRA code (the one `analyze
transfer` uses), on PolyRefuse harmful prompts answered with *varied* refusals in each chosen
language (refusal_templates.yaml: four or five phrasings per language, picked by prompt id) and
harmless prompts answered with the base model's own greedy reply (so it keeps its behaviour),
merges the adapter into the weights and saves a plain Hugging Face folder that every lab command
takes with `-m`.

Only prompts of the `tune` role (lab_splits) are used; their ids are written into the folder's
manifest, and the lab never fits, selects or reports on that role. The folder is cached under a
key of the base weights' bytes and every training setting, so a rebuild happens only when one of
them changes.

>>> built = build_refusal_model(RefusalModelConfig(languages=("eng", "ara")))  # doctest: +SKIP
>>> load_model(str(built.path))  # doctest: +SKIP
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from langgap._io import atomic_write_text, cache_dir
from langgap.analyze.common.activations import Prompt
from langgap.analyze.common.behaviour import prompt_digest
from langgap.analyze.common.experiment import digest, versions
from langgap.analyze.common.lab_splits import SALT, role_prompts
from langgap.analyze.common.models import LoadedModel
from langgap.analyze.common.refusal_data import TEMPLATES_FILE, build_examples, refusal_reply
from langgap.languages import counting_code

MANIFEST = "langgap-refusal-model.json"
BATCHES = "grouped by length"  # how training batches are drawn (train_adapter's group_by_length)
ALIAS = "smollm2-refusal"
Log = Callable[[str], None]


class RefusalModelError(ValueError):
    """A refusal model that cannot be built as asked (settings, data)."""


@dataclass(frozen=True)
class RefusalModelConfig:
    """What decides the refusal-tuned weights (with the base weights): saved in the manifest."""

    base: str = "smollm2"
    languages: tuple[str, ...] = ("eng", "deu", "ara")
    n_harmful: int = 32  # per language, tune role
    n_harmless: int = 32  # per language, tune role: as many as harmful, against over-refusal
    epochs: float = 3.0
    learning_rate: float = 1e-3
    lora_r: int = 8
    lora_alpha: int = 16
    train_batch_size: int = 8
    # tokens of templated prompt + reply, at most: a longer example is an error, never cut (a cut
    # sequence loses its reply; PolyRefuse's longest Arabic/Russian/Japanese ones need ~290)
    max_length: int = 384
    reply_tokens: int = 24  # the base model's harmless replies used as targets
    seed: int = 0
    data_dir: str | None = field(default=None, compare=False)  # where the data is, not what
    # where it trains (resolved: cpu, cuda, cuda:N, mps); float32 on every device, so the
    # weights are the same recipe and the cache key leaves it out like data_dir
    device: str = field(default="cpu", compare=False)

    def validate(self) -> None:
        """Raise RefusalModelError naming every bad setting."""
        bad = [
            f"{k} must be at least 1, got {v}"
            for k, v in (
                ("n_harmful", self.n_harmful),
                ("lora_r", self.lora_r),
                ("train_batch_size", self.train_batch_size),
                ("max_length", self.max_length),
                ("reply_tokens", self.reply_tokens),
            )
            if v < 1
        ]
        if self.n_harmless < 0:
            bad.append(f"n_harmless must not be negative, got {self.n_harmless}")
        if not self.languages:
            bad.append("languages: give at least one")
        if not self.epochs > 0 or not 0 < self.learning_rate < 1:
            bad.append("epochs must be positive and learning_rate in (0, 1)")
        if bad:
            raise RefusalModelError("invalid refusal-model settings: " + "; ".join(bad))

    def key_parts(self) -> dict[str, Any]:
        """The settings that decide the weights (data_dir is where, not what: left out)."""
        parts = asdict(self)
        parts.pop("data_dir")
        parts.pop("device")
        parts["languages"] = [counting_code(x) for x in self.languages]
        parts["batches"] = BATCHES  # the recipe, not a setting: a change of it is a new model
        return parts


@dataclass(frozen=True)
class BuiltModel:
    """A refusal-tuned model folder and its manifest (settings, tuning prompt ids, timings)."""

    path: Path
    manifest: dict[str, Any]
    cached: bool


def weights_digest(folder: Path) -> str:
    """SHA-256 of a model folder's weight files' bytes (what 'the same base model' means)."""
    files = sorted(
        p for p in folder.iterdir() if p.suffix in (".safetensors", ".bin", ".gguf") and p.is_file()
    )
    if not files:
        raise RefusalModelError(f"{folder}: no weight files (*.safetensors, *.bin) to hash")
    h = hashlib.sha256()
    for path in files:
        h.update(path.name.encode() + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 22):
                h.update(chunk)
    return h.hexdigest()


def tuning_prompts(config: RefusalModelConfig) -> list[Prompt]:
    """The tune-role prompts: n_harmful harmful and n_harmless harmless per language."""
    prompts = role_prompts(
        config.languages, "tune", config.n_harmful, harmful=(True,),
        data_dir=config.data_dir, seed=config.seed,
    )  # fmt: skip
    if config.n_harmless:
        prompts += role_prompts(
            config.languages, "tune", config.n_harmless, harmful=(False,),
            data_dir=config.data_dir, seed=config.seed,
        )  # fmt: skip
    return prompts


def read_manifest(folder: str | Path) -> dict[str, Any] | None:
    """The manifest of a refusal-model folder, or None for any other model."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def tuned_ids(folder: str | Path) -> frozenset[str]:
    """Ids of the prompts that tuned a model (empty for a model this module did not build)."""
    manifest = read_manifest(folder) or {}
    return frozenset(str(i) for i in manifest.get("tuning", {}).get("ids", []))


def default_folder(key: str) -> Path:
    """Where a refusal model of this key is cached."""
    return cache_dir("models") / f"refusal-{key[:16]}"


def _base_folder(config: RefusalModelConfig) -> Path:
    from langgap.analyze.common.models import resolve

    path = Path(str(resolve(config.base)))
    if not path.is_dir():
        raise RefusalModelError(f"{config.base}: the base model must be a local folder")
    return path


def build_refusal_model(
    config: RefusalModelConfig,
    *,
    out: Path | None = None,
    loaded: LoadedModel | None = None,
    prompts: Sequence[Prompt] | None = None,
    log: Log | None = None,
    rebuild: bool = False,
) -> BuiltModel:
    """Tune, merge and save a refusal model; a folder with the same key is reused as it is
    unless `rebuild` (then that folder, and no other cached build, is replaced).

    `loaded` replaces loading config.base and `prompts` replaces the PolyRefuse tune role
    (both for tests and other models); the key then covers their weights and texts.
    """
    from langgap.analyze.common.models import load_model

    say: Log = log or (lambda _m: None)
    config.validate()
    start = time.perf_counter()
    base_path = loaded.path if loaded is not None else _base_folder(config)
    if not base_path.is_dir():
        raise RefusalModelError(f"{config.base}: the base model must be a local folder")
    base_hash = weights_digest(base_path) if loaded is None else _module_digest(loaded)
    chosen = list(prompts) if prompts is not None else tuning_prompts(config)
    key = model_key(config, base_hash, chosen)
    folder = Path(out).expanduser() if out is not None else default_folder(key)
    found = read_manifest(folder)
    if found is not None and found.get("key") == key and not rebuild:
        say(f"refusal model: cached at {folder}")
        return BuiltModel(folder, found, cached=True)
    if folder.exists() and any(folder.iterdir()) and found is None:
        raise RefusalModelError(
            f"{folder}: exists and is not a refusal-model folder; choose an empty --out"
        )
    seconds: dict[str, float] = {"data": time.perf_counter() - start}
    if loaded is None:
        say(f"loading {config.base}")
        loaded = load_model(str(base_path), device=config.device)
    examples, dropped, seconds["replies"] = _examples(loaded, chosen, config, base_hash, say)
    merged, history, seconds["train"] = _train(loaded, examples, config, folder, say)
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    merged.save_pretrained(str(tmp))
    loaded.tokenizer.save_pretrained(str(tmp))
    manifest = {
        "kind": "langgap refusal-tuned model",
        "key": key,
        "base": config.base,
        "base_weights_sha256": base_hash,
        "config": config.key_parts(),
        "tuning": {
            "role": "tune",
            "role_salt": SALT,
            "prompt_digest": prompt_digest(chosen),
            "ids": sorted(p.id for p in chosen),
        },
        "examples": _example_summary(examples, dropped),
        "refusal_templates_sha256": _templates_digest(),
        "loss_history": history,
        "seconds": {k: round(v, 1) for k, v in seconds.items()},
        "versions": versions(),
    }
    atomic_write_text(tmp / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)  # the folder appears complete or not at all
    say(f"refusal model: built in {sum(seconds.values()):.0f} s at {folder}")
    return BuiltModel(folder, manifest, cached=False)


def model_key(config: RefusalModelConfig, base_hash: str, prompts: Sequence[Prompt]) -> str:
    """The cache key: base weights, settings, tuning prompts, refusal phrasings, role salt."""
    return digest(base_hash, config.key_parts(), prompt_digest(prompts), _templates_digest(), SALT)


def _templates_digest() -> str:
    return hashlib.sha256(TEMPLATES_FILE.read_bytes()).hexdigest()


def _module_digest(loaded: LoadedModel) -> str:
    from langgap.analyze.common.models import fingerprint

    return fingerprint(loaded.model, loaded.tokenizer)


def _examples(
    loaded: LoadedModel,
    prompts: Sequence[Prompt],
    config: RefusalModelConfig,
    base_hash: str,
    say: Log,
) -> tuple[list[Any], dict[str, int], float]:
    from langgap.analyze.common.lora_training import base_replies

    start = time.perf_counter()
    harmless = [p for p in prompts if not p.harmful]
    say(f"base replies to {len(harmless)} harmless prompts (the targets that keep its behaviour)")
    replies = base_replies(
        loaded, harmless, max_new_tokens=config.reply_tokens, batch_size=16, model_key=base_hash
    )
    examples, dropped = build_examples(prompts, replies, method="sft", source="tune role")
    if not any(e.harmful for e in examples):
        raise RefusalModelError("no harmful training examples: raise n_harmful")
    return examples, dropped, time.perf_counter() - start


def _train(
    loaded: LoadedModel,
    examples: Sequence[Any],
    config: RefusalModelConfig,
    folder: Path,
    say: Log,
) -> tuple[Any, list[dict[str, float]], float]:
    from langgap.analyze.common.lora_training import lora_targets, train_adapter
    from langgap.analyze.common.transfer_config import TransferConfig

    settings = TransferConfig(
        model=config.base,
        epochs=config.epochs,
        learning_rate=config.learning_rate,
        lora_r=config.lora_r,
        lora_alpha=config.lora_alpha,
        train_batch_size=config.train_batch_size,
        max_length=config.max_length,
        seed=config.seed,
        device=config.device,
    )
    say(f"LoRA SFT on {len(examples)} examples ({config.epochs:g} epochs)")
    work = folder.with_name(folder.name + ".work")
    result = train_adapter(
        copy.deepcopy(loaded.model),
        loaded.tokenizer,
        examples,
        method="sft",
        config=settings,
        targets=lora_targets(loaded.model),
        work_dir=work,
        group_by_length=True,
    )
    shutil.rmtree(work, ignore_errors=True)
    merged = result.model.merge_and_unload().eval()  # type: ignore[operator]
    return merged, result.loss_history, result.seconds


def _example_summary(examples: Sequence[Any], dropped: dict[str, int]) -> dict[str, Any]:
    """Counts per language and how many distinct refusal phrasings the targets used."""
    per: dict[str, dict[str, int]] = {}
    for e in examples:
        row = per.setdefault(e.language, {"harmful": 0, "harmless": 0, "refusal_phrasings": 0})
        row["harmful" if e.harmful else "harmless"] += 1
    for language, row in per.items():
        ids = [e.id for e in examples if e.language == language and e.harmful]
        row["refusal_phrasings"] = len({refusal_reply(language, i) for i in ids})
    return {"per_language": per, "dropped": dropped}
