"""The whole human-annotation workflow through the `langgap` CLI: run → sheet → fill → import →
adjudicate → agree → run --gold (label quality in the report)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from langgap.cli import app


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _fill(sheet: Path, topic_for: dict[str, str]) -> None:
    """A person filling their sheet: English-only, not documented, a chosen topic per paper."""
    with sheet.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
        fields = list(rows[0].keys())
    for row in rows:
        row.update(
            related="yes",
            languages="English",
            group="english_only",
            topic=topic_for.get(row["paper_id"], "alignment"),
            documented="no",
        )
    with sheet.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def test_annotation_workflow_end_to_end(anthology_fixture: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _invoke("survey", "run", "--anthology", str(anthology_fixture), "--out", str(out),
            "--years", "2020-2024", "--no-report")  # fmt: skip
    _invoke("survey", "sheet", str(out), "--annotators", "ana,ben", "--overlap", "4",
            "--pairs", "1", "--blind")  # fmt: skip
    sheets = out / "sheets"
    plan = json.loads((sheets / "plan.json").read_text())
    shared = set(plan["pairs"][0]["paper_ids"])
    assert len(shared) == 4
    assert (sheets / "ana.csv").exists() and (sheets / "ben.xlsx").exists()
    header = (sheets / "ana.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "suggested_topic" not in header  # --blind hides the machine's labels

    ben_rows = list(csv.DictReader((sheets / "ben.csv").open(encoding="utf-8-sig")))
    disputed = next(r["paper_id"] for r in ben_rows if r["paper_id"] in shared)
    _fill(sheets / "ana.csv", {})
    _fill(sheets / "ben.csv", {disputed: "privacy"})
    _invoke("survey", "import", str(sheets / "ana.csv"), str(sheets / "ben.csv"), "--out", str(out))
    adjudication = out / "adjudication.csv"
    rows = list(csv.DictReader(adjudication.open(encoding="utf-8-sig")))
    assert [r["paper_id"] for r in rows] == [disputed]  # only the disagreement is adjudicated
    for row in rows:
        for key in row:
            if key.startswith("resolved_") and not row[key]:
                row[key] = {"resolved_topic": "privacy"}.get(key, "")
        row["adjudicator"] = "chair"
    resolved = out / "adjudication-resolved.csv"
    with resolved.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["paper_id"])
        writer.writeheader()
        writer.writerows(rows)
    _invoke("survey", "adjudicate", str(resolved), "--out", str(out))
    gold = out / "gold.csv"
    gold_rows = list(csv.DictReader(gold.open(encoding="utf-8")))
    assert {r["decided_by"] for r in gold_rows} >= {"agreement"}
    chair = [r for r in gold_rows if r["decided_by"] == "chair"]
    assert [(r["paper_id"], r["topic"]) for r in chair] == [(disputed, "privacy")]
    assert len(gold_rows) == 5  # every kept paper has a gold label (rules v2: 5 kept)

    _invoke("survey", "agree", str(out / "annotations.csv"), "--n-boot", "50", "--out", str(out))
    assert json.loads((out / "agreement.json").read_text())

    _invoke("survey", "run", "--anthology", str(anthology_fixture), "--out", str(out),
            "--years", "2020-2024", "--gold", str(gold))  # fmt: skip
    quality = json.loads((out / "label_quality.json").read_text())
    assert quality
    assert "Label quality" in (out / "report.html").read_text(encoding="utf-8")
