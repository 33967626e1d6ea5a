"""Export: SFT chat-messages JSONL, DPO prompt/chosen/rejected JSONL, and a dataset card.

Failed items and near-duplicates are never exported (the card counts them); items whose final
response equals the original have no preference to learn and go to SFT only. Rows are flat
(strings and string lists), so `datasets.load_dataset("json", data_files=...)` reads them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from langgap._io import atomic_write_text
from langgap.datagen.constitution import Constitution
from langgap.datagen.items import DataItem, write_jsonl

DISCLAIMER = (
    "This dataset is synthetic: prompts, responses, critiques and revisions were written by "
    "language models, guided by the constitution below, and checked only by automatic "
    "validators. It may contain harmful text (the `rejected` side by design) and errors. Have "
    "speakers of each language review it before training on it."
)


def exportable(item: DataItem) -> bool:
    """True for items that finished and are not near-duplicates of another item."""
    return item.status == "ok" and not item.validation.get("duplicate_of")


def _meta(item: DataItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "language": item.language,
        "language_tag": item.language_tag,
        "category": item.category or "",
        "harmful": item.harmful,
        "mode": item.mode,
        "flags": list(item.validation.get("flags", [])),
    }


def sft_rows(items: Sequence[DataItem]) -> list[dict[str, Any]]:
    """Chat-messages rows: the prompt and the final (chosen) response."""
    return [
        {
            "messages": [
                {"role": "user", "content": item.prompt},
                {"role": "assistant", "content": item.chosen},
            ],
            **_meta(item),
        }
        for item in items
        if exportable(item)
    ]


def dpo_rows(items: Sequence[DataItem]) -> list[dict[str, Any]]:
    """prompt / chosen / rejected rows for preference training (revised items only)."""
    return [
        {"prompt": item.prompt, "chosen": item.chosen, "rejected": item.rejected, **_meta(item)}
        for item in items
        if exportable(item) and item.revised
    ]


def export_all(
    items: Sequence[DataItem],
    out: Path,
    constitution: Constitution,
    stage_models: Mapping[str, str],
    validation: dict[str, Any],
) -> dict[str, Path]:
    """Write dataset.jsonl (every item with its trail and checks), sft, dpo, card and summary."""
    sft, dpo = sft_rows(items), dpo_rows(items)
    files = {
        "dataset": out / "dataset.jsonl",
        "sft": out / "sft.jsonl",
        "dpo": out / "dpo.jsonl",
        "card": out / "README.md",
        "summary": out / "summary.json",
    }
    write_jsonl(files["dataset"], [item.model_dump(mode="json") for item in items])
    write_jsonl(files["sft"], sft)
    write_jsonl(files["dpo"], dpo)
    validation.update(n_sft=len(sft), n_dpo=len(dpo))
    card = dataset_card(items, constitution, stage_models, validation)
    atomic_write_text(files["card"], card)
    summary = {"validation": validation, "models": dict(stage_models), **_counts(items)}
    atomic_write_text(files["summary"], json.dumps(summary, indent=2, ensure_ascii=False))
    return files


def _counts(items: Sequence[DataItem]) -> dict[str, Any]:
    ok = [i for i in items if i.status == "ok"]
    return {
        "n_items": len(items),
        "n_failed": len(items) - len(ok),
        "n_duplicates": sum(1 for i in ok if i.validation.get("duplicate_of")),
        "by_language": dict(sorted(Counter(i.language_tag for i in ok).items())),
        "by_category": dict(sorted(Counter(i.category or "(none)" for i in ok).items())),
        "by_mode": dict(sorted(Counter(i.mode for i in ok).items())),
    }


def _table(header: tuple[str, ...], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def dataset_card(
    items: Sequence[DataItem],
    constitution: Constitution,
    stage_models: Mapping[str, str],
    validation: dict[str, Any],
) -> str:
    """The Markdown card: counts, validator outcomes, constitution, models, disclaimer."""
    counts = _counts(items)
    example = (
        "**Yes — an EXAMPLE constitution, to be replaced by principles from experts of each "
        "culture. Do not train production models on this data.**"
        if constitution.example
        else "No"
    )
    checks = validation.get("checks", {})
    parts = [
        "# langgap synthetic multilingual safety data",
        f"> {DISCLAIMER}",
        "## Counts",
        f"{counts['n_items']} items, {counts['n_failed']} failed, "
        f"{counts['n_duplicates']} near-duplicates excluded; exported "
        f"{validation.get('n_sft', 0)} SFT rows and {validation.get('n_dpo', 0)} DPO pairs.",
        _table(("language", "items"), list(counts["by_language"].items())),
        _table(("category", "items"), list(counts["by_category"].items())),
        _table(("mode", "items"), list(counts["by_mode"].items())),
        "## Validator outcomes",
        _table(
            ("check", "pass", "fail", "not checked"),
            [
                (name, c.get("pass", 0), c.get("fail", 0), c.get("not_checked", 0))
                for name, c in checks.items()
            ],
        ),
        "Flags: "
        + (", ".join(f"{k} {v}" for k, v in validation.get("flags", {}).items()) or "none"),
        "## Constitution",
        f"`{constitution.name}` version {constitution.version}, "
        f"{len(constitution.principles)} principles. Example constitution: {example}",
        _table(
            ("principle", "category", "applies to"),
            [(p.id, p.category, ", ".join(p.applies_to)) for p in constitution.principles],
        ),
        "## Models per stage",
        _table(("stage", "model"), list(stage_models.items())),
    ]
    return "\n\n".join(parts) + "\n"
