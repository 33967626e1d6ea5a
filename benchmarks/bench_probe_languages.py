"""Rule-based probe speed per language through `apply` (claim: ≥ 5,000 prompts/s each).

Prompts: MultiJail (all languages), with XSafety's and PolyRefuse's English and non-Latin sets
(Japanese, Hindi and Russian only come from these). For every language a rule-based probe
consumes: `translit-latn` on the language's samples (every non-Latin script), `arabizi` per
variety on Arabic, and `codeswitch-word` / `codeswitch-clause` mixing English with the language
(no language identification; a pair is the two languages' versions of one benchmark item; the
English comes from the benchmarks the other language has, and items of it without a partner
are skipped but still counted as consumed). The slowest case is named at the end. Each figure
is the whole `apply` (conversion and sample building), on one core, after one warm-up pass,
with the per-word caches cleared before every timed run (text the process has not seen), best
of `--repeat`. Rates are prompts consumed per second of this process's CPU time (steady on a
shared machine) and, beside them, per second of wall time. Prints figures, never prompt text.

    python benchmarks/bench_probe_languages.py [--data ../shared/data] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial

from inspect_ai.dataset import Sample

from langgap.evaluate.benchmarks import load_benchmark
from langgap.evaluate.probes import arabizi, get_probe, transliterate
from langgap.evaluate.probes.base import Probe
from langgap.evaluate.probes.transliterate import UnsupportedScriptError, target_script

TARGET = 5000.0
# benchmark -> languages taken from it besides MultiJail's (English: the other side of a pair)
EXTRA = {"xsafety": ("en", "zh", "ar", "bn", "hi", "ja", "ru"),
         "polyrefuse": ("en", "ko", "zh", "ar", "th", "ja", "ru")}  # fmt: skip


def prompts(data: str | None, extra: Mapping[str, Sequence[str]]) -> dict[str, list[Sample]]:
    """Language tag -> samples, MultiJail first, then `extra`'s languages of each benchmark."""
    by_tag: dict[str, list[Sample]] = {}
    for name in ("multijail", *extra):
        samples, _ = load_benchmark(name, data_dir=data)
        for sample in samples:
            tag = str((sample.metadata or {})["language_tag"])
            if name == "multijail" or tag in extra[name]:
                by_tag.setdefault(tag, []).append(sample)
    return by_tag


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


def _benchmark(sample: Sample) -> str:
    return str((sample.metadata or {}).get("benchmark"))


def cases(
    by_tag: dict[str, list[Sample]], pair_limit: int | None = None, *, paired_only: bool = False
) -> list[Case]:
    """Every rule-based probe and language; `pair_limit` caps each side of a codeswitch pair.

    `paired_only`: a pair's English comes only from the benchmarks the other language has, so
    the timed inputs are mostly pairs, not English items skipped for want of a partner.
    """
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
            used = {_benchmark(sample) for sample in samples} if paired_only else None
            side = [s for s in english if used is None or _benchmark(s) in used]
            pair = side + samples[:pair_limit]
            for level in ("word", "clause"):
                make = partial(
                    get_probe, f"codeswitch-{level}", languages=["en", tag], measure=False
                )
                out.append((f"codeswitch-{level} en+{tag}", make, pair))
    return out


def main() -> None:
    """Time every (probe, language) and print prompts/s."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=None, help="the shared data folder (../shared/data)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    by_tag = prompts(args.data, EXTRA)
    counts = ", ".join(f"{tag} {len(samples)}" for tag, samples in sorted(by_tag.items()))
    print(f"prompts: {counts}; target ≥ {TARGET:,.0f} prompts/s per language")
    print(f"{'probe and language':30s} {'prompts/s (CPU)':>16s} {'(wall)':>9s}")
    rates: dict[str, float] = {}
    for label, make, used in cases(by_tag, paired_only=True):
        cpu, wall = _time(make, used, args.repeat)
        rates[label] = rate = len(used) / cpu
        flag = "ok" if rate >= TARGET else "BELOW TARGET"
        print(f"{label:30s} {rate:>16,.0f} {len(used) / wall:>9,.0f}  {flag}", flush=True)
    slowest = min(rates, key=rates.__getitem__)
    below = sum(rate < TARGET for rate in rates.values())
    print(f"{below} below target; slowest: {slowest} ({rates[slowest]:,.0f} prompts/s)")


if __name__ == "__main__":
    main()
