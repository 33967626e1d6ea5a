"""Steer with a refusal direction (ablation, addition) and measure its cross-language transfer."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from langgap.analyze.common.activations import ActivationError, Prompt, find_layers
from langgap.analyze.common.behaviour import JUDGE, OFF_LANGUAGE, lab_outcome
from langgap.analyze.common.generation import generate
from langgap.analyze.directions.run import RefusalDirections
from langgap.languages import counting_code

Mode = Literal["ablate", "add"]
# where ablation projects the direction out: every write to the residual stream (embeddings,
# attention and MLP outputs: TransformerLens's hook_resid_pre, hook_resid_mid and hook_resid_post
# all lose it, as in Arditi et al. 2024), or block inputs and outputs only (the MLP then still
# reads what attention wrote along the direction; langgap's ablation before this option)
AblationPoints = Literal["all-writes", "block-outputs"]
ABLATION_POINTS: tuple[AblationPoints, ...] = ("all-writes", "block-outputs")
# zero: project the direction out (Arditi et al.); affine: set its component to the harmless
# mean's (ACE, Marshall et al. 2024), which leaves harmless prompts' activations nearly alone
AblationKind = Literal["zero", "affine"]
ABLATION_KINDS: tuple[AblationKind, ...] = ("zero", "affine")
# every layer (as `ablate`, or every block output for affine), or one layer's output only
AblationScope = Literal["every-layer", "one-layer"]
ABLATION_SCOPES: tuple[AblationScope, ...] = ("every-layer", "one-layer")
# an intervention factory: a context manager each time it is called (entered once per use)
Intervention = Callable[[], AbstractContextManager[Any]]
# attribute names of a decoder block's attention module (Llama/Qwen/Mistral, GPT-2, Falcon, NeoX)
_ATTENTION_NAMES = ("self_attn", "attn", "self_attention", "attention")


@contextmanager
def ablate(
    model: nn.Module,
    direction: torch.Tensor,
    *,
    points: AblationPoints = "all-writes",
    tail: int = 0,
    keep_sink: bool = False,
) -> Iterator[None]:
    """Project `direction` out of the residual stream before the first and after every layer,
    and (`all-writes`) out of every attention output, so the mid-block residual lacks it too.
    `tail` > 0 edits only a prompt's last `tail` positions (and every generated token);
    `keep_sink` leaves the attention sink, positions with a massive activation, alone
    (`massive_positions`: an attention output is judged by the stream entering its block)."""
    if points not in ABLATION_POINTS:
        raise ValueError(f"unknown ablation points {points!r}; available: {ABLATION_POINTS}")
    blocks = find_layers(model)
    attention = [_attention(block) for block in blocks] if points == "all-writes" else []
    project = _projection(_unit(direction, model), 0.0, tail)
    # block i -> sink positions of the stream entering it (before its edit, as judged there)
    entering: dict[int, torch.Tensor | None] = {}

    with ExitStack() as stack:
        sinks = _sink_finder(model, stack) if keep_sink else _no_sinks

        def judged(stream: torch.Tensor, block: int) -> torch.Tensor | None:
            entering[block] = sinks(stream)
            return entering[block]

        def pre(_m: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            # The embeddings enter layer 0 as its input; every later input is an ablated output.
            if args:
                return (project(args[0], judged(args[0], 0)), *args[1:]), kwargs
            stream = kwargs["hidden_states"]
            return args, kwargs | {"hidden_states": project(stream, judged(stream, 0))}

        stack.callback(blocks[0].register_forward_pre_hook(pre, with_kwargs=True).remove)

        def block_output(index: int) -> Callable[[torch.Tensor], torch.Tensor]:
            return lambda h: project(h, judged(h, index + 1))

        def attention_output(index: int) -> Callable[[torch.Tensor], torch.Tensor]:
            return lambda h: project(h, entering.get(index))

        for index, block in enumerate(blocks):
            stack.callback(block.register_forward_hook(_map_output(block_output(index))).remove)
        for index, module in enumerate(attention):  # block input is direction-free: so resid_mid
            stack.callback(
                module.register_forward_hook(_map_output(attention_output(index))).remove
            )
        yield


def _no_sinks(_stream: torch.Tensor) -> None:
    return None


def _sparing(
    project: Callable[..., torch.Tensor], sinks: Callable[[torch.Tensor], torch.Tensor | None]
) -> Callable[[torch.Tensor], torch.Tensor]:
    """`project` a residual stream, leaving its sink positions alone."""
    return lambda stream: project(stream, sinks(stream))


def _sink_finder(
    model: nn.Module, stack: ExitStack
) -> Callable[[torch.Tensor], torch.Tensor | None]:
    """`massive_positions` of a residual stream [batch, seq, d] with the attention mask of the
    forward call it belongs to (recorded by a pre-hook on the model, removed with `stack`): its
    last `seq` columns, since a cached generation step passes the whole mask, past included."""
    seen: dict[str, torch.Tensor | None] = {}

    def record(_m: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        mask = kwargs.get("attention_mask")
        seen["mask"] = mask if isinstance(mask, torch.Tensor) and mask.dim() == 2 else None

    stack.callback(model.register_forward_pre_hook(record, with_kwargs=True).remove)

    def sinks(stream: torch.Tensor) -> torch.Tensor:
        mask = seen.get("mask")
        if mask is None or mask.shape[0] != stream.shape[0]:
            return massive_positions(stream)
        return massive_positions(stream, mask[:, -stream.shape[-2] :].bool())

    return sinks


def _block(model: nn.Module, layer: int) -> nn.Module:
    """Decoder block `layer` (negative counts from the end), or an error naming the valid range."""
    blocks = find_layers(model)
    if not -len(blocks) <= layer < len(blocks):
        raise ActivationError(
            f"layer {layer} is out of range: valid indices are 0..{len(blocks) - 1}"
        )
    block: nn.Module = blocks[layer]
    return block


def _attention(block: nn.Module) -> nn.Module:
    """A decoder block's attention module, or an error naming the block's children."""
    for name in _ATTENTION_NAMES:
        module = getattr(block, name, None)
        if isinstance(module, nn.Module):
            return module
    children = ", ".join(name for name, _ in block.named_children())
    raise ActivationError(
        f"no attention module ({', '.join(_ATTENTION_NAMES)}) in {type(block).__name__} "
        f"(children: {children}); use ablation points 'block-outputs'"
    )


@contextmanager
def add_direction(
    model: nn.Module, direction: torch.Tensor, layer: int, alpha: float
) -> Iterator[None]:
    """Add alpha × unit(direction) to the residual stream after one layer, at every position."""
    block = _block(model, layer)
    shift = alpha * _unit(direction, model)
    handle = block.register_forward_hook(_map_output(lambda h: h + shift))
    try:
        yield
    finally:
        handle.remove()


def _check_tail(tail: int) -> None:
    """One rule and one message for every entry point (library calls and the CLI)."""
    if tail < 0:
        raise ValueError(
            "--ablation-tail: the ablation tail must be 0 (every position) or a positive number "
            f"of prompt positions, got {tail}"
        )


def _projection(unit: torch.Tensor, value: float, tail: int) -> Callable[..., torch.Tensor]:
    """Set the component of a hidden state [batch, seq, d] along `unit` to `value` (0: directional
    ablation), at every position or, with `tail` > 0, at the last `tail` positions of a
    multi-token pass (the end of the prompt: left padding puts every prompt's end there) and at
    every single-token pass (the generated tokens, with a KV cache). Positions in `keep`, a
    [batch, seq] mask (the attention sink: `massive_positions` of the residual stream, for an
    attention output the stream entering its block), are left alone."""
    _check_tail(tail)

    def project(hidden: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        edited = hidden - ((hidden @ unit) - value)[..., None] * unit
        if keep is not None:
            edited = torch.where(keep[..., None], hidden, edited)
        if tail and hidden.shape[-2] > tail:
            return torch.cat([hidden[..., :-tail, :], edited[..., -tail:, :]], dim=-2)
        return edited

    return project


# A residual-stream position whose norm is this many times the sequence's median carries a
# massive activation (Sun et al. 2024, "Massive activations in large language models"): the
# attention sink. In SmolLM2-135M the first token's norm is 17-158x the median from block 11 on,
# every other position's at most 9.2x.
MASSIVE_RATIO = 10.0


def massive_positions(stream: torch.Tensor, attended: torch.Tensor | None = None) -> torch.Tensor:
    """[batch, seq] mask of positions whose residual norm exceeds MASSIVE_RATIO × the median of
    their sequence's attended positions (`attended`, the attention mask's columns; default all),
    so padding neither sets the median nor counts as a sink. A single-token pass has none: its
    median is itself."""
    norms = stream.float().norm(dim=-1)
    if attended is None:
        attended = torch.ones_like(norms, dtype=torch.bool)
    median = norms.masked_fill(~attended, float("nan")).nanmedian(dim=-1, keepdim=True).values
    massive: torch.Tensor = (norms > MASSIVE_RATIO * median) & attended
    return massive


@contextmanager
def ablate_at_layers(
    model: nn.Module,
    direction: torch.Tensor,
    layers: Sequence[int],
    *,
    harmless_means: Mapping[int, torch.Tensor] | None = None,
    tail: int = 0,
    keep_sink: bool = False,
) -> Iterator[None]:
    """Edit the component along `direction` of the listed layers' outputs (block outputs only).

    Without `harmless_means` it is projected out (directional ablation). With them it is set to
    the value the harmless mean activation has at that layer: affine concept editing (ACE,
    Marshall, Scherlis & Belrose 2024, "Refusal in LLMs is an affine function"): a harmless
    prompt's activations barely move, where zero-ablation moves every activation to a plane
    through the origin that a small model may never have seen. One layer is gentler than every
    layer (later layers may write the direction back), the trade-off a selection can choose.
    """
    unit = _unit(direction, model)
    missing = [layer for layer in layers if layer not in (harmless_means or {})]
    if harmless_means is not None and missing:
        raise ActivationError(f"no harmless mean activation for layers {missing}")
    with ExitStack() as stack:
        sinks = _sink_finder(model, stack) if keep_sink else _no_sinks
        for layer in layers:
            block = _block(model, layer)
            value = 0.0 if harmless_means is None else float(harmless_means[layer].to(unit) @ unit)
            edit = _projection(unit, value, tail)
            hook = _map_output(_sparing(edit, sinks))
            stack.callback(block.register_forward_hook(hook).remove)
        yield


def ablation(
    model: nn.Module,
    direction: torch.Tensor,
    *,
    layer: int | None = None,
    scope: AblationScope = "every-layer",
    kind: AblationKind = "zero",
    harmless_means: Mapping[int, torch.Tensor] | None = None,
    tail: int = 0,
    points: AblationPoints = "all-writes",
    keep_sink: bool = False,
) -> Intervention:
    """A factory of the ablation context (it can be entered many times).

    zero, every-layer: every residual write at every layer, or block outputs only, as `points`
    says (`ablate`); one-layer: `layer`'s
    output only; affine: the component is set to `harmless_means`' (see `harmless_means`) at
    `layer`'s output or at every layer's output. `tail` > 0 edits only the last `tail` prompt
    positions and the generated tokens; `keep_sink` leaves positions with a massive activation
    (the attention sink) alone.
    """
    if scope not in ABLATION_SCOPES:
        raise ValueError(f"unknown ablation scope {scope!r}; available: {ABLATION_SCOPES}")
    if kind not in ABLATION_KINDS:
        raise ValueError(f"unknown ablation kind {kind!r}; available: {ABLATION_KINDS}")
    if scope == "one-layer" and layer is None:
        raise ValueError("one-layer ablation needs the layer")
    if kind == "affine" and harmless_means is None:
        raise ValueError("affine ablation needs the harmless mean activations per layer")
    means = harmless_means if kind == "affine" else None
    if scope == "every-layer" and kind == "zero":
        return lambda: ablate(model, direction, points=points, tail=tail, keep_sink=keep_sink)
    layers = [layer] if layer is not None and scope == "one-layer" else sorted(means or {})
    return lambda: ablate_at_layers(
        model, direction, layers, harmless_means=means, tail=tail, keep_sink=keep_sink
    )


@dataclass
class TransferResult:
    """Refusal rate on target-language prompts with each source language's direction applied."""

    mode: Mode
    layer: int
    alpha: float
    sources: list[str]
    targets: list[str]
    baseline: NDArray[np.float64]  # [targets]: refusal rate with no intervention
    refused: NDArray[np.float64]  # [sources, targets]: refusal rate with the intervention
    unclear: NDArray[np.int64]  # [sources, targets]: responses the judge could not decide
    baseline_unclear: NDArray[np.int64]
    n: dict[str, int]  # prompts per target language
    max_new_tokens: int
    # [sources, targets] and [targets]: replies in another language than the prompt
    off_language: NDArray[np.int64]
    baseline_off_language: NDArray[np.int64]
    # ablate mode only (None in add mode): where, how (zero or affine) and at which positions
    # (0: every position; k: a prompt's last k positions and the generated tokens)
    ablation_points: AblationPoints | None = None
    ablation_kind: AblationKind | None = None
    ablation_tail: int | None = None
    ablation_keep_sink: bool | None = None  # massive-activation positions left alone
    ablation_layers: list[int] | None = None  # affine: the block outputs it edits (zero: all)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form; rates are refused / all responses, unclear and off-language replies
        counted separately."""
        return {
            "mode": self.mode,
            "ablation_points": self.ablation_points,
            "ablation_kind": self.ablation_kind,
            "ablation_tail": self.ablation_tail,
            "ablation_keep_sink": self.ablation_keep_sink,
            "ablation_layers": self.ablation_layers,
            "layer": self.layer,
            "alpha": self.alpha,
            "sources": self.sources,
            "targets": self.targets,
            "n_per_target": self.n,
            "max_new_tokens": self.max_new_tokens,
            "decoding": "greedy",
            "judge": JUDGE,
            "baseline_refusal_rate": self.baseline.round(6).tolist(),
            "baseline_unclear": self.baseline_unclear.tolist(),
            "refusal_rate": self.refused.round(6).tolist(),
            "unclear": self.unclear.tolist(),
            "baseline_off_language": self.baseline_off_language.tolist(),
            "off_language": self.off_language.tolist(),
            "warnings": self.warnings(),
        }

    def warnings(self) -> list[str]:
        """Targets whose base refusal rate bounds the measurable change: near 0 for ablation
        (refusal cannot fall), near 1 for addition (it cannot rise)."""
        from langgap.analyze.common.bounds import base_rate_warnings

        rates = dict(zip(self.targets, map(float, self.baseline), strict=True))
        return base_rate_warnings(
            rates, expected="decrease" if self.mode == "ablate" else "increase"
        )


def check_ablation(
    points: str, kind: str, tail: int, mode: str = "ablate"
) -> tuple[AblationPoints, AblationKind]:
    """The ablation's points and kind, or a clear error for a choice that cannot run.

    Affine ablation acts at block outputs only: the harmless means it sets the component to are
    block outputs (what `langgap analyze directions` captures), and attention outputs have none.
    In add mode the ablation choices are only checked for spelling (they are not used).
    """
    chosen_points = next((p for p in ABLATION_POINTS if p == points), None)
    if chosen_points is None:
        raise ValueError(
            f"unknown ablation points {points!r} (--ablation-points); available: {ABLATION_POINTS}"
        )
    chosen_kind = next((k for k in ABLATION_KINDS if k == kind), None)
    if chosen_kind is None:
        raise ValueError(
            f"unknown ablation kind {kind!r} (--ablation-kind); available: {ABLATION_KINDS}"
        )
    _check_tail(tail)
    if mode == "ablate" and chosen_kind == "affine" and chosen_points != "block-outputs":
        raise ValueError(
            "affine ablation acts at block outputs only (its harmless means are block outputs; "
            "attention outputs have none): use ablation points 'block-outputs' "
            "(--ablation-points block-outputs)"
        )
    return chosen_points, chosen_kind


def transfer_matrix(
    model: nn.Module,
    tokenizer: Any,
    dirs: RefusalDirections,
    prompts: Sequence[Prompt],
    *,
    layer: int,
    mode: Mode = "ablate",
    alpha: float = 4.0,
    max_new_tokens: int = 24,
    batch_size: int = 8,
    ablation_points: AblationPoints = "all-writes",
    ablation_kind: AblationKind = "zero",
    ablation_tail: int = 0,
    ablation_keep_sink: bool = False,
) -> TransferResult:
    """Source × target refusal rates: each language's direction applied to every language's prompts.

    Ablation is meant for harmful prompts (does removing it stop refusal?), addition for harmless
    ones (does adding it cause refusal?); the prompts passed decide which is measured.
    `ablation_points` says where ablation projects the direction out (see `ablate`).
    `ablation_kind` `affine` sets the direction's component, at the output of every layer the
    directions were captured at, to the value it has in the source language's harmless mean
    activation at that layer (`RefusalDirections.harmless_means`: the reference the source's
    direction was fitted against), whatever the target language; it needs `ablation_points`
    `block-outputs` (`check_ablation`). `ablation_tail` k > 0 edits only a prompt's last k
    positions and the generated tokens (see `_projection`); `ablation_keep_sink` leaves
    positions with a massive activation (the attention sink, `massive_positions`) alone.
    """
    if mode not in ("ablate", "add"):
        raise ValueError(f"unknown mode {mode!r}; available: ablate, add")
    ablating = mode == "ablate"
    check_ablation(ablation_points, ablation_kind, ablation_tail, mode)
    affine = ablating and ablation_kind == "affine"
    # read before any generation: directions saved before the means were kept have none
    means = {source: dirs.harmless_means(source) for source in dirs.languages} if affine else {}
    by_target: dict[str, list[Prompt]] = {}
    for p in prompts:
        if p.language is None:
            raise ActivationError(f"prompt {p.id} has no language; transfer needs one per prompt")
        by_target.setdefault(counting_code(p.language), []).append(p)
    targets = sorted(by_target)

    def rates(items: list[Prompt]) -> tuple[float, int, int]:
        replies = generate(model, tokenizer, items, max_new_tokens, batch_size)
        outcomes = [
            # an undecided verdict is unclear, a reply in another language off_language: never
            # counted as complied (or as refused)
            lab_outcome(r, p.text, str(p.language))
            for r, p in zip(replies, items, strict=True)
        ]
        refused = outcomes.count("refused") / len(outcomes)
        return refused, outcomes.count("unclear"), outcomes.count(OFF_LANGUAGE)

    base = [rates(by_target[t]) for t in targets]
    refused = np.zeros((len(dirs.languages), len(targets)))
    unclear = np.zeros((len(dirs.languages), len(targets)), dtype=np.int64)
    other = np.zeros((len(dirs.languages), len(targets)), dtype=np.int64)
    for i, source in enumerate(dirs.languages):
        direction = dirs.direction(source, layer)
        for j, target in enumerate(targets):
            intervention = (
                ablation(
                    model, direction, kind=ablation_kind, harmless_means=means.get(source),
                    tail=ablation_tail, points=ablation_points, keep_sink=ablation_keep_sink,
                )()
                if ablating
                else add_direction(model, direction, layer, alpha)
            )  # fmt: skip
            with intervention:
                refused[i, j], unclear[i, j], other[i, j] = rates(by_target[target])
    return TransferResult(
        mode=mode,
        layer=layer,
        alpha=alpha,
        sources=list(dirs.languages),
        targets=targets,
        baseline=np.array([b[0] for b in base]),
        refused=refused,
        unclear=unclear,
        baseline_unclear=np.array([b[1] for b in base], dtype=np.int64),
        n={t: len(by_target[t]) for t in targets},
        max_new_tokens=max_new_tokens,
        off_language=other,
        baseline_off_language=np.array([b[2] for b in base], dtype=np.int64),
        ablation_points=ablation_points if ablating else None,
        ablation_kind=ablation_kind if ablating else None,
        ablation_tail=ablation_tail if ablating else None,
        ablation_keep_sink=ablation_keep_sink if ablating else None,
        ablation_layers=list(dirs.layers) if affine else None,
    )


def _unit(direction: torch.Tensor, model: nn.Module) -> torch.Tensor:
    param = next(model.parameters())
    d = direction.to(device=param.device, dtype=param.dtype)
    unit: torch.Tensor = d / d.norm().clamp_min(1e-12)
    return unit


def _map_output(fn: Callable[[torch.Tensor], torch.Tensor]) -> Callable[..., Any]:
    # Decoder layers return a tensor or a tuple whose first item is the hidden state.
    def hook(_m: nn.Module, _args: Any, output: Any) -> Any:
        if isinstance(output, tuple):
            return (fn(output[0]), *output[1:])
        return fn(output)

    return hook
