"""Rule-based probe speed per language through `apply` (claim: ≥ 5,000 prompts/s each).

For every MultiJail language a rule-based probe consumes: `translit-latn` on the language's
samples (every non-Latin script), `arabizi` per variety on Arabic, and `codeswitch-word` /
`codeswitch-clause` mixing English with the language (no language identification). Each figure
is the whole `apply` (conversion and sample building), on one core, after one warm-up pass,
with the per-word caches cleared before every timed run (text the process has not seen), best
of `--repeat`. Rates are prompts consumed per second of this process's CPU time (steady on a
shared machine) and, beside them, per second of wall time. Prints figures, never prompt text.

    python benchmarks/bench_probe_languages.py [--data ../shared/data] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from inspect_ai.dataset import Sample

from langgap.evaluate.benchmarks import load_benchmark
from langgap.evaluate.probes import arabizi, get_probe, transliterate
from langgap.evaluate.probes.base import Probe
from langgap.evaluate.probes.transliterate import UnsupportedScriptError, target_script

TARGET = 5000.0


def _clear_caches() -> None:
    transliterate.clear_caches()
    arabizi.clear_caches()


def _time(make: Callable[[], Probe], samples: list[Sample], repeat: int) -> tuple[float, float]:
    """Best CPU seconds and best wall seconds of one `apply` over `samples`."""
    probe = make()
    probe.apply(samples, seed=0)  # warm-up: dictionaries and models load once
    cpu = wall = float("inf")
    for seed in range(1, repeat + 1):
        _clear_caches()
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        probe.apply(samples, seed=seed)
        cpu = min(cpu, time.process_time() - start_cpu)
        wall = min(wall, time.perf_counter() - start_wall)
    return cpu, wall


Case = tuple[str, Callable[[], Probe], list[Sample]]  # label, probe factory, its inputs


def cases(by_tag: dict[str, list[Sample]], pair_limit: int | None = None) -> list[Case]:
    """Every rule-based probe and language; `pair_limit` caps each side of a codeswitch pair."""
    out: list[Case] = []
    english = by_tag["en"][:pair_limit]
    for tag, samples in sorted(by_tag.items()):
        try:
            target_script(tag)
        except UnsupportedScriptError:
            pass
        else:
            out.append((f"translit-latn {tag}", lambda: get_probe("translit-latn"), samples))
        if tag == "ar":
            for variety in arabizi.varieties():
                make = lambda v=variety: get_probe("arabizi", variety=v)  # noqa: E731
                out.append((f"arabizi {variety}", make, samples))
        if tag != "en":
            pair = english + samples[:pair_limit]
            for level in ("word", "clause"):
                make = lambda t=tag, lv=level: get_probe(  # noqa: E731
                    f"codeswitch-{lv}", languages=["en", t], measure=False
                )
                out.append((f"codeswitch-{level} en+{tag}", make, pair))
    return out


def main() -> None:
    """Time every (probe, language) and print prompts/s."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=None, help="folder holding multijail/MultiJail.csv")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    samples, _ = load_benchmark("multijail", data_dir=args.data)
    by_tag: dict[str, list[Sample]] = {}
    for sample in samples:
        by_tag.setdefault(str((sample.metadata or {})["language_tag"]), []).append(sample)
    print(f"MultiJail: {len(samples)} samples; target ≥ {TARGET:,.0f} prompts/s per language")
    print(f"{'probe and language':30s} {'prompts/s (CPU)':>16s} {'(wall)':>9s}")
    below = 0
    for label, make, used in cases(by_tag):
        cpu, wall = _time(make, used, args.repeat)
        rate = len(used) / cpu
        flag = "ok" if rate >= TARGET else "BELOW TARGET"
        below += rate < TARGET
        print(f"{label:30s} {rate:>16,.0f} {len(used) / wall:>9,.0f}  {flag}")
    print(f"{below} below target")


if __name__ == "__main__":
    main()
