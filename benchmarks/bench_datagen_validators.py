"""Do the datagen validators gate? Hand-made bad items must stay out of the exports, good ones in.

The fixture (`tests/data/datagen_validator_items.jsonl`) holds items written by hand in eleven
locales: bad ones for every validator (wrong language or confidence under the floor, wrong
script, repetition loops, length ratio, back-translation chrF, lost culture terms, a benign
prompt's chosen that declines, a harmful prompt's chosen that complies, near-duplicates) and good
ones (benign questions answered helpfully, harmful ones declined, faithful translations). Each
row names what it expects (`expect`: keep / reject) and, for a bad item, the check that should
catch it (`validator`).

The claims: 100% of bad items are kept out of SFT and DPO with a reason in rejects.jsonl;
≥ 95% of good items are exported.

    python benchmarks/bench_datagen_validators.py [--items FILE] [--show-misses]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from langgap.datagen.constitution import EXAMPLE, load_constitution
from langgap.datagen.export import export_all
from langgap.datagen.items import DataItem
from langgap.datagen.validate import ValidationSettings, validate_items

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "data" / "datagen_validator_items.jsonl"


def _ids(path: Path) -> set[str]:
    return {json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()}


def score(path: Path = FIXTURE) -> dict[str, Any]:
    """Validate and export the fixture; what was kept out, why, and what was kept."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    items = [DataItem.model_validate(row) for row in rows]
    constitution = load_constitution(EXAMPLE)
    summary = validate_items(items, constitution, ValidationSettings())
    with tempfile.TemporaryDirectory() as tmp:
        files = export_all(items, Path(tmp), constitution, {"generator": "hand-made"}, summary)
        exported = _ids(files["sft"]) | _ids(files["dpo"])
        rejects = {
            row["id"]: row["reasons"]
            for row in map(json.loads, files["rejects"].read_text(encoding="utf-8").splitlines())
        }
    bad = [r for r in rows if r["expect"] == "reject"]
    good = [r for r in rows if r["expect"] == "keep"]
    out_with_reason = [r for r in bad if r["id"] not in exported and rejects.get(r["id"])]
    by_intended = [
        r for r in bad if any(x.startswith(r["validator"]) for x in rejects.get(r["id"], []))
    ]
    kept = [r for r in good if r["id"] in exported]
    per_validator: dict[str, Counter[str]] = {}
    for r in bad:
        tally = per_validator.setdefault(r["validator"].split(":")[0], Counter())
        tally["items"] += 1
        tally["kept_out"] += r in out_with_reason
        tally["intended"] += r in by_intended
    return {
        "n_bad": len(bad),
        "n_good": len(good),
        "bad_kept_out": len(out_with_reason),
        "bad_by_intended_check": len(by_intended),
        "good_kept": len(kept),
        "languages": sorted({r["language_tag"] for r in rows}),
        "per_validator": {k: dict(v) for k, v in sorted(per_validator.items())},
        "misses": {
            r["id"]: rejects.get(r["id"], ["(exported)"])
            for r in rows
            if (r in bad and r not in by_intended) or (r in good and r not in kept)
        },
    }


def main() -> None:
    """Print the gating figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=Path, default=FIXTURE)
    parser.add_argument("--show-misses", action="store_true", help="Ids and reasons, no text.")
    args = parser.parse_args()
    found = score(args.items)
    n_bad, n_good = found["n_bad"], found["n_good"]
    print(f"{n_bad} bad and {n_good} good hand-made items in {len(found['languages'])} locales")
    print(
        f"bad kept out of SFT/DPO with a reason: {found['bad_kept_out']}/{n_bad} "
        f"({found['bad_kept_out'] / n_bad:.0%}; target 100%)"
    )
    print(
        f"bad caught by the check meant for them: {found['bad_by_intended_check']}/{n_bad} "
        f"({found['bad_by_intended_check'] / n_bad:.0%})"
    )
    print(
        f"good exported: {found['good_kept']}/{n_good} "
        f"({found['good_kept'] / n_good:.0%}; target ≥ 95%)"
    )
    print("per validator (items / kept out / by the intended check):")
    for name, tally in found["per_validator"].items():
        print(f"  {name:14} {tally['items']:3} {tally['kept_out']:3} {tally['intended']:3}")
    if args.show_misses:
        for item_id, reasons in found["misses"].items():
            print(f"  miss {item_id}: {'; '.join(reasons)}")


if __name__ == "__main__":
    main()
