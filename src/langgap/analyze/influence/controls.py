"""Controls for "same language ≫ cross language": what shared target tokens alone give.

- shuffled_prompts: every training example keeps its target reply but gets another example's
  prompt (a seeded permutation over the whole set, so mostly another language's). If same-language
  influence survives, the targets carry it, not the prompts.
- same_target: every training example and query gets one target (the first English refusal
  phrasing). What same-language influence is left comes from the prompts alone.

Each control is scored like the main run (its own kronfluence factors) and summarised by the
mean score of same-language and cross-language (training, query) cells.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from langgap.analyze.influence.data import TrainExample
from langgap.analyze.influence.results import LanguageInfluence

CONTROLS = ("shuffled_prompts", "same_target")


def control_sets(
    train: Sequence[TrainExample], queries: Sequence[TrainExample], seed: int = 0
) -> dict[str, tuple[list[TrainExample], list[TrainExample]]]:
    """Training and query sets of each control, by name (see the module docstring)."""
    from langgap.analyze.common.refusal_data import refusal_templates

    order = list(range(len(train)))
    random.Random(seed).shuffle(order)
    shuffled = [replace(t, prompt=train[j].prompt) for t, j in zip(train, order, strict=True)]
    target = refusal_templates()["eng"][0]
    return {
        "shuffled_prompts": (shuffled, list(queries)),
        "same_target": (
            [replace(t, response=target) for t in train],
            [replace(q, response=target) for q in queries],
        ),
    }


def same_vs_cross(langs: LanguageInfluence) -> dict[str, Any]:
    """Mean of the same-language cells (training language = query language) and of the others;
    None where a run has no such cell."""
    same: list[float] = []
    cross: list[float] = []
    for i, t_lang in enumerate(langs.train_languages):
        for j, q_lang in enumerate(langs.query_languages):
            (same if t_lang == q_lang else cross).append(float(langs.mean[i, j]))
    same_mean = float(np.mean(same)) if same else None
    cross_mean = float(np.mean(cross)) if cross else None
    gap = None if same_mean is None or cross_mean is None else same_mean - cross_mean
    return {"same_language": same_mean, "cross_language": cross_mean, "gap": gap}


def write_controls_report(
    main: LanguageInfluence, controls: dict[str, LanguageInfluence], out_dir: Path
) -> list[Path]:
    """controls.json and controls.md: same- vs cross-language mean influence of the main run and
    of each control, side by side."""
    from langgap.report.html import write_text_atomic
    from langgap.report.markdown import MarkdownReport

    rows = {"main": same_vs_cross(main)} | {n: same_vs_cross(c) for n, c in controls.items()}
    data = {"about": (__doc__ or "").strip(), "same_vs_cross": rows}
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [write_text_atomic(out_dir / "controls.json", json.dumps(data, indent=2) + "\n")]
    report = MarkdownReport("Influence controls: what shared targets alone give")
    report.paragraph(
        "Mean influence of same-language and cross-language (training, query) pairs. "
        "shuffled_prompts: targets kept, prompts permuted across the training set; same_target: "
        "one English refusal as every target. A same-language gap that the controls reproduce "
        "is not evidence of language-specific learning."
    )
    report.table(
        ["run", "same language", "cross language", "gap"],
        [
            [name, *(_fmt(r[key]) for key in ("same_language", "cross_language", "gap"))]
            for name, r in rows.items()
        ],
        caption="Same- vs cross-language mean influence",
    )
    paths.append(report.write(out_dir / "controls.md"))
    return paths


def _fmt(value: float | None) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.3g}"
