"""Direction selection by causal effect, and the coherence cost of an intervention.

Following Arditi et al. ("Refusal in LLMs is mediated by a single direction"): a candidate
direction (per layer, the difference in means pooled over languages, from the mean over the last
k prompt tokens and, given `position_directions`, from each of those tokens) is chosen on a
*selection* split, disjoint from the prompts that fitted it and from those the result is reported
on, by what it does: ablating it should lower refusal of harmful prompts, adding it should induce
refusal of harmless ones, and ablating it should barely change the next-token distribution on
harmless prompts (KL). Addition is scaled relative to the residual stream's norm at that layer,
so one alpha means the same on every layer and model.

Ablation has two scopes: `every-layer` projects the direction out of every residual write at every
layer (Arditi et al.), `one-layer` out of the candidate's own layer's output only. On the small
refusal-tuned SmolLM2 every-layer ablation removes refusal only with harmless KL of 1.5-6
nats (the model breaks), while one-layer ablation can lower refusal within the 0.1-nat limit, so the
loop selects with the scope it is given and records it. Two more choices, recorded with it: the
ablation's kind (`zero` projects the direction out; `affine` sets its component to the harmless
prompts' mean value, ACE after Marshall et al. 2024, so harmless activations barely move) and its
positions (every position, or only the prompt's last `tail` positions, the chat template's end of
instruction where the direction was fitted, and the generated tokens), and whether positions
carrying a massive activation (the attention sink: SmolLM2's first token, 17-158x the median
norm from block 11 on) are left alone, since projecting a direction out of that huge vector moves
every later attention pattern.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from langgap.analyze.common.activations import Activations, Prompt, tokenize_batch
from langgap.analyze.common.generation import chat_texts
from langgap.analyze.directions.run import RefusalDirections
from langgap.analyze.interventions.run import (
    AblationKind,
    AblationScope,
    Intervention,
    ablation,
    add_direction,
)


def next_token_logprobs(
    model: nn.Module, tokenizer: Any, prompts: Sequence[Prompt], batch_size: int = 16
) -> torch.Tensor:
    """Log-probabilities of the first reply token after each chat-templated prompt: [n, vocab]."""
    device = next(model.parameters()).device
    texts = chat_texts(tokenizer, prompts)
    rows = []
    for start in range(0, len(texts), batch_size):
        batch = tokenize_batch(tokenizer, texts[start : start + batch_size], device)
        with torch.inference_mode():
            logits = model(**batch).logits[:, -1].double()  # left padding: last is the prompt's
        rows.append(torch.log_softmax(logits, dim=-1).cpu())
    return torch.cat(rows)


def harmless_kl(
    model: nn.Module,
    tokenizer: Any,
    prompts: Sequence[Prompt],
    intervention: Intervention,
    *,
    baseline: torch.Tensor | None = None,
    batch_size: int = 16,
) -> float:
    """Mean KL(base ‖ intervened) of the first reply token's distribution (nats).

    Near 0: the intervention leaves the model's behaviour on these prompts alone; large: it
    damages the model beyond refusal. `baseline` reuses already computed base log-probabilities.
    """
    base = (
        baseline
        if baseline is not None
        else next_token_logprobs(model, tokenizer, prompts, batch_size)
    )
    with intervention():
        after = next_token_logprobs(model, tokenizer, prompts, batch_size)
    kl = (base.exp() * (base - after)).sum(dim=-1)
    return float(kl.mean())


def _class_rows(acts: Activations, harmful: bool | None) -> tuple[torch.Tensor, list[int]]:
    """The captured residual stream [n, layers, d] (positions averaged) and the rows of a class."""
    x = acts.tensor.double()
    if x.dim() == 4:
        x = x.mean(dim=2)
    labels = acts.harmful or [None] * len(acts.ids)
    return x, [i for i, h in enumerate(labels) if harmful is None or h is harmful]


def residual_norms(acts: Activations, harmful: bool | None = False) -> dict[int, float]:
    """Mean L2 norm of the captured residual stream per layer (harmless prompts by default)."""
    x, rows = _class_rows(acts, harmful)
    norms = x[rows].norm(dim=-1).mean(dim=0)
    return {layer: float(v) for layer, v in zip(acts.config.layers, norms, strict=True)}


def harmless_means(acts: Activations) -> dict[int, torch.Tensor]:
    """Mean residual stream of the harmless prompts per layer, pooled over every language of
    `acts`: affine ablation's reference for the loop's pooled direction. (`analyze directions`
    keeps one per language instead, `RefusalDirections.harmless_mean`, for each language's own
    direction.)"""
    x, rows = _class_rows(acts, False)
    if not rows:
        raise ValueError("affine ablation needs harmless prompts among the captured activations")
    means = x[rows].mean(dim=0).float()
    return {layer: means[j] for j, layer in enumerate(acts.config.layers)}


MEAN_POSITION = "mean"  # the candidate fitted on the mean over the captured positions


def position_directions(
    acts: Activations,
    languages: Sequence[str],
    layers: Sequence[int],
    *,
    per_position: bool = True,
) -> dict[int, dict[str, torch.Tensor]]:
    """Per layer, the candidate of the mean over the captured token positions (MEAN_POSITION)
    and, with `per_position`, one per position (keyed by its offset, e.g. "-1"): the difference
    in means (harmful - harmless), averaged over languages.

    Every candidate is fitted on every labelled prompt of `acts` (capture the fit split only,
    with reduce="none"), so the mean and the per-position candidates compete on equal data.
    """
    from langgap.languages import counting_code

    x = acts.tensor.double()
    if x.dim() != 4:
        raise ValueError("position candidates need per-position activations (reduce='none')")
    labels = acts.harmful or [None] * len(acts.ids)
    codes = [counting_code(lang) if lang else None for lang in acts.languages]
    per_language = []
    for language in languages:
        code = counting_code(language)
        harm = [i for i, (c, h) in enumerate(zip(codes, labels, strict=True)) if c == code and h]
        safe = [
            i
            for i, (c, h) in enumerate(zip(codes, labels, strict=True))
            if c == code and h is False
        ]
        if not harm or not safe:
            raise ValueError(f"language {code}: needs harmful and harmless prompts in acts")
        per_language.append(x[harm].mean(0) - x[safe].mean(0))  # [layers, k, d]
    pooled = torch.stack(per_language).mean(0)  # [layers, k, d]
    out: dict[int, dict[str, torch.Tensor]] = {}
    for layer in layers:
        at = pooled[acts.config.layers.index(layer)]
        out[layer] = {MEAN_POSITION: at.mean(0).float()}
        if per_position:
            out[layer] |= {
                str(offset): at[k].float() for k, offset in enumerate(acts.config.positions)
            }
    return out


def pooled_direction(dirs: RefusalDirections, layer: int, languages: Sequence[str]) -> torch.Tensor:
    """Mean of the languages' difference-in-means vectors at one layer (one shared candidate)."""
    j = dirs.layer_index(layer)
    rows = [dirs.directions[dirs.language_index(lang), j] for lang in languages]
    pooled: torch.Tensor = torch.stack(rows).mean(dim=0)
    return pooled


def addition(model: nn.Module, direction: torch.Tensor, layer: int, alpha: float) -> Intervention:
    """A factory of the addition context: alpha × unit(direction) after `layer`."""
    return lambda: add_direction(model, direction, layer, alpha)


def no_intervention() -> AbstractContextManager[Any]:
    """The baseline: nothing changed."""
    return nullcontext()


RateFn = Callable[[Sequence[Prompt], Intervention], float]


@dataclass(frozen=True)
class Candidate:
    """One layer's (and token position's) direction on the selection split."""

    layer: int
    ablated_refusal: float  # refusal rate of harmful prompts with the direction ablated (0-1)
    added_refusal: float  # refusal rate of harmless prompts with the direction added (0-1)
    kl: float  # harmless next-token KL under ablation (nats)
    alpha: float  # the absolute alpha used for addition
    eligible: bool  # KL within the limit
    position: str = MEAN_POSITION  # "mean" over the captured positions, or one offset ("-1")


@dataclass(frozen=True)
class Selection:
    """The chosen layer and position and every candidate's scores (all on the selection split)."""

    layer: int
    baseline_refusal: float
    candidates: list[Candidate]
    max_kl: float
    alpha_relative: float
    position: str = MEAN_POSITION
    scope: AblationScope = "every-layer"
    kind: AblationKind = "zero"
    tail: int = 0  # 0: every position; k: the last k prompt positions and the generated tokens
    keep_sink: bool = False  # positions with a massive activation (the attention sink) kept

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


def select_layer(
    model: nn.Module,
    tokenizer: Any,
    dirs: RefusalDirections,
    languages: Sequence[str],
    harmful: Sequence[Prompt],
    harmless: Sequence[Prompt],
    *,
    candidates: Sequence[int],
    norms: dict[int, float],
    refusal_rate: RateFn,
    alpha_relative: float = 1.0,
    max_kl: float = 0.1,
    positions: Mapping[int, Mapping[str, torch.Tensor]] | None = None,
    scope: AblationScope = "every-layer",
    kind: AblationKind = "zero",
    means: Mapping[int, torch.Tensor] | None = None,
    tail: int = 0,
    keep_sink: bool = False,
) -> Selection:
    """The layer (and position) whose pooled direction, ablated, leaves the least refusal on
    harmful prompts, among those whose ablation keeps harmless KL ≤ max_kl; ties go to stronger
    induced refusal.

    `refusal_rate(prompts, intervention)` generates and judges (injected so tests can use a fake
    judge); `norms` gives the residual norm per layer that scales `alpha_relative`. The
    candidates of a layer are `positions[layer]` (from `position_directions`: the mean over
    positions, and with per_position each position's); without them, the mean candidate of
    `dirs` (fitted on its means' share of the prompts). `scope`, `kind`, `means`, `tail` and
    `keep_sink` say how ablation acts (module docstring, `ablation`).
    """
    if not candidates:
        raise ValueError("no candidate layers to select from")
    base_lp = next_token_logprobs(model, tokenizer, harmless)
    baseline = refusal_rate(harmful, no_intervention)
    scored: list[Candidate] = []
    pairs = [
        (layer, position, direction)
        for layer in candidates
        for position, direction in (
            positions[layer].items()
            if positions is not None and layer in positions
            else [(MEAN_POSITION, pooled_direction(dirs, layer, languages))]
        )
    ]
    for layer, position, direction in pairs:
        alpha = alpha_relative * norms[layer]
        ablated = ablation(
            model, direction, layer=layer, scope=scope, kind=kind, harmless_means=means,
            tail=tail, keep_sink=keep_sink,
        )  # fmt: skip
        kl = harmless_kl(model, tokenizer, harmless, ablated, baseline=base_lp)
        scored.append(
            Candidate(
                layer=layer,
                ablated_refusal=refusal_rate(harmful, ablated),
                added_refusal=refusal_rate(harmless, addition(model, direction, layer, alpha)),
                kl=kl,
                alpha=alpha,
                eligible=kl <= max_kl,
                position=position,
            )
        )
    pool = [c for c in scored if c.eligible] or scored  # none within the limit: say so in docs
    best = min(pool, key=lambda c: (c.ablated_refusal, -c.added_refusal, c.kl))
    return Selection(
        layer=best.layer, baseline_refusal=baseline, candidates=scored, max_kl=max_kl,
        alpha_relative=alpha_relative, position=best.position, scope=scope, kind=kind,
        tail=tail, keep_sink=keep_sink,
    )  # fmt: skip
