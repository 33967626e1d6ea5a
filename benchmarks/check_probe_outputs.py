"""Rule-based probe outputs stay byte-identical: digests per (probe, language) over real prompts.

Every case of `bench_probe_languages.py` (translit-latn per script, arabizi per variety,
codeswitch-word/clause English + language) runs `apply` with a fixed seed over the benchmark's
prompts from ../shared/data: MultiJail (all languages), XSafety (en, zh, ar, bn, hi, ja, ru)
and PolyRefuse (en, ko, zh, ar, th, ja, ru), a few thousand prompts per language; a codeswitch
pair takes its English from the other language's benchmarks, so Japanese, Hindi and Russian
mixes are made, not all skipped. Each case's outputs (ids, text, metadata) and skip reasons are
hashed. `--write` records the digests; `--check` recomputes them and names every case that
differs (exit 1). A speed-up must leave `--check` passing. Prints digests and counts only,
never prompt text. The recorded digests come from the code before the speed work:
`git archive d7e5ddd src | tar -x -C OLD` and `PYTHONPATH=OLD/src ... --write`; `arabizi
egyptian` was recorded again on 2026-12-05, when that variety became rule-based (issue 18),
and the translit-latn cases the same day: their texts are unchanged, but each sample's params
list the learned languages, which gained eight tables (so ids and metadata changed).

    python benchmarks/check_probe_outputs.py --check benchmarks/probe_output_digests.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from inspect_ai.dataset import Sample

from bench_probe_languages import EXTRA, cases, prompts
from langgap.evaluate.probes.base import Probe

SEED = 1
CODESWITCH_PER_LANGUAGE = 400  # pairs are slower (LID off, segmenters on): a sample is enough


def digest(probe: Probe, samples: list[Sample]) -> str:
    """sha256 of every output sample (id, text, metadata) and every skip, in order."""
    made, report = probe.apply(samples, seed=SEED)
    h = hashlib.sha256()
    for sample in made:
        record = [str(sample.id), sample.input, sample.metadata]
        h.update(json.dumps(record, ensure_ascii=False, sort_keys=True, default=str).encode())
    for skip in report.skipped:
        h.update(f"{skip.sample_id}\x1f{skip.reason}\n".encode())
    return h.hexdigest()


def main() -> None:
    """Write or check the digests."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=None, help="the shared data folder (../shared/data)")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", type=Path, help="record digests in this JSON file")
    mode.add_argument("--check", type=Path, help="compare with the digests in this JSON file")
    args = parser.parse_args()
    by_tag = prompts(args.data, EXTRA)
    found: dict[str, dict[str, int | str]] = {}
    for label, make, samples in cases(by_tag, CODESWITCH_PER_LANGUAGE, paired_only=True):
        found[label] = {"n": len(samples), "sha256": digest(make(), samples)}
    if args.write:
        args.write.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
        print(f"wrote {len(found)} digests to {args.write}")
        return
    expected = json.loads(args.check.read_text())
    differ = [k for k in sorted(expected.keys() | found.keys()) if expected.get(k) != found.get(k)]
    total = sum(int(v["n"]) for v in found.values())
    for label in differ:
        print(f"DIFFERS: {label} (expected {expected.get(label)}, found {found.get(label)})")
    print(f"{len(found) - len(differ)}/{len(found)} cases identical over {total:,} inputs")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
