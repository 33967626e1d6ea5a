"""The terminal report at 80 columns: nothing cut with "…", n and intervals shown."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from langgap.evaluate.metrics import summarize
from langgap.evaluate.report import EvalReport, _columns
from langgap.evaluate.report_terminal import print_report
from langgap.evaluate.results import results_from_records

MODELS = ("openai-api/vllm/meta-llama/Llama-3.1-8B-Instruct", "anthropic/claude-3-5-haiku-latest")
LANGUAGES = ("eng", "ben", "swa", "jav", "ara", "zho", "hin", "tha", "kor", "vie", "ita")


def _records() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for m, model in enumerate(MODELS):
        for k, lang in enumerate(LANGUAGES):
            for i in range(12):
                safe = int((i + k + m) % 4 != 0) if lang != "ben" else 0
                rows.append({"model": model, "language": lang, "pair_id": str(i), "safe": safe})
            rows.append({"model": model, "language": lang, "pair_id": "x", "safe": None})
            rows.append({"model": model, "language": lang, "pair_id": "h", "harmful": False,
                         "safe": 1, "refused": int(k % 2 == 0)})  # fmt: skip
        rows.append({"model": model, "language": "ara", "pair_id": "0", "variant": "arabizi",
                     "safe": 1})  # fmt: skip
    return rows


def _render(report: EvalReport) -> str:
    console = Console(width=80, record=True, file=io.StringIO())
    print_report(console, report)
    return console.export_text()


def test_terminal_report_is_readable_at_80_columns() -> None:
    summary = summarize(results_from_records(_records()), thresholds=60.0, n_boot=20)
    report = EvalReport(summary, (), _columns(summary), frozenset({0}), ())
    text = _render(report)
    assert "…" not in text
    assert all(len(line) <= 80 for line in text.splitlines())
    for model in MODELS:
        assert f"Model: {model}" in text  # the whole name, on one line
    ben = next(line for line in text.splitlines() if line.startswith("ben "))
    # Bengali: 0 of 13 judged safe (12 harmful + 1 unclear), Wilson 95% interval 0.0-22.8
    assert ben.split()[:4] == ["ben", "0.0", "0.0–22.8", "13"]
    assert "95% CI" in text and " n " in text and "Unclear" in text
    assert "ara/arabizi" in text and "FAIL" in text and "False sense of safety" in text
    assert "Over-refusal (harmless prompts)" in text
