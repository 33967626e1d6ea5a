"""Export: SFT chat-messages JSONL, DPO prompt/chosen/rejected JSONL, rejects and a dataset card.

Validators gate: an item with any flag (a failed check), a near-duplicate or a failed item is
not exported; it goes to `rejects.jsonl` with one reason per problem. `keep_flagged` exports
flagged items anyway (the card says so); failed items and near-duplicates stay out whatever the
setting. Items whose final response equals the original have no preference to learn and go to
SFT only. Rows are flat (strings and string lists), so `datasets.load_dataset("json", ...)` reads
them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langgap._io import atomic_write_text
from langgap.datagen.constitution import Constitution
from langgap.datagen.items import DataItem, write_jsonl

if TYPE_CHECKING:
    from langgap.datagen.validate import ValidationSummary

DISCLAIMER = (
    "This dataset is synthetic: prompts, responses, critiques and revisions were written by "
    "language models, guided by the constitution below, and checked only by automatic "
    "validators. It may contain harmful text (the `rejected` side by design) and errors. Have "
    "speakers of each language review it before training on it."
)


def flags(item: DataItem) -> list[str]:
    """The failed checks of an item (a near-duplicate is reported by `rejection_reasons`)."""
    return [f for f in item.validation.get("flags", []) if f != "duplicate"]


def exportable(item: DataItem, keep_flagged: bool = False) -> bool:
    """True for a finished item that is not a near-duplicate and (unless kept) has no flag."""
    if item.status != "ok" or item.validation.get("duplicate_of"):
        return False
    return keep_flagged or not flags(item)


def _detail(check: dict[str, Any]) -> str:
    # the check's measurements, without the judge's rationale (it may quote the response)
    shown = {k: v for k, v in check.items() if k not in ("ok", "rationale") and v not in ("", [])}
    return ", ".join(f"{k} {v}" for k, v in shown.items())


def rejection_reasons(item: DataItem) -> list[str]:
    """One line per reason the item is kept out of SFT/DPO (with `keep_flagged` off)."""
    if item.status != "ok":
        return [f"failed: {item.error or 'no error recorded'}"]
    reasons = []
    if item.validation.get("duplicate_of"):
        reasons.append(f"duplicate: near-duplicate of {item.validation['duplicate_of']}")
    checks = item.validation.get("checks", {})
    reasons += [f"{name}: {_detail(checks.get(name, {}))}" for name in flags(item)]
    return reasons


def reject_rows(items: Sequence[DataItem], keep_flagged: bool = False) -> list[dict[str, Any]]:
    """Every item kept out of the exports, with its reasons and the checks it failed."""
    rows = []
    for item in items:
        if exportable(item, keep_flagged):
            continue
        checks = item.validation.get("checks", {})
        failed = {name: checks[name] for name in flags(item) if name in checks}
        rows.append(
            {
                **_meta(item),
                "status": item.status,
                "reasons": rejection_reasons(item),
                "checks": failed,
                "prompt": item.prompt,
                "chosen": item.chosen,
                "rejected": item.rejected,
            }
        )
    return rows


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


def sft_rows(items: Sequence[DataItem], keep_flagged: bool = False) -> list[dict[str, Any]]:
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
        if exportable(item, keep_flagged)
    ]


def dpo_rows(items: Sequence[DataItem], keep_flagged: bool = False) -> list[dict[str, Any]]:
    """prompt / chosen / rejected rows for preference training (revised items only)."""
    return [
        {"prompt": item.prompt, "chosen": item.chosen, "rejected": item.rejected, **_meta(item)}
        for item in items
        if exportable(item, keep_flagged) and item.revised
    ]


def export_all(
    items: Sequence[DataItem],
    out: Path,
    constitution: Constitution,
    stage_models: Mapping[str, str],
    validation: ValidationSummary,
    *,
    keep_flagged: bool = False,
) -> dict[str, Path]:
    """Write dataset.jsonl (every item with its trail and checks), sft, dpo, rejects, card and
    summary; flagged items go to rejects unless `keep_flagged`."""
    sft, dpo = sft_rows(items, keep_flagged), dpo_rows(items, keep_flagged)
    rejects = reject_rows(items, keep_flagged)
    files = {
        "dataset": out / "dataset.jsonl",
        "sft": out / "sft.jsonl",
        "dpo": out / "dpo.jsonl",
        "rejects": out / "rejects.jsonl",
        "card": out / "README.md",
        "summary": out / "summary.json",
    }
    write_jsonl(files["dataset"], [item.model_dump(mode="json") for item in items])
    write_jsonl(files["sft"], sft)
    write_jsonl(files["dpo"], dpo)
    write_jsonl(files["rejects"], rejects)
    validation["n_sft"], validation["n_dpo"] = len(sft), len(dpo)
    validation["n_rejected"], validation["keep_flagged"] = len(rejects), keep_flagged
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
        "n_flagged": sum(1 for i in ok if flags(i)),
        "by_language": dict(sorted(Counter(i.language_tag for i in ok).items())),
        "by_category": dict(sorted(Counter(i.category or "(none)" for i in ok).items())),
        "by_mode": dict(sorted(Counter(i.mode for i in ok).items())),
    }


def _flagged_policy(n_flagged: int, keep_flagged: bool) -> str:
    if keep_flagged:
        return (
            f"**Flagged items are included** (`--keep-flagged`): {n_flagged} items failed at "
            "least one validator and are exported unless they are near-duplicates; each row's "
            "`flags` field names the checks."
        )
    return "Flagged items are excluded from SFT and DPO (the default; `--keep-flagged` keeps them)."


def _table(header: tuple[str, ...], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def dataset_card(
    items: Sequence[DataItem],
    constitution: Constitution,
    stage_models: Mapping[str, str],
    validation: ValidationSummary,
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
        f"{counts['n_duplicates']} near-duplicates excluded, {counts['n_flagged']} flagged by "
        f"a validator; exported {validation.get('n_sft', 0)} SFT rows and "
        f"{validation.get('n_dpo', 0)} DPO pairs; {validation.get('n_rejected', 0)} items in "
        "`rejects.jsonl` with their reasons.",
        _flagged_policy(counts["n_flagged"], bool(validation.get("keep_flagged"))),
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
