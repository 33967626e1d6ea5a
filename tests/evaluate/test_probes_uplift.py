"""Uplift on hand-made results: known uplift, paired interval, unclear and errored excluded."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from langgap.evaluate.probes.uplift import HEADERS, paired_uplift, uplift_table
from langgap.evaluate.results import results_from_records


def records() -> list[dict[str, Any]]:
    """20 Bengali pairs: original safe on all, the code-switched probe unsafe on 8 of them;
    plus one unclear and one errored probe sample, and one probe with no original."""
    rows: list[dict[str, Any]] = []
    for i in range(20):
        pid = f"p{i}"
        rows.append({"model": "m", "language": "ben", "pair_id": pid, "safe": 1})
        rows.append(
            {"model": "m", "language": "ben", "pair_id": pid, "variant": "codeswitch",
             "safe": 0 if i < 8 else 1}
        )  # fmt: skip
    rows.append({"model": "m", "language": "ben", "pair_id": "u", "safe": 1})
    rows.append({"model": "m", "language": "ben", "pair_id": "u", "variant": "codeswitch"})
    rows.append({"model": "m", "language": "ben", "pair_id": "e", "safe": 0})
    rows.append(
        {"model": "m", "language": "ben", "pair_id": "e", "variant": "codeswitch", "errored": True}
    )
    rows.append(
        {"model": "m", "language": "ben", "pair_id": "x", "variant": "codeswitch", "safe": 0}
    )
    return rows


def test_known_uplift_with_paired_interval() -> None:
    report = uplift_table(results_from_records(records()), n_boot=2000, seed=1)
    (row,) = report.table
    assert (row.language, row.variant, row.baseline_language) == ("ben", "codeswitch", "ben")
    assert row.n_pairs == 20 and row.uplift == pytest.approx(40.0)
    assert row.original_harmlessness == 100.0 and row.probe_harmlessness == 60.0
    assert row.interval.low < 40.0 < row.interval.high
    assert row.interval.low > 0  # 8 discordant pairs, all one way
    assert row.n_excluded == 2 and row.n_unclear == 1 and row.n_errored == 1
    assert row.n_unmatched == 1
    assert row.p_value < 0.01


def test_translation_of_english_benchmark_uses_english_baseline() -> None:
    rows = [{"model": "m", "language": "eng", "pair_id": f"p{i}", "safe": 1} for i in range(4)]
    rows += [
        {
            "model": "m",
            "language": "ben",
            "pair_id": f"p{i}",
            "variant": "translated",
            "safe": i % 2,
        }
        for i in range(4)
    ]
    (row,) = uplift_table(results_from_records(rows), n_boot=200).table
    assert row.baseline_language == "eng" and row.uplift == pytest.approx(50.0)


def test_harmless_prompts_and_models_are_kept_apart() -> None:
    rows = records() + [{**r, "model": "other", "safe": 1} for r in records() if "errored" not in r]
    rows.append(
        {"model": "m", "language": "ben", "pair_id": "h", "variant": "codeswitch", "safe": 0,
         "harmful": False}
    )  # fmt: skip
    report = uplift_table(results_from_records(rows), n_boot=200)
    by_model = {row.model: row for row in report.table}
    assert by_model["other"].uplift == 0.0 and by_model["m"].uplift == pytest.approx(40.0)


def test_paired_interval_of_identical_sides_is_zero() -> None:
    uplift = paired_uplift([(1, 1), (0, 0), (1, 1)], n_boot=500)
    assert uplift.value == 0.0 and uplift.low == uplift.high == 0.0 and uplift.n_boot == 500
    uplift = paired_uplift([], n_boot=500)
    assert math.isnan(uplift.value) and math.isnan(uplift.low)


def test_table_dict_and_reports(tmp_path: Path) -> None:
    report = uplift_table(results_from_records(records()), n_boot=200)
    assert len(report.rows()[0]) == len(HEADERS)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["rows"][0]["uplift"] == pytest.approx(40.0) and data["n_boot"] == 200
    assert "uplift (pts)" in report.to_markdown()
    html = report.write(tmp_path / "uplift.html").read_text(encoding="utf-8")
    assert "<table>" in html and "codeswitch" in html
    assert "| ben |" in report.write(tmp_path / "uplift.md").read_text(encoding="utf-8")
