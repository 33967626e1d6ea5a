"""Load the checkpoints a comparison needs: model specs or LoRA adapters, and their shape."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from langgap.analyze.common import activations
from langgap.analyze.common.activations import ActivationError, find_layers
from langgap.analyze.common.models import LoadedModel, load_model, resolve

ADAPTER_CONFIG = "adapter_config.json"


class CompareError(ValueError):
    """Two checkpoints or a prompt set that cannot be compared; the message names the fix."""


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


def _jsonable_value(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(map(str, value))
    return value
