"""Datagen throughput: validators (items/s on one core, no model calls) and pipeline concurrency.

The claims: every validator together runs at ≥ 500 items/s on one core, and the pipeline keeps
≥ 8 model requests in flight against a local OpenAI-compatible stub with a fixed latency.

    python benchmarks/bench_datagen.py [--items 2000] [--seeds 32] [--latency 0.2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from langgap.datagen.config import DatagenConfig, Models, ModelSpec, Seeds
from langgap.datagen.constitution import EXAMPLE, load_constitution
from langgap.datagen.items import DataItem
from langgap.datagen.pipeline import run_datagen
from langgap.datagen.validate import ValidationSettings, validate_items

# The test stub is test support, not shipped: imported from its folder (a package named `tests`
# installed by some other distribution would shadow the repository's `tests.support`).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

from stub_server import StubServer

TEXTS = {
    "de": (
        "Wie pflege ich Tomaten auf dem Balkon im Sommer, Frage {i}?",
        "Gieße sie morgens, stelle sie in die Sonne und stütze die Triebe, Antwort {i}.",
    ),
    "bn": (
        "গ্রীষ্মে বারান্দায় টমেটো গাছের যত্ন কীভাবে নেব, প্রশ্ন {i}?",
        "সকালে পানি দিন, রোদে রাখুন এবং ডালগুলোকে সাপোর্ট দিন, উত্তর {i}।",
    ),
    "sw": (
        "Ninawezaje kutunza nyanya kwenye roshani wakati wa kiangazi, swali {i}?",
        "Mwagilia asubuhi, ziweke juani na uzisaidie matawi, jibu {i}.",
    ),
}
CODES = {"de": "deu", "bn": "ben", "sw": "swa"}


def synthetic_items(n: int) -> list[DataItem]:
    """`n` benign translated items over three languages and scripts (distinct, no duplicates)."""
    items = []
    for i in range(n):
        tag = list(TEXTS)[i % len(TEXTS)]
        prompt, answer = (t.format(i=i) for t in TEXTS[tag])
        items.append(
            DataItem(
                id=f"b{i}@{tag}",
                seed_id=f"b{i}",
                language=CODES[tag],
                language_tag=tag,
                category="other",
                harmful=False,
                mode="translated",
                source_prompt=f"How do I care for tomatoes on a balcony in summer, question {i}?",
                prompt=prompt,
                back_translation=f"How do I look after tomatoes, question {i}?",
                rejected=answer,
                chosen=answer + " " + answer,
            )
        )
    return items


def bench_validators(n: int) -> float:
    """Items per second through every validator, after one warm-up pass (model loading)."""
    constitution = load_constitution(EXAMPLE)
    validate_items(synthetic_items(50), constitution, ValidationSettings())  # load lid, judges
    items = synthetic_items(n)
    clock = time.perf_counter()
    validate_items(items, constitution, ValidationSettings())
    return n / (time.perf_counter() - clock)


def bench_pipeline(seeds: int, latency: float, concurrency: int) -> tuple[int, int, float]:
    """Max requests in flight, requests made and wall time for one pipeline run on the stub."""

    def reply(request: dict[str, Any]) -> str:
        prompt = str(request["messages"][-1]["content"])
        return "Fine.\nVERDICT: REVISE" if prompt.startswith("Review") else "A helpful answer."

    with tempfile.TemporaryDirectory() as tmp, StubServer(reply, latency=latency) as stub:
        os.environ["LANGGAP_CACHE_DIR"] = tmp  # never touch the user's cache
        rows = [{"id": f"s{i}", "prompt": f"Tell me about topic {i}."} for i in range(seeds)]
        path = Path(tmp) / "seeds.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        spec = ModelSpec(
            name="openai-api/stub/model", args={"base_url": stub.base_url, "api_key": "none"}
        )
        config = DatagenConfig(
            languages=("en",),
            seeds=Seeds(kind="file", path=str(path)),
            models=Models(default=spec),
            concurrency=concurrency,
            output_dir=str(Path(tmp) / "out"),
        )
        clock = time.perf_counter()
        run_datagen(config)
        return stub.max_in_flight, stub.requests, time.perf_counter() - clock


def main() -> None:
    """Print validator items/s and the pipeline's max in-flight requests."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    rate = bench_validators(args.items)
    print(f"validators: {rate:,.0f} items/s over {args.items} items (target ≥ 500)")
    in_flight, requests, wall = bench_pipeline(args.seeds, args.latency, args.concurrency)
    print(
        f"pipeline: max {in_flight} requests in flight (target ≥ 8), {requests} requests "
        f"in {wall:.2f} s at {args.latency} s latency, concurrency {args.concurrency}"
    )


if __name__ == "__main__":
    main()
