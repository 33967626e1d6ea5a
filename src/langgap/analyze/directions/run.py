"""Refusal directions per language and layer: difference in means, quality, cross-lingual cosine."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from langgap.analyze.common.activations import Activations
from langgap.languages import counting_code


class DirectionError(ValueError):
    """Activations that cannot give a refusal direction: missing labels, languages or layers."""


@dataclass(frozen=True)
class Counts:
    """Prompts used per class: train for the mean difference, select to choose the best layer,
    test for the reported quality (select = test when too few prompts are held out to split)."""

    train_harmful: int
    train_harmless: int
    test_harmful: int
    test_harmless: int
    select_harmful: int = 0
    select_harmless: int = 0
    select_disjoint: bool = False  # False: the layer was chosen on the reported prompts


@dataclass
class RefusalDirections:
    """Difference-in-means refusal directions [n_languages, n_layers, d] with their quality."""

    languages: list[str]
    layers: list[int]
    directions: torch.Tensor  # unnormalised: mean(harmful) - mean(harmless) on the train split
    auroc: NDArray[np.float64]  # [n_languages, n_layers], projection AUROC on the report split
    cohens_d: NDArray[np.float64]  # [n_languages, n_layers], held-out Cohen's d
    counts: dict[str, Counts]
    holdout: float
    seed: int
    source: dict[str, Any]  # the activations' capture config
    # controls: what prompt length alone gives, and the cosines noise alone gives
    length_auroc: NDArray[np.float64] | None = None  # [n_languages], held-out, token count only
    split_half_cosine: NDArray[np.float64] | None = None  # [n_languages, n_layers]
    shuffled_cosine: NDArray[np.float64] | None = None  # [n_layers], cross-language, no labels
    residual_norm: NDArray[np.float64] | None = None  # [n_layers], mean over harmless prompts
    # AUROC on the selection split (held out, disjoint from the reported prompts when they allow)
    select_auroc: NDArray[np.float64] | None = None  # [n_languages, n_layers]
    # [n_languages, n_layers, d]: each language's mean activation over the harmless prompts its
    # direction was fitted against (its train split); affine ablation's reference
    harmless_mean: torch.Tensor | None = None

    def relative_alpha(self, layer: int, relative: float) -> float:
        """An addition scale given as a multiple of the mean residual norm at `layer`."""
        if self.residual_norm is None:
            raise DirectionError("these directions carry no residual norms; rerun `directions`")
        return relative * float(self.residual_norm[self.layer_index(layer)])

    def require_harmless_mean(self, where: str | Path = "these directions") -> torch.Tensor:
        """`harmless_mean`, or an error naming `where` (e.g. the folder) and how to get it
        (older directions lack it)."""
        if self.harmless_mean is None:
            raise DirectionError(
                f"{where}: no harmless mean activations (saved before they were kept), which "
                "affine ablation needs; rerun `langgap analyze directions` to save them"
            )
        return self.harmless_mean

    def harmless_means(self, language: str) -> dict[int, torch.Tensor]:
        """One language's mean harmless activation per model layer (see `harmless_mean`)."""
        row = self.require_harmless_mean()[self.language_index(language)]
        return {layer: row[j] for j, layer in enumerate(self.layers)}

    def unit(self) -> torch.Tensor:
        """Directions scaled to unit length."""
        norm = self.directions.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        unit: torch.Tensor = self.directions / norm
        return unit

    def layer_index(self, layer: int) -> int:
        """Position of a model layer in `layers`, or an error naming the captured layers."""
        if layer not in self.layers:
            raise DirectionError(f"layer {layer} was not captured; available layers: {self.layers}")
        return self.layers.index(layer)

    def direction(self, language: str, layer: int) -> torch.Tensor:
        """The unit refusal direction of one language at one model layer."""
        return self.unit()[self.language_index(language), self.layer_index(layer)]

    def language_index(self, language: str) -> int:
        """Position of a language (any code or name) in `languages`."""
        code = counting_code(language)
        if code not in self.languages:
            raise DirectionError(
                f"language {language!r} has no direction; available: {', '.join(self.languages)}"
            )
        return self.languages.index(code)

    def cosine(self, layer: int) -> NDArray[np.float64]:
        """Language × language cosine similarity of the directions at one model layer."""
        u = self.unit()[:, self.layer_index(layer)].double()
        return (u @ u.T).numpy()

    def cosine_by_layer(self) -> NDArray[np.float64]:
        """Cosine matrices for every captured layer: [n_layers, n_languages, n_languages]."""
        u = self.unit().double().transpose(0, 1)  # [layers, languages, d]
        return (u @ u.transpose(1, 2)).numpy()

    def mean_cross_cosine(self) -> NDArray[np.float64]:
        """Per layer, the mean cosine over distinct language pairs (NaN with one language)."""
        cos = self.cosine_by_layer()
        n = len(self.languages)
        if n < 2:
            return np.full(len(self.layers), np.nan)
        off = ~np.eye(n, dtype=bool)
        return np.asarray(cos[:, off].mean(axis=1), dtype=np.float64)

    def best_layer(self, language: str | None = None) -> int:
        """The model layer whose direction separates the selection prompts best (mean over
        languages); directions saved before the selection split choose on the reported AUROC."""
        chosen_on = self.auroc if self.select_auroc is None else self.select_auroc
        rows = chosen_on if language is None else chosen_on[[self.language_index(language)]]
        score = np.nan_to_num(rows.mean(axis=0), nan=-1.0)
        return self.layers[int(np.argmax(score))]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary: config, counts, quality and cosine matrices (directions omitted)."""
        return {
            "method": (
                "difference in means (harmful - harmless); best layer chosen by AUROC on a "
                "selection half of the held-out prompts, quality reported on the other half"
            ),
            "languages": self.languages,
            "layers": self.layers,
            "holdout": self.holdout,
            "seed": self.seed,
            "source": self.source,
            "counts": {lang: vars(c) for lang, c in self.counts.items()},
            "direction_norm": _jsonable(self.directions.norm(dim=-1).double().numpy()),
            "auroc": _jsonable(self.auroc),
            "cohens_d": _jsonable(self.cohens_d),
            "select_auroc": _optional(self.select_auroc),
            "best_layer": self.best_layer(),
            "best_layer_chosen_on": "select_auroc" if self.select_auroc is not None else "auroc",
            "selection_disjoint_from_report": all(c.select_disjoint for c in self.counts.values()),
            "cosine_by_layer": {
                str(layer): _jsonable(m)
                for layer, m in zip(self.layers, self.cosine_by_layer(), strict=True)
            },
            "mean_cross_cosine": _jsonable(self.mean_cross_cosine()),
            "residual_norm": _optional(self.residual_norm),
            "controls": {
                "length_auroc": _optional(self.length_auroc),
                "split_half_cosine": _optional(self.split_half_cosine),
                "shuffled_label_cross_cosine": _optional(self.shuffled_cosine),
                "about": (
                    "length_auroc: held-out AUROC of the prompt's token count alone (oriented on "
                    "the train split); split_half_cosine: cosine of directions fitted on two "
                    "halves of a language's train split (the ceiling noise allows); "
                    "shuffled_label_cross_cosine: mean cross-language cosine when harmful/"
                    "harmless labels are shuffled (the floor)"
                ),
            },
        }


def refusal_directions(
    acts: Activations,
    languages: Sequence[str] | None = None,
    *,
    holdout: float = 0.25,
    seed: int = 0,
) -> RefusalDirections:
    """Difference-in-means refusal direction per language and layer, scored on held-out prompts.

    A `holdout` share of each language's harmful and harmless prompts (at least one each) is kept
    out of the means. It is halved: the selection half scores each layer to choose the best one
    (`select_auroc`), the report half gives the AUROC and Cohen's d that are reported, so the
    reported quality of the best layer is not the score that chose it. With a single held-out
    prompt of a class both halves are that prompt (recorded as `select_disjoint=False`).

    >>> dirs = refusal_directions(capture(model, tok, prompts, positions=last_k(5)))
    >>> dirs.cosine(dirs.best_layer())
    """
    if not 0.0 < holdout < 1.0:
        raise DirectionError(f"holdout must be between 0 and 1 (exclusive), got {holdout}")
    x = _pooled(acts)
    labels = acts.harmful or [None] * len(acts.ids)
    data_langs = [counting_code(lang) if lang else None for lang in acts.languages]
    available = sorted({lang for lang in data_langs if lang})
    chosen = _choose_languages(languages, available)
    gen = torch.Generator().manual_seed(seed)
    control_gen = torch.Generator().manual_seed(seed + 1)  # controls leave the splits as they were
    lengths = torch.tensor(acts.lengths, dtype=torch.float64) if acts.lengths else None
    dirs, means, aurocs, ds, select_aurocs, counts = [], [], [], [], [], {}
    length_aurocs, halves, shuffled = [], [], []
    for lang in chosen:
        harm, safe = _labelled_rows(lang, data_langs, labels)
        harm_tr, harm_out = _split(harm, holdout, gen)
        safe_tr, safe_out = _split(safe, holdout, gen)
        (harm_sel, harm_te), (safe_sel, safe_te) = _halves(harm_out), _halves(safe_out)
        direction = x[harm_tr].mean(0) - x[safe_tr].mean(0)  # [layers, d]
        dirs.append(direction.float())
        means.append(x[safe_tr].mean(0).float())
        auroc, d = _held_out_separation(x, direction, harm_te, safe_te)
        aurocs.append(auroc)
        ds.append(d)
        select_aurocs.append(_held_out_separation(x, direction, harm_sel, safe_sel)[0])
        disjoint = not set(harm_sel + safe_sel) & set(harm_te + safe_te)
        counts[lang] = Counts(len(harm_tr), len(safe_tr), len(harm_te), len(safe_te),
                              len(harm_sel), len(safe_sel), disjoint)  # fmt: skip
        halves.append(_split_half_cosine(x, harm_tr, safe_tr, control_gen))
        shuffled.append(_shuffled_direction(x, harm_tr, safe_tr, control_gen))
        if lengths is not None:
            length_aurocs.append(_length_auroc(lengths, harm_tr, safe_tr, harm_te, safe_te))
    return RefusalDirections(
        languages=chosen,
        layers=list(acts.config.layers),
        directions=torch.stack(dirs),
        auroc=np.asarray(aurocs, dtype=np.float64),
        cohens_d=np.asarray(ds, dtype=np.float64),
        counts=counts,
        holdout=holdout,
        seed=seed,
        source=acts.metadata()["config"],
        length_auroc=np.asarray(length_aurocs, dtype=np.float64) if lengths is not None else None,
        split_half_cosine=np.asarray(halves, dtype=np.float64),
        shuffled_cosine=_mean_pair_cosine(torch.stack(shuffled)),
        residual_norm=_harmless_norm(x, labels),
        select_auroc=np.asarray(select_aurocs, dtype=np.float64),
        harmless_mean=torch.stack(means),
    )


def _pooled(acts: Activations) -> torch.Tensor:
    """The activations as [n, layers, d] in float64, position-averaged when there are several."""
    x = acts.tensor.double()
    if x.dim() == 4:  # [n, layers, k, d]: the direction lives in the mean over the k positions
        x = x.mean(dim=2)
    if x.dim() != 3 or x.shape[0] != len(acts.ids):
        raise DirectionError(f"activations of shape {list(acts.tensor.shape)} do not match ids")
    return x


def _labelled_rows(
    lang: str, data_langs: Sequence[str | None], labels: Sequence[bool | None]
) -> tuple[list[int], list[int]]:
    """A language's harmful and harmless rows; at least two of each, or DirectionError."""
    rows = [i for i, code in enumerate(data_langs) if code == lang]
    harm = [i for i in rows if labels[i] is True]
    safe = [i for i in rows if labels[i] is False]
    if len(harm) < 2 or len(safe) < 2:
        raise DirectionError(
            f"language {lang}: needs at least 2 harmful and 2 harmless labelled prompts "
            f"(has {len(harm)} and {len(safe)}); capture Prompt objects with `harmful` set"
        )
    return harm, safe


def _held_out_separation(
    x: torch.Tensor, direction: torch.Tensor, harm_te: list[int], safe_te: list[int]
) -> tuple[list[float], list[float]]:
    """AUROC and Cohen's d per layer of held-out projections onto the (unit) direction."""
    unit = direction / direction.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    proj_h = torch.einsum("nld,ld->nl", x[harm_te], unit).numpy()
    proj_s = torch.einsum("nld,ld->nl", x[safe_te], unit).numpy()
    aurocs = [_auroc(proj_h[:, j], proj_s[:, j]) for j in range(x.shape[1])]
    ds = [_cohens_d(proj_h[:, j], proj_s[:, j]) for j in range(x.shape[1])]
    return aurocs, ds


def _harmless_norm(x: torch.Tensor, labels: Sequence[bool | None]) -> NDArray[np.float64]:
    """Per layer, the mean L2 norm of the residual stream over the harmless prompts."""
    rows = [i for i, harmful in enumerate(labels) if harmful is False]
    return np.asarray(x[rows].norm(dim=-1).mean(dim=0).numpy(), dtype=np.float64)


def _split_half_cosine(
    x: torch.Tensor, harm: list[int], safe: list[int], gen: torch.Generator
) -> list[float]:
    """Per layer, cosine of the directions fitted on two random halves of the train prompts."""
    if min(len(harm), len(safe)) < 2:
        return [math.nan] * x.shape[1]
    h1, h2 = _split(harm, 0.5, gen)
    s1, s2 = _split(safe, 0.5, gen)
    a = x[h1].mean(0) - x[s1].mean(0)
    b = x[h2].mean(0) - x[s2].mean(0)
    cos = torch.nn.functional.cosine_similarity(a, b, dim=-1)
    return [float(v) for v in cos]


def _shuffled_direction(
    x: torch.Tensor, harm: list[int], safe: list[int], gen: torch.Generator
) -> torch.Tensor:
    """A difference in means with the harmful/harmless labels shuffled: [layers, d], unit."""
    rows = harm + safe
    order = [rows[i] for i in torch.randperm(len(rows), generator=gen).tolist()]
    d = x[order[: len(harm)]].mean(0) - x[order[len(harm) :]].mean(0)
    unit: torch.Tensor = d / d.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    return unit


def _mean_pair_cosine(units: torch.Tensor) -> NDArray[np.float64] | None:
    """Per layer, the mean cosine over distinct language pairs of [languages, layers, d] units."""
    n = units.shape[0]
    if n < 2:
        return None
    cos = torch.einsum("ild,jld->lij", units, units).numpy()
    off = ~np.eye(n, dtype=bool)
    return np.asarray(cos[:, off].mean(axis=1), dtype=np.float64)


def _length_auroc(
    lengths: torch.Tensor, harm_tr: list[int], safe_tr: list[int], harm_te: list[int],
    safe_te: list[int],
) -> float:  # fmt: skip
    """Held-out AUROC of token count alone, its sign (longer = harmful or not) set on train."""
    sign = 1.0 if lengths[harm_tr].mean() >= lengths[safe_tr].mean() else -1.0
    return _auroc(
        (sign * lengths[harm_te]).numpy().astype(np.float64),
        (sign * lengths[safe_te]).numpy().astype(np.float64),
    )


def _optional(array: NDArray[np.float64] | None) -> Any:
    return None if array is None else _jsonable(array)


def _array_or_none(value: Any) -> NDArray[np.float64] | None:
    # JSON null (an undefined score) back to NaN, at any depth
    def nan(v: Any) -> Any:
        return [nan(x) for x in v] if isinstance(v, list) else (np.nan if v is None else v)

    return None if value is None else np.asarray(nan(value), dtype=np.float64)


def _choose_languages(wanted: Sequence[str] | None, available: list[str]) -> list[str]:
    if not available:
        raise DirectionError("the activations carry no languages; capture Prompt objects")
    if wanted is None:
        return available
    chosen = [counting_code(w) for w in wanted]
    missing = [w for w, c in zip(wanted, chosen, strict=True) if c not in available]
    if missing:
        raise DirectionError(
            f"language(s) {', '.join(missing)} not in the activations; "
            f"available: {', '.join(available)}"
        )
    return chosen


def _split(rows: list[int], holdout: float, gen: torch.Generator) -> tuple[list[int], list[int]]:
    order = [rows[i] for i in torch.randperm(len(rows), generator=gen).tolist()]
    n_test = min(max(1, round(len(rows) * holdout)), len(rows) - 1)
    return order[n_test:], order[:n_test]


def _halves(held_out: list[int]) -> tuple[list[int], list[int]]:
    """Held-out rows (already in random order) as (select, report); the report half gets the odd
    one. A single row serves both: the best layer is then chosen on the reported prompt."""
    if len(held_out) < 2:
        return held_out, held_out
    n_select = len(held_out) // 2
    return held_out[:n_select], held_out[n_select:]


def _auroc(pos: NDArray[np.float64], neg: NDArray[np.float64]) -> float:
    # Mann-Whitney form: the share of (harmful, harmless) pairs ranked right, ties counting half.
    greater = (pos[:, None] > neg[None, :]).mean()
    ties = (pos[:, None] == neg[None, :]).mean()
    return float(greater + 0.5 * ties)


def _cohens_d(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    # Pooled SD needs two values per group; with one, fall back to the population SD.
    ddof = 1 if min(len(a), len(b)) > 1 else 0
    dof = len(a) + len(b) - 2 * ddof
    pooled = ((len(a) - ddof) * a.var(ddof=ddof) + (len(b) - ddof) * b.var(ddof=ddof)) / dof
    sd = math.sqrt(pooled) if dof > 0 else 0.0
    return float((a.mean() - b.mean()) / sd) if sd > 0 else math.nan


def _jsonable(array: NDArray[np.float64]) -> Any:
    # JSON has no NaN: an undefined score is written as null.
    return (
        [_jsonable(row) for row in array]
        if array.ndim > 1
        else [None if not math.isfinite(float(v)) else round(float(v), 6) for v in array]
    )


def fitted_ids(folder: str | Path) -> frozenset[str] | None:
    """Ids of the prompts that fitted (and scored) a directions folder's directions, from its
    config.json; None when it records none (written before the ids were kept)."""
    path = Path(folder) / "config.json"
    try:
        settings = json.loads(path.read_text(encoding="utf-8")).get("settings", {})
    except (OSError, ValueError, AttributeError):
        return None
    ids = settings.get("prompt_ids") if isinstance(settings, dict) else None
    return frozenset(str(i) for i in ids) if isinstance(ids, list) else None


def load_directions(folder: str | Path) -> RefusalDirections:
    """Read the directions a report folder holds (directions.json + directions.safetensors)."""
    from safetensors.torch import load_file

    folder = Path(folder)
    summary, tensors = folder / "directions.json", folder / "directions.safetensors"
    missing = [p.name for p in (summary, tensors) if not p.is_file()]
    if missing:
        raise DirectionError(
            f"{folder}: missing {', '.join(missing)}; run `langgap analyze directions --out "
            f"{folder}` first"
        )
    data = json.loads(summary.read_text(encoding="utf-8"))
    saved = load_file(str(tensors))
    return RefusalDirections(
        languages=list(data["languages"]),
        layers=[int(layer) for layer in data["layers"]],
        directions=saved["directions"],
        auroc=np.asarray(data["auroc"], dtype=np.float64),
        cohens_d=np.asarray(data["cohens_d"], dtype=np.float64),
        counts={lang: Counts(**c) for lang, c in data["counts"].items()},
        holdout=float(data["holdout"]),
        seed=int(data["seed"]),
        source=dict(data["source"]),
        length_auroc=_array_or_none(data.get("controls", {}).get("length_auroc")),
        residual_norm=_array_or_none(data.get("residual_norm")),
        split_half_cosine=_array_or_none(data.get("controls", {}).get("split_half_cosine")),
        shuffled_cosine=_array_or_none(data.get("controls", {}).get("shuffled_label_cross_cosine")),
        select_auroc=_array_or_none(data.get("select_auroc")),
        harmless_mean=saved.get("harmless_mean"),  # absent from files saved before it was kept
    )
