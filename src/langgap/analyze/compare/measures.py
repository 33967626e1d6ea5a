"""What changed between two checkpoints: paired refusal changes, direction similarity, a ranking."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from langgap.analyze.common.activations import Activations
from langgap.analyze.common.behaviour import LanguageRefusal, RefusalEval, paired_changes
from langgap.analyze.common.checkpoints import CompareError
from langgap.analyze.directions.run import RefusalDirections
from langgap.evaluate.metrics import Aggregate, aggregate_scores
from langgap.languages import counting_code

UNCHANGED_COSINE = 0.9999  # above this at every layer and language, directions did not move


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
        "off_language": row.off_language,
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
    changes = paired_changes(before, after, n_boot=n_boot, seed=seed)
    return BehaviourComparison(before, after, *changes)


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
        """Per layer, the mean over languages of the before/after cosine (undefined skipped)."""
        finite = np.where(np.isfinite(self.cosine), self.cosine, np.nan)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a layer with no defined cosine: NaN
            return np.asarray(np.nanmean(finite, axis=0), dtype=np.float64)

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
    langs = [counting_code(str(lang)) if lang else None for lang in acts.languages]
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
        mean_cosine = directions.mean_cosine()  # the same figure as compare.json's mean_cosine
        for j, layer in enumerate(directions.layers):
            column = directions.cosine[:, j]
            k = int(np.nanargmin(column)) if np.isfinite(column).any() else 0
            layers.append({
                "layer": layer,
                "mean_cosine": _num(mean_cosine[j]),
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
        "became_unclear": c["became_unclear"],
        "became_off_language": c["became_off_language"],
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
        if w["became_unclear"]:
            part += f"; {w['became_unclear']} of its replies became unclear (not judged refusals)"
        if w["became_off_language"]:
            part += (
                f"; {w['became_off_language']} of its replies switched to another language "
                "(not judged refusals)"
            )
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
