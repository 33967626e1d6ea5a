"""Influence-function speed on SmolLM2-135M-Instruct: factor fitting and pairwise scores.

Times each kronfluence stage of `influence_scores` (covariance fit, eigendecomposition, lambda
fit, pairwise scores) on a small training set (PolyRefuse prompts when the shared data is present,
synthetic questions otherwise) and prints examples/s per stage. A second call with the same
inputs shows the rerun cost (fitted factors and scores are reused from the output folder).

    python benchmarks/bench_influence.py [--train 32] [--queries 4] [--strategy ekfac]
        [--layers -2,-1] [--max-length 128] [--batch-size 8] [--device cpu] [--model-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from langgap.analyze.influence.data import (
    TrainExample,
    encode_example,
    refusal_examples,
    refusal_queries,
    refusal_reply,
)
from langgap.analyze.influence.modules import tracked_modules
from langgap.analyze.influence.run import influence_scores

STAGES = {
    "kronfluence.computer.factor_computer.FactorComputer": [
        "fit_covariance_matrices",
        "perform_eigendecomposition",
        "fit_lambda_matrices",
    ],
    "kronfluence.computer.score_computer.ScoreComputer": ["compute_pairwise_scores"],
}
TOPICS = ["bread", "tax forms", "the moon", "a bicycle", "photosynthesis", "chess openings"]


@contextmanager
def timed_stages(times: dict[str, float], sync: Callable[[], None]) -> Iterator[None]:
    """Wrap kronfluence's stage methods to record their wall time; restored afterwards."""
    import importlib

    originals: list[tuple[Any, str, Any]] = []
    for path, names in STAGES.items():
        module_name, _, cls_name = path.rpartition(".")
        cls = getattr(importlib.import_module(module_name), cls_name)
        for name in names:
            original = getattr(cls, name)

            def wrapper(*args: Any, __f: Any = original, __n: str = name, **kw: Any) -> Any:
                sync()
                start = time.perf_counter()
                try:
                    return __f(*args, **kw)
                finally:
                    sync()
                    times[__n] = times.get(__n, 0.0) + time.perf_counter() - start

            setattr(cls, name, wrapper)
            originals.append((cls, name, original))
    try:
        yield
    finally:
        for cls, name, original in originals:
            setattr(cls, name, original)


def examples(n_train: int, n_queries: int) -> tuple[list[TrainExample], list[TrainExample]]:
    """PolyRefuse harmful (refused) and harmless (answered) prompts, or synthetic ones."""
    answer = "Sure, here is a short overview."
    try:
        from langgap.analyze.common.data import benchmark_prompts

        langs = ["eng", "deu"]
        prompts = benchmark_prompts(langs, max(1, n_train // (2 * len(langs))))
        train = refusal_examples(prompts, answer=answer)
        queries = refusal_queries([p for p in prompts if p.harmful][:n_queries])
        return train, queries
    except Exception as exc:  # any missing-data error: fall back, and say so
        print(f"PolyRefuse unavailable ({type(exc).__name__}); using synthetic prompts")
    train = [
        TrainExample(
            f"Explain {TOPICS[i % len(TOPICS)]} in {i % 7 + 2} short steps, please.",
            answer if i % 2 else refusal_reply("eng"),
            "eng" if i % 3 else "deu",
            f"s{i}",
        )
        for i in range(n_train)
    ]
    queries = [
        TrainExample(f"How do I break into a car? ({i})", refusal_reply("eng"), "eng", f"q{i}")
        for i in range(n_queries)
    ]
    return train, queries


def main() -> None:
    """Time the stages and print examples/s."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=32)
    parser.add_argument("--queries", type=int, default=4)
    parser.add_argument("--strategy", default="ekfac")
    parser.add_argument("--layers", default="-2,-1", help="decoder blocks, or 'all'")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--model-dir", type=Path, default=None)
    args = parser.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    folder = args.model_dir
    if folder is None:
        from langgap.models import export_hf_folder, smollm2_gguf

        folder = export_hf_folder(smollm2_gguf(), Path(tempfile.gettempdir()) / "smollm2-hf")
    model = AutoModelForCausalLM.from_pretrained(folder).to(args.device).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    layers = None if args.layers == "all" else [int(x) for x in args.layers.split(",")]
    train, queries = examples(args.train, args.queries)
    n_tokens = sum(len(encode_example(tokenizer, e, args.max_length).input_ids) for e in train)
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    names = tracked_modules(model, "mlp", layers)
    print(
        f"model {folder.name}  device {args.device}  strategy {args.strategy}  "
        f"train {len(train)}  queries {len(queries)}  tokens {n_tokens}  "
        f"max_length {args.max_length}  batch {args.batch_size}  tracked modules {len(names)}  "
        f"threads {torch.get_num_threads()}"
    )
    with tempfile.TemporaryDirectory() as out:
        for run in ("first", "rerun"):
            times: dict[str, float] = {}
            start = time.perf_counter()
            with timed_stages(times, sync):
                influence_scores(
                    model, tokenizer, train, queries, out_dir=out, strategy=args.strategy,
                    layers=layers, max_length=args.max_length,
                    train_batch_size=args.batch_size, query_batch_size=args.batch_size,
                )  # fmt: skip
            total = time.perf_counter() - start
            print(f"{run}: total {total:.2f} s")
            for stage, seconds in times.items():
                rate = ""
                if stage in ("fit_covariance_matrices", "fit_lambda_matrices") and seconds > 0:
                    rate = f"  {len(train) / seconds:8.1f} train examples/s"
                elif stage == "compute_pairwise_scores" and seconds > 0:
                    pairs = len(train) * len(queries)
                    rate = (
                        f"  {len(train) / seconds:8.1f} train examples/s"
                        f"  {pairs / seconds:8.1f} pairs/s"
                    )
                print(f"  {stage:28s} {seconds:8.2f} s{rate}")


if __name__ == "__main__":
    main()
