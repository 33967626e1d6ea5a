"""Capture residual-stream activations of any Hugging Face causal LM at chosen layers and tokens."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from langgap._io import atomic_write_bytes, atomic_write_text

# Where decoder blocks live in the common architectures; searched in order.
LAYER_PATHS = (
    "model.layers",  # Llama, Mistral, Qwen, Gemma, Phi-3, SmolLM
    "model.decoder.layers",  # OPT
    "model.language_model.layers",  # multimodal wrappers (Gemma 3, Llava)
    "transformer.h",  # GPT-2, GPT-J, Falcon, Bloom
    "transformer.layers",
    "transformer.blocks",  # MPT
    "gpt_neox.layers",  # Pythia, GPT-NeoX
    "layers",
)

Reduce = Literal["none", "mean"]


class ActivationError(ValueError):
    """Bad input to activation capture: unknown architecture, layer or token position."""


@dataclass(frozen=True)
class Prompt:
    """One prompt to capture: its text, a stable id, its language and (optionally) its label."""

    text: str
    id: str
    language: str | None = None
    harmful: bool | None = None


@dataclass(frozen=True)
class CaptureConfig:
    """Everything that decides a capture's numbers, saved next to the tensor."""

    model: str
    layers: list[int]
    positions: list[int]
    reduce: Reduce
    chat_template: bool
    batch_size: int
    dtype: str
    n_layers_total: int


@dataclass
class Activations:
    """Captured activations [n_prompts, n_layers, k, d], or [n_prompts, n_layers, d] if reduced."""

    tensor: torch.Tensor
    config: CaptureConfig
    ids: list[str]
    languages: list[str | None]
    harmful: list[bool | None] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)  # chat-templated prompt tokens, no padding

    def hook_names(self) -> list[str]:
        """TransformerLens names of the captured points, one per layer (the block's output)."""
        return [hook_name(layer) for layer in self.config.layers]

    def metadata(self) -> dict[str, Any]:
        """The JSON sidecar: config, shape and per-prompt ids, languages and labels (never text)."""
        return {
            "config": asdict(self.config),
            "shape": list(self.tensor.shape),
            "hook_names": self.hook_names(),
            "ids": self.ids,
            "languages": self.languages,
            "harmful": self.harmful,
            "lengths": self.lengths,
        }

    def save(self, path: str | Path) -> Path:
        """Write the tensor (.pt or .safetensors) and a .json sidecar; returns the tensor path."""
        path = Path(path)
        if path.suffix not in (".pt", ".safetensors"):
            raise ActivationError(f"{path}: use a .pt or .safetensors file name")
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, _tensor_bytes(self.tensor, path.suffix, self.hook_names()))
        text = json.dumps(self.metadata(), indent=2, ensure_ascii=False) + "\n"
        atomic_write_text(path.with_suffix(".json"), text)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Activations:
        """Read what `save` wrote."""
        path = Path(path)
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            stored = load_file(str(path))
            names = meta.get("hook_names") or []
            # one tensor per hook point; files written before hook names hold one "activations"
            tensor = (
                torch.stack([stored[n] for n in names], dim=1)
                if names and all(n in stored for n in names)
                else stored["activations"]
            )
        else:
            tensor = torch.load(path, weights_only=True)
        return cls(
            tensor=tensor,
            config=CaptureConfig(**meta["config"]),
            ids=meta["ids"],
            languages=meta["languages"],
            harmful=meta["harmful"],
            lengths=list(meta.get("lengths") or []),
        )


def hook_name(layer: int) -> str:
    """The TransformerLens name of the residual stream after decoder block `layer`."""
    return f"blocks.{layer}.hook_resid_post"


def _tensor_bytes(tensor: torch.Tensor, suffix: str, names: Sequence[str]) -> bytes:
    if suffix == ".safetensors":
        from safetensors.torch import save

        # keyed as TransformerLens caches are: acts["blocks.12.hook_resid_post"] is [n, (k,) d]
        return save({n: tensor[:, i].contiguous() for i, n in enumerate(names)})
    buffer = io.BytesIO()
    torch.save(tensor, buffer)
    return buffer.getvalue()


def find_layers(model: nn.Module) -> nn.ModuleList:
    """The list of decoder blocks of a causal LM, found by the usual attribute paths."""
    for path in LAYER_PATHS:
        module: Any = model
        for part in path.split("."):
            module = getattr(module, part, None)
            if module is None:
                break
        if isinstance(module, nn.ModuleList) and len(module) > 0:
            return module
    found = [name for name, _ in model.named_children()]
    raise ActivationError(
        f"unsupported architecture {type(model).__name__}: no decoder layer list at any of "
        f"{', '.join(LAYER_PATHS)}; its top-level modules are {', '.join(found) or '(none)'}"
    )


def last_k(k: int) -> list[int]:
    """The last k positions of a prompt as negative indices: its end-of-instruction tokens."""
    if k < 1:
        raise ActivationError(f"k must be at least 1, got {k}")
    return list(range(-k, 0))


def capture(
    model: nn.Module,
    tokenizer: Any,
    prompts: Sequence[str | Prompt],
    layers: Sequence[int] | None = None,
    positions: int | Sequence[int] = -1,
    batch_size: int = 8,
    *,
    reduce: Reduce = "none",
    chat_template: bool = True,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float32,
) -> Activations:
    """Residual stream after each chosen decoder layer at the chosen positions of each prompt.

    Positions index the (chat-templated) prompt's own tokens, padding excluded: -1 is the last
    token, `last_k(5)` the last five. `device` moves the model; `dtype` is the stored dtype.

    >>> acts = capture(model, tok, ["Hello"], layers=[0, 3], positions=last_k(4))
    >>> acts.tensor.shape  # [1, 2, 4, d]
    """
    blocks = find_layers(model)
    chosen = check_layers(layers, len(blocks))
    wanted = [positions] if isinstance(positions, int) else list(positions)
    if not wanted:
        raise ActivationError("positions is empty; pass -1 or e.g. last_k(5)")
    if batch_size < 1:
        raise ActivationError(f"batch_size must be at least 1, got {batch_size}")
    items = [p if isinstance(p, Prompt) else Prompt(p, f"p{i}") for i, p in enumerate(prompts)]
    if device is not None:
        model.to(device)
    run_device = next(model.parameters()).device
    texts = [_render(tokenizer, p.text, chat_template) for p in items]
    out: list[torch.Tensor] = []
    lengths: list[int] = []
    model.eval()
    for start in range(0, len(texts), batch_size):
        batch = tokenize_batch(tokenizer, texts[start : start + batch_size], run_device)
        lengths += [int(n) for n in batch["attention_mask"].sum(dim=-1)]
        index = _position_index(batch["attention_mask"], wanted, items[start:])
        got = _forward_capture(model, blocks, chosen, batch, index)
        out.append(got.to(dtype))
    tensor = torch.cat(out) if out else torch.empty(0)
    if reduce == "mean":
        tensor = tensor.mean(dim=2)
    config = CaptureConfig(
        model=_model_name(model),
        layers=chosen,
        positions=wanted,
        reduce=reduce,
        chat_template=chat_template,
        batch_size=batch_size,
        dtype=str(dtype).removeprefix("torch."),
        n_layers_total=len(blocks),
    )
    return Activations(
        tensor=tensor,
        config=config,
        ids=[p.id for p in items],
        languages=[p.language for p in items],
        harmful=[p.harmful for p in items],
        lengths=lengths,
    )


def tokenize_batch(tokenizer: Any, texts: Sequence[str], device: torch.device) -> dict[str, Any]:
    """Left-padded input_ids, attention_mask and mask-derived position_ids for one batch."""
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        # Padding tokens are masked out, so any id will do; eos is always defined.
        tokenizer.pad_token = tokenizer.eos_token
    try:
        enc = tokenizer(list(texts), return_tensors="pt", padding=True, add_special_tokens=False)
    finally:
        tokenizer.padding_side = side
    mask = enc["attention_mask"]
    # Without explicit position ids a left-padded prompt would start at position > 0 and its
    # activations would differ from the same prompt run alone.
    position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
    return {
        "input_ids": enc["input_ids"].to(device),
        "attention_mask": mask.to(device),
        "position_ids": position_ids.to(device),
    }


def _render(tokenizer: Any, text: str, chat_template: bool) -> str:
    if not chat_template:
        return text
    if getattr(tokenizer, "chat_template", None) is None:
        raise ActivationError(
            "the tokenizer has no chat template; pass chat_template=False to capture raw text"
        )
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": text}], tokenize=False, add_generation_prompt=True
    )
    return str(rendered)


def check_layers(layers: Sequence[int] | None, n: int) -> list[int]:
    """Layer indices resolved against the depth (negative count from the end), in given order.

    None means every layer; an empty list, an index out of range or a repeated layer is an error
    naming the valid range.
    """
    if layers is None:
        return list(range(n))
    if not layers:
        raise ActivationError(f"layers is empty; the model has {n} decoder layers (0..{n - 1})")
    bad = [i for i in layers if not -n <= i < n]
    if bad:
        raise ActivationError(
            f"layer index {bad[0]} is out of range: the model has {n} decoder layers, "
            f"valid indices are 0..{n - 1} (or -{n}..-1)"
        )
    resolved = [i % n for i in layers]
    if len(set(resolved)) != len(resolved):
        raise ActivationError(f"layers repeat an index: {list(layers)}")
    return resolved


def _position_index(
    mask: torch.Tensor, wanted: Sequence[int], items: Sequence[Prompt]
) -> torch.Tensor:
    # Real tokens are where the mask is 1; counting among them makes padding side irrelevant.
    rows = []
    for row, m in enumerate(mask.cpu()):
        real = torch.nonzero(m, as_tuple=True)[0]
        n = len(real)
        bad = [p for p in wanted if not -n <= p < n]
        if bad:
            raise ActivationError(
                f"prompt {items[row].id}: position {bad[0]} is outside its {n} tokens "
                f"(valid: 0..{n - 1} or -{n}..-1)"
            )
        rows.append(real[torch.tensor(wanted)])
    return torch.stack(rows).to(mask.device)


class _Stop(Exception):
    """Raised after the last wanted layer: later layers and the LM head are not needed."""


def _forward_capture(
    model: nn.Module,
    blocks: nn.ModuleList,
    chosen: list[int],
    batch: dict[str, Any],
    index: torch.Tensor,
) -> torch.Tensor:
    grabbed: dict[int, torch.Tensor] = {}
    rows = torch.arange(index.shape[0], device=index.device)[:, None]
    last = max(chosen)

    def hook_for(layer: int) -> Callable[..., None]:
        def hook(_module: nn.Module, _args: Any, output: Any) -> None:
            hidden = output[0] if isinstance(output, tuple) else output
            grabbed[layer] = hidden[rows, index].detach().float().cpu()
            if layer == last:
                raise _Stop

        return hook

    hooks = {i: hook_for(i) for i in chosen}
    with _hooks(blocks, hooks), torch.inference_mode(), suppress(_Stop):
        model(**batch, use_cache=False)
    return torch.stack([grabbed[i] for i in chosen], dim=1)


@contextmanager
def _hooks(blocks: nn.ModuleList, hooks: dict[int, Callable[..., None]]) -> Iterator[None]:
    handles = [blocks[i].register_forward_hook(h) for i, h in hooks.items()]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _model_name(model: nn.Module) -> str:
    config = getattr(model, "config", None)
    name = getattr(config, "_name_or_path", "") or ""
    return str(name) or type(model).__name__
