"""Rule-based probe speed over the whole MultiJail set (claim: ≥ 5,000 prompts/s per transform).

Each transform runs over the MultiJail samples in the languages it consumes, on one core, after
one warm-up pass (library dictionaries load once per process) and with its per-word caches
cleared; language identification of the code-switched mix is timed separately. Prints prompts/s
(inputs consumed) and outputs/s per transform; never prompt text.

    python benchmarks/bench_probes.py [--data ../shared/data] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial

from inspect_ai.dataset import Sample

from langgap.evaluate.benchmarks import load_benchmark
from langgap.evaluate.probes import arabizi, get_probe, transliterate
from langgap.evaluate.probes.base import Probe
from langgap.evaluate.probes.transliterate import romanize, target_script

TARGET = 5000.0


ALL = ["en", "zh", "it", "vi", "ar", "ko", "th", "bn", "sw", "jv"]
NON_LATIN = ["zh", "ar", "ko", "th", "bn"]


def _probes() -> dict[str, tuple[Callable[[], Probe], list[str]]]:
    """label -> (probe factory, the language tags it consumes)."""
    pairs = {"en+bn": ["en", "bn"], "en+zh": ["en", "zh"], "all-10": ALL}
    out: dict[str, tuple[Callable[[], Probe], list[str]]] = {}
    for label, langs in pairs.items():
        for level in ("word", "clause"):
            make = partial(get_probe, f"codeswitch-{level}", languages=langs, measure=False)
            out[f"codeswitch-{level} {label}"] = (make, langs)
    lid = partial(get_probe, "codeswitch-word", languages=["en", "bn"], measure=True)
    out["codeswitch-word en+bn +LID"] = (lid, ["en", "bn"])
    out["translit-latn (5 scripts)"] = (partial(get_probe, "translit-latn"), NON_LATIN)
    out["arabizi"] = (partial(get_probe, "arabizi"), ["ar"])
    return out


def _clear_caches() -> None:
    """Per-word caches are cleared before each timed run: figures are for unseen text."""
    transliterate.clear_caches()
    arabizi.clear_caches()


def _time(probe: Probe, samples: list[Sample], repeat: int) -> tuple[float, int]:
    probe.apply(samples, seed=0)  # warm-up: dictionaries and models load once
    best = float("inf")
    made = 0
    for seed in range(1, repeat + 1):
        _clear_caches()
        start = time.perf_counter()
        out, _ = probe.apply(samples, seed=seed)
        best = min(best, time.perf_counter() - start)
        made = len(out)
    return best, made


def _per_script(samples: list[Sample], repeat: int) -> None:
    """Romanisation speed per script (only the samples written in it; caches cleared)."""
    by_tag: dict[str, list[str]] = {}
    for s in samples:
        by_tag.setdefault(str((s.metadata or {})["language_tag"]), []).append(str(s.input))
    for tag, texts in sorted(by_tag.items()):
        try:
            script = target_script(tag)
        except transliterate.UnsupportedScriptError:
            continue
        best = float("inf")
        for _ in range(repeat):
            transliterate.clear_caches()  # measure conversion, not cache hits
            start = time.perf_counter()
            for text in texts:
                romanize(text, tag)
            best = min(best, time.perf_counter() - start)
        rate = len(texts) / best
        print(f"  romanize {tag} ({script}): {rate:,.0f} prompts/s, uncached")


def main() -> None:
    """Time every rule-based transform and print prompts/s."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=None, help="folder holding multijail/MultiJail.csv")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    samples, _ = load_benchmark("multijail", data_dir=args.data)
    print(f"MultiJail: {len(samples)} samples; target ≥ {TARGET:,.0f} prompts/s per transform")
    for label, (make, tags) in _probes().items():
        used = [s for s in samples if (s.metadata or {}).get("language_tag") in tags]
        seconds, made = _time(make(), used, args.repeat)
        rate = len(used) / seconds
        flag = "ok" if rate >= TARGET or "LID" in label else "BELOW TARGET"
        print(f"{label:32s} {rate:>10,.0f} prompts/s  {made / seconds:>9,.0f} outputs/s  {flag}")
    _per_script(samples, args.repeat)


if __name__ == "__main__":
    main()
