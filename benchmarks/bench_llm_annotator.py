"""LLM annotator throughput against a local OpenAI-compatible stub with a fixed latency.

The claim: requests overlap (at least 8 in flight by default, not capped by Inspect's connection
pool), so wall time ≈ papers / concurrency × latency; a second run answers every paper from the
cache and makes no request at all.

    python benchmarks/bench_llm_annotator.py [--papers 64] [--latency 0.2] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from langgap.survey.llm_annotator import LLMAnnotator, is_llm_labels
from langgap.survey.models import Paper

# The test stub is test support, not shipped: imported from its folder (a package named `tests`
# installed by some other distribution would shadow the repository's `tests.support`).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

from stub_server import StubServer

ANSWER = json.dumps(
    {
        "related": True,
        "languages": ["Bengali", "Swahili"],
        "topic": "jailbreaking",
        "documented": True,
        "rationale": "Jailbreak prompts translated into Bengali and Swahili.",
    }
)


def papers(n: int) -> list[Paper]:
    """`n` distinct papers, each a cache entry of its own."""
    abstract = "We translate harmful prompts into Bengali and Swahili and measure refusals. " * 8
    return [
        Paper(f"bench-{i}", f"Multilingual jailbreaks, study {i}", abstract, 2024) for i in range(n)
    ]


def run(
    stub: StubServer, items: list[Paper], concurrency: int, cache: Path
) -> tuple[float, LLMAnnotator]:
    """One annotation pass; returns its wall time and the annotator (with its usage)."""
    annotator = LLMAnnotator(
        "openai-api/stub/bench-model",
        base_url=stub.base_url,
        api_key="none",
        concurrency=concurrency,
        cache_root=cache,
    )
    stub.reset()
    clock = time.perf_counter()
    labels = annotator.annotate_many(items)
    elapsed = time.perf_counter() - clock
    if not all(is_llm_labels(lab) for lab in labels):
        raise SystemExit(f"unexpected failures: {annotator.failures[:3]}")
    return elapsed, annotator


def main() -> None:
    """Print max in-flight requests, wall times and the second run's request count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    items = papers(args.papers)
    with (
        tempfile.TemporaryDirectory() as tmp,
        StubServer(lambda _r: ANSWER, latency=args.latency) as stub,
    ):
        os.environ["LANGGAP_CACHE_DIR"] = tmp  # never touch the user's cache
        cache = Path(tmp) / "llm-annotations"
        first, annotator = run(stub, items, args.concurrency, cache)
        in_flight, requests = stub.max_in_flight, stub.requests
        second, again = run(stub, items, args.concurrency, cache)
    ideal = args.papers / args.concurrency * args.latency
    print(
        f"papers {args.papers}, latency {args.latency * 1000:.0f} ms, "
        f"concurrency {args.concurrency}"
    )
    print(
        f"first run:  {first:.2f} s wall (ideal {ideal:.2f} s), {requests} requests, "
        f"max in flight {in_flight}"
    )
    print(f"            {annotator.usage.summary()}")
    print(
        f"second run: {second:.3f} s wall, {stub.requests} requests, "
        f"{again.usage.cache_hits} cache hits"
    )
    ok = in_flight >= min(8, args.concurrency) and stub.requests == 0
    print("PASS" if ok else "FAIL: fewer than 8 in flight or the second run made requests")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
