"""Per-item predictions of a judge evaluation, so anyone can recompute its figures."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langgap._io import atomic_write_text
from langgap.evaluate.judge_eval.data import LabelledItem
from langgap.evaluate.judge_eval.metrics import Judged
from langgap.evaluate.judges.verdicts import Verdict

FIELDS = (
    "id", "language", "source", "human_label", "human_raw", "decision", "judge", "label",
    "action", "outcome", "harm", "unsupported", "evidence", "rationale",
)  # fmt: skip


def prediction_rows(
    items: Sequence[LabelledItem], verdicts: Sequence[Verdict], judged: Sequence[Judged]
) -> list[dict[str, Any]]:
    """One row per item: the human label, the judge's decision in the data set's view (positive,
    negative, unclear) and the verdict behind it. Prompts and responses are left out."""
    rows = []
    for item, verdict, pair in zip(items, verdicts, judged, strict=True):
        raw = item.extra.get("action", item.extra.get("xstest_label", item.extra.get("raw_label")))
        rows.append({
            "id": item.id, "language": item.language, "source": item.source,
            "human_label": item.label, "human_raw": raw, "decision": pair.decision,
            "judge": verdict.judge, "label": verdict.label, "action": verdict.action,
            "outcome": verdict.outcome, "harm": verdict.harm, "unsupported": verdict.unsupported,
            "evidence": verdict.evidence, "rationale": verdict.rationale,
        })  # fmt: skip
    return rows


def write_predictions(
    path: Path, items: Sequence[LabelledItem], verdicts: Sequence[Verdict], judged: Sequence[Judged]
) -> Path:
    """Write the rows as JSONL (`.jsonl`) or CSV (anything else), atomically."""
    rows = prediction_rows(items, verdicts, judged)
    if path.suffix == ".jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = buffer.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
    return path
