"""The full CPU transfer experiment (claim: ≤ 15 minutes on a 2-core CPU).

SmolLM2-135M-Instruct, English-only refusal training (LoRA SFT: harmful PolyRefuse prompts ->
English refusals, harmless ones -> the base model's own replies), evaluated before and after in
six PolyRefuse languages with the default settings of `langgap analyze transfer`. Everything runs
cold: a fresh output folder and a fresh reply cache (only the one-time export of the model from
its GGUF file is reused). Prints the wall time of each phase, the total, and the matrix.

    python benchmarks/bench_transfer.py [--eval-languages eng,deu,ara,zho,jpn,rus]
        [--train-languages eng] [--out DIR] [--keep] [any TransferConfig field as --field value]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import tempfile
import time
from pathlib import Path

import torch

from langgap.analyze.common.models import smollm2_folder
from langgap.analyze.transfer.report import write_report
from langgap.analyze.transfer.run import TransferConfig, run_transfer

BUDGET_S = 15 * 60


def _parse() -> tuple[argparse.Namespace, dict[str, str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-languages", default="eng,deu,ara,zho,jpn,rus")
    parser.add_argument(
        "--train-languages", action="append", help="one row each (default: eng)", default=None
    )
    parser.add_argument("--out", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the temporary output folder")
    args, rest = parser.parse_known_args()
    overrides: dict[str, str] = {}
    for flag, value in zip(rest[::2], rest[1::2], strict=True):
        overrides[flag.lstrip("-").replace("-", "_")] = value
    return args, overrides


def _coerce(default: object, raw: str) -> object:
    if isinstance(default, int | float | str):
        return type(default)(raw)
    try:
        return int(raw)
    except ValueError:
        return raw


def main() -> None:
    """Run the experiment once, cold, and print timings and the matrix."""
    args, overrides = _parse()
    t0 = time.perf_counter()
    folder = smollm2_folder()  # exported once into the user cache; not part of the experiment
    export_s = time.perf_counter() - t0
    work = Path(tempfile.mkdtemp(prefix="bench-transfer-"))
    os.environ["LANGGAP_CACHE_DIR"] = str(work / "cache")  # cold reply cache
    out = args.out or work / "out"
    if out.exists():
        shutil.rmtree(out)
    fields = {f.name: f for f in dataclasses.fields(TransferConfig)}
    typed: dict[str, object] = {}
    for key, raw in overrides.items():
        if key not in fields or key in ("model", "train_sets", "eval_languages", "out_dir"):
            raise SystemExit(f"unknown setting --{key}; TransferConfig fields: {', '.join(fields)}")
        typed[key] = _coerce(getattr(TransferConfig(), key), raw)
    config = TransferConfig(
        model=str(folder),
        train_sets=tuple(tuple(s.split(",")) for s in (args.train_languages or ["eng"])),
        eval_languages=tuple(args.eval_languages.split(",")),
        out_dir=str(out),
        **typed,  # type: ignore[arg-type]
    )
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; model export/lookup "
        f"{export_s:.1f} s (not counted)"
    )
    start = time.perf_counter()
    experiment = run_transfer(
        config, log=lambda m: print(f"[{time.perf_counter() - start:6.1f} s] {m}")
    )
    t_report = time.perf_counter()
    paths = write_report(experiment, out)
    report_s = time.perf_counter() - t_report
    total = time.perf_counter() - start

    print("\nphase                         seconds")
    for phase, seconds in experiment.timings.items():
        if phase != "total":
            print(f"{phase:<30}{seconds:8.1f}")
    print(f"{'report':<30}{report_s:8.1f}")
    verdict = "OK" if total <= BUDGET_S else "OVER"
    print(f"{'total':<30}{total:8.1f}   (budget {BUDGET_S} s: {verdict})")

    for metric in ("harmlessness", "over_refusal"):
        m = experiment.matrix(metric)
        print(f"\n{metric}: before -> after, change [95% CI], McNemar p")
        for i, label in enumerate(m.rows):
            for j, lang in enumerate(m.columns):
                if m.n[i, j] != m.n[i, j]:
                    print(f"  {label:>8} -> {lang}: n/a")
                    continue
                print(
                    f"  {label:>8} -> {lang}: {m.before[i, j]:5.1f} -> {m.after[i, j]:5.1f}  "
                    f"{m.change[i, j]:+6.1f} [{m.low[i, j]:+6.1f}, {m.high[i, j]:+6.1f}]  "
                    f"p={m.p_value[i, j]:.3g}  n={int(m.n[i, j])}"
                )
    for row in experiment.rows:
        print(
            f"\nrow {row.name}: {row.n_examples} examples, train NLL "
            f"{row.train_nll_before:.3f} -> {row.train_nll_after:.3f}"
        )
    print(f"\noutputs: {paths[0].parent}")
    if args.keep:
        print(f"kept: {work}")
    else:
        shutil.rmtree(work / "cache", ignore_errors=True)
        if args.out is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
