"""Judge meta-evaluation speed (claims: refusal judge ≥ 20,000 responses/s on one core; the
meta-evaluation over all shared labelled data, Do-Not-Answer + RTP-LX, with 1,000 bootstrap
resamples in ≤ 30 s, model-based judges excluded).

    python benchmarks/bench_judge_eval.py [--data-dir ../shared/data] [--n-boot 1000]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench_refusal import mix
from langgap.evaluate.judge_eval import RefusalJudge, evaluate_judge, load_dataset
from langgap.evaluate.judge_eval.metrics import figure
from langgap.evaluate.judges.refusal import judge_refusal


def refusal_speed(n: int) -> float:
    """Responses per second of the refusal judge on the synthetic multilingual mix."""
    data = mix(n)
    for text, lang in data[:200]:
        judge_refusal(text, lang)
    start = time.perf_counter()
    for text, lang in data:
        judge_refusal(text, lang)
    return n / (time.perf_counter() - start)


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)  # None: as commands (bench_data.py)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--responses", type=int, default=50_000)
    args = parser.parse_args()
    print(f"refusal judge: {refusal_speed(args.responses):,.0f} responses/s on one core")
    start = time.perf_counter()
    total = 0
    for name in ("dna-refusal-strict", "dna-refusal-broad", "dna-harm", "rtp-lx"):
        items = load_dataset(name, args.data_dir)
        result = evaluate_judge(RefusalJudge(), items, n_boot=args.n_boot)
        total += len(items)
        o = result.overall
        print(
            f"{name}: n={o.n} languages={len(result.rows)} κ(all)={figure(o.all['kappa'])} "
            f"unclear={figure(o.unclear_rate)} worst={result.worst}"
        )
    elapsed = time.perf_counter() - start
    print(
        f"meta-evaluation of {total:,} labelled responses (load + judge + {args.n_boot} "
        f"resamples per language) in {elapsed:.1f} s"
    )


if __name__ == "__main__":
    main()
