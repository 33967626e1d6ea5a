"""Which modules influence is computed over (decoder MLPs by default) and their preparation."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from torch import nn

from langgap.analyze.common.activations import ActivationError, check_layers, find_layers
from langgap.analyze.influence.data import InfluenceError

ModuleSelection = Literal["mlp", "all"]

# Names of feed-forward sublayers across architectures (Llama/Qwen/Gemma/SmolLM `mlp`, GPT-2
# `mlp.c_fc`, OPT `fc1`/`fc2`, GPT-J `mlp.fc_in`, Falcon/Bloom/NeoX `dense_h_to_4h`, MPT `ffn`,
# Mixtral `block_sparse_moe`).
_MLP = re.compile(
    r"(?:^|\.)(?:mlp|ffn|feed_forward|feedforward|fc1|fc2|fc_in|fc_out|dense_h_to_4h|"
    r"dense_4h_to_h|block_sparse_moe|experts)(?:\.|$)"
)


@dataclass(frozen=True)
class _Candidate:
    name: str  # full module name in the model
    layer: int | None  # decoder block index, None outside the blocks
    conv1d: bool  # a transformers Conv1D (GPT-2), tracked as an equivalent nn.Linear


def tracked_modules(
    model: nn.Module,
    modules: ModuleSelection | Sequence[str] = "mlp",
    layers: Sequence[int] | None = None,
) -> list[str]:
    """Full names of the linear modules whose weights the influence scores cover.

    "mlp": the feed-forward linear layers of each decoder block; "all": every linear layer in the
    blocks; otherwise module names or fnmatch patterns (`model.layers.*.mlp.down_proj`), matched
    against every linear layer of the model. `layers` keeps only those decoder blocks.
    """
    return [c.name for c in select_modules(model, modules, layers)]


def _candidates(model: nn.Module) -> list[_Candidate]:
    blocks = find_layers(model)
    names = {id(m): name for name, m in model.named_modules()}
    prefix = names[id(blocks)]
    conv1d = _conv1d_type()
    found = []
    for name, module in model.named_modules():
        is_conv = conv1d is not None and isinstance(module, conv1d)
        if not (isinstance(module, nn.Linear) or is_conv):
            continue
        layer = None
        if name.startswith(prefix + "."):
            layer = int(name[len(prefix) + 1 :].split(".", 1)[0])
        found.append(_Candidate(name, layer, is_conv))
    return found


def select_modules(
    model: nn.Module, modules: ModuleSelection | Sequence[str], layers: Sequence[int] | None
) -> list[_Candidate]:
    candidates = _candidates(model)
    n_blocks = len(find_layers(model))
    wanted = check_block_layers(layers, n_blocks)
    in_blocks = [c for c in candidates if c.layer is not None and c.layer in wanted]
    if modules == "mlp":
        chosen = [c for c in in_blocks if _MLP.search(_relative(c.name))]
        if not chosen:
            raise InfluenceError(
                "no feed-forward (MLP) linear layer found in the decoder blocks; the linear "
                f"layers of block {wanted[0]} are {_listing(candidates, wanted[0])}; pass "
                "modules='all' or a list of module names"
            )
        return chosen
    if modules == "all":
        if not in_blocks:
            raise InfluenceError(
                f"the decoder blocks hold no linear layers (nn.Linear or Conv1D); "
                f"linear layers of the model: {_listing(candidates, None)}"
            )
        return in_blocks
    if isinstance(modules, str):
        raise InfluenceError(
            f"modules={modules!r}: use 'mlp', 'all' or a list of module names / patterns"
        )
    pool = [c for c in candidates if c.layer is None or c.layer in wanted]
    chosen_names: set[str] = set()
    for pattern in modules:
        hits = {c.name for c in pool if fnmatch.fnmatchcase(c.name, pattern)}
        if not hits:
            raise InfluenceError(
                f"module pattern {pattern!r} matches no linear layer; those of block "
                f"{wanted[0]} are {_listing(candidates, wanted[0])}; outside the blocks: "
                f"{_listing([c for c in candidates if c.layer is None], None)}"
            )
        chosen_names |= hits
    return [c for c in pool if c.name in chosen_names]


def _relative(name: str) -> str:
    # "model.layers.3.mlp.up_proj" -> "mlp.up_proj": the part inside the block.
    parts = name.split(".")
    for i, part in enumerate(parts):
        if part.isdigit():
            return ".".join(parts[i + 1 :])
    return name


def _listing(candidates: Sequence[_Candidate], layer: int | None) -> str:
    names = [c.name for c in candidates if c.layer == layer]
    return ", ".join(names) or "(none)"


def check_block_layers(layers: Sequence[int] | None, n: int) -> list[int]:
    try:
        return sorted(check_layers(sorted(set(layers)) if layers else layers, n))
    except ActivationError as exc:
        raise InfluenceError(str(exc)) from None


def _conv1d_type() -> type[nn.Module] | None:
    try:
        from transformers.pytorch_utils import Conv1D
    except ImportError:  # pragma: no cover - transformers is part of the analyze extra
        return None
    conv1d: type[nn.Module] = Conv1D
    return conv1d


@contextmanager
def linearised(model: nn.Module, names: Sequence[str]) -> Iterator[None]:
    """Swap GPT-2 Conv1D modules for nn.Linear views of the same weights, restored afterwards.

    kronfluence tracks nn.Linear and nn.Conv2d only; Conv1D computes x @ W + b, which is a
    Linear layer with weight W.T. The Linear shares the Conv1D's storage (no copy).
    """
    swapped: list[tuple[nn.Module, str, nn.Module]] = []
    try:
        for name in names:
            parent_name, _, attr = name.rpartition(".")
            parent = model.get_submodule(parent_name)
            conv = getattr(parent, attr)
            n_in, n_out = conv.weight.shape
            linear = nn.Linear(n_in, n_out, bias=conv.bias is not None, device="meta")
            linear.weight = nn.Parameter(conv.weight.detach().t(), requires_grad=False)
            if conv.bias is not None:
                linear.bias = conv.bias
            setattr(parent, attr, linear)
            swapped.append((parent, attr, conv))
        yield
    finally:
        for parent, attr, conv in reversed(swapped):
            setattr(parent, attr, conv)


@contextmanager
def prepared_for(model: nn.Module, task: Any) -> Iterator[nn.Module]:
    """kronfluence's prepare_model, undone afterwards: wrappers off, grad flags and mode back."""
    from kronfluence.analyzer import prepare_model  # type: ignore[import-untyped]
    from kronfluence.module.tracked_module import TrackedModule  # type: ignore[import-untyped]

    training = model.training
    flags = [(p, p.requires_grad) for p in model.parameters()]
    try:
        yield prepare_model(model, task)
    finally:
        wrapped = [(n, m) for n, m in model.named_modules() if isinstance(m, TrackedModule)]
        for name, module in wrapped:
            parent_name, _, attr = name.rpartition(".")
            setattr(model.get_submodule(parent_name), attr, module.original_module)
        for param, flag in flags:
            param.requires_grad_(flag)
        model.train(training)
