"""Evaluation throughput: langgap's cost on top of Inspect, and Inspect's on top of a bare client.

All runs hit a local OpenAI-compatible stub (`StubProcess` in tests/support/stub_server.py) that
returns a fixed refusal after a configurable latency, so the numbers measure the client side
only. The stub runs in its own process, like a real model server: in a thread it would share the
GIL with the client being measured.

  (1) overhead: N samples through a bare Inspect task (generate + a trivial scorer) vs the same
      samples through langgap's own run path (`run_eval`, what `langgap eval run` calls: the
      MultiJail task, the refusal judge, all live langgap metrics), then the report's reading of
      the log and `summarize` (intervals, McNemar, over-refusal). Target: overhead <= 10 %.
  (2) 200 ms latency, 8 connections: langgap samples/s vs a bare asyncio client (httpx) sending
      the same requests to the same server. Target: ratio >= 0.85.
  (3) instant server: samples/s of langgap, bare Inspect and the bare client; a sweep of Inspect
      settings; scale-out with 2 processes (one per stub endpoint) vs 1.

What keeps langgap's client cost low (all in `langgap eval run`):
- `display="none"` or "plain" (the full-screen display redraws per sample), `score_display=False`,
  `log_images=False`, `log_model_api=False`.
- `max_samples` = 2 x `max_connections`: a sample's own judging and logging overlaps the other
  samples' model calls, so at 200 ms latency the connections stay busy.
- `gc.freeze()` around the eval set (`run.long_lived_objects_frozen`). With ~300,000 objects alive
  before the run, each full collection during it paused the event loop for 0.1-0.2 s (0.7-0.95 s
  per 400-sample run); frozen, 0.27 s. Part (2) went from 0.83-0.86 to 0.89-0.90.
- The report reads a log 500 samples at a time through Inspect's shared zip reader: Inspect's
  `read_eval_log_samples` starts an event loop per sample (2,000 samples: 14.7 s -> 2.5 s).
- `log_samples` must stay on (the report reads verdicts from the samples) and `log_realtime` stays
  on: it feeds the sample buffer that recovers a killed run (turning it off is the one setting in
  the sweep worth ~+20 % at an instant server, but a killed run would then redo its samples).

Part (2) on a loaded machine (load 6-9 on 2 cores) gives 0.51-0.57 for langgap: not a langgap
regression. Bare Inspect falls with the load to 0.40-0.66 of the client, langgap stays at
0.88-0.90 of bare Inspect under gc.freeze(), and part of its gap (0.5-1.2 s a run, printed at the
end) is Inspect looking for the installed distribution of a langgap run from a checkout that is
not the installed one. The CPU figures per sample (langgap ~16-17 ms, bare Inspect ~13-15 ms,
the client ~1.4 ms) move far less with the load than the ratios; the 0.85 target holds for a quiet
machine only.

Inspect's own cost is about 15 ms of CPU per sample here, and a bare httpx client is ~14x faster
at an instant server. One eval process saturates one core; beyond it, scale out: several eval
processes against several endpoints scale with the cores available (part 3, 2 processes).

Usage: python benchmarks/bench_eval.py [--samples 2000] [--full] [--skip-sweep]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
from inspect_ai import Task, eval
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.scorer import Score, Scorer, Target, mean, scorer
from inspect_ai.solver import TaskState, generate

from langgap._gc import long_lived_objects_frozen
from langgap.evaluate.benchmarks import load_benchmark
from langgap.evaluate.metrics import summarize
from langgap.evaluate.results import results_from_logs
from langgap.evaluate.run import RunOptions, run_eval

# The test stub is test support, not shipped: imported from its folder (a package named `tests`
# installed by some other distribution would shadow the repository's `tests.support`).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

from stub_server import StubProcess

REFUSAL = "I'm sorry, but I can't help with that. It could hurt people, so I won't provide it."
FAST = {"display": "none", "score_display": False, "log_images": False, "log_model_api": False}
LANGUAGES = ("en", "zh", "it", "vi", "ar", "ko", "th", "bn", "sw", "jv")  # MultiJail's ten
T = TypeVar("T")


@scorer(metrics=[mean()])
def trivial() -> Scorer:
    """Score 1 for any non-empty answer: the cheapest scorer Inspect can run."""

    async def score(state: TaskState, target: Target) -> Score:
        return Score(value=1 if state.output.completion else 0)

    return score


def samples(n: int) -> list[Sample]:
    """The n MultiJail samples langgap's run evaluates: n / 10 prompts in each of 10 languages."""
    loaded, _ = load_benchmark("multijail", limit=n // len(LANGUAGES))  # data: as commands find it
    assert len(loaded) == n, f"{len(loaded)} samples loaded, {n} wanted"
    return loaded


def bare_task(items: list[Sample]) -> Task:
    """Generate + trivial scorer: Inspect's own floor."""
    return Task(dataset=MemoryDataset(items), solver=generate(), scorer=trivial(), name="bare")


def timed(run: Callable[[], T]) -> tuple[T, float]:
    """What `run` returns, and this process's CPU seconds during it: unlike wall seconds, CPU
    seconds hardly move with the load of other processes (the stub's are not counted)."""
    start = time.process_time()
    result = run()
    return result, time.process_time() - start


def run_inspect(
    task: Task, model: str, connections: int, frozen: bool = False, **settings: Any
) -> tuple[float, Path]:
    """Wall seconds of one eval() call, and its log folder."""
    log_dir = Path(tempfile.mkdtemp(prefix="bench-eval-"))
    kwargs: dict[str, Any] = {**FAST, "max_samples": 2 * connections, **settings}
    freezer = long_lived_objects_frozen() if frozen else contextlib.nullcontext()
    start = time.perf_counter()
    with freezer:
        [log] = eval(task, model=model, log_dir=str(log_dir), max_connections=connections, **kwargs)
    elapsed = time.perf_counter() - start
    assert log.status == "success", log.error
    return elapsed, log_dir


def run_langgap_parts(n: int, model: str, connections: int) -> tuple[float, float, float]:
    """Wall seconds of `langgap eval run` (its `run_eval`, so every setting of langgap's own run
    path, the display included) on n MultiJail samples, of reading its log back and summarising
    it, and the CPU seconds of the run."""
    log_dir = tempfile.mkdtemp(prefix="bench-langgap-")
    options = RunOptions(["multijail"], [model], limit=n // len(LANGUAGES),
                         log_dir=log_dir, max_connections=connections)  # fmt: skip
    start = time.perf_counter()
    outcome, cpu = timed(lambda: run_eval(options))
    evaluated = time.perf_counter() - start
    assert outcome.success and outcome.errored == 0 and outcome.logs[0].total == n, outcome
    start = time.perf_counter()
    summarize(results_from_logs([log_dir]), n_boot=1000)
    return evaluated, time.perf_counter() - start, cpu


def run_langgap(n: int, model: str, connections: int) -> float:
    """Wall seconds of the langgap run plus the report's reading and summarising of its log."""
    evaluated, summarised, _ = run_langgap_parts(n, model, connections)
    return evaluated + summarised


async def _client(base_url: str, prompts: list[str], connections: int) -> float:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    gate = asyncio.Semaphore(connections)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:

        async def one(text: str) -> None:
            async with gate:
                body = {"model": "m", "messages": [{"role": "user", "content": text}]}
                response = await client.post("/chat/completions", json=body)
                response.raise_for_status()
                response.json()

        start = time.perf_counter()
        await asyncio.gather(*(one(p) for p in prompts))
        return time.perf_counter() - start


def run_client(base_url: str, items: list[Sample], connections: int) -> float:
    """Wall seconds for a bare httpx client to send the same requests."""
    prompts = [str(s.input) for s in items]
    return asyncio.run(_client(base_url, prompts, connections))


def served(latency: float, name: str = "bench") -> tuple[StubProcess, str]:
    """Start a stub, point `openai-api/<name>/…` at it; returns the server and model name."""
    stub = StubProcess(REFUSAL, latency=latency).__enter__()
    os.environ[f"{name.upper()}_BASE_URL"] = stub.base_url
    os.environ[f"{name.upper()}_API_KEY"] = "none"
    # the port in the name: Inspect caches a model per name, and each stub has a new address
    return stub, f"openai-api/{name}/m{stub.port}"


def rate(n: int, seconds: float) -> str:
    """samples/s, printed."""
    return f"{n / seconds:8.1f} samples/s ({seconds:6.2f} s)"


def part1(n: int, connections: int) -> None:
    """langgap overhead on top of Inspect, instant server."""
    items = samples(n)
    stub, model = served(0.0)
    run_inspect(bare_task(items[:50]), model, connections)  # warm imports and connections
    bare, _ = run_inspect(bare_task(items), model, connections)
    frozen, _ = run_inspect(bare_task(items), model, connections, frozen=True)
    evaluated, summarised, _ = run_langgap_parts(n, model, connections)
    stub.__exit__(None, None, None)
    ours = evaluated + summarised
    print(f"(1) {n} samples, instant server, {connections} connections")
    print(f"    bare Inspect (generate + trivial scorer): {rate(n, bare)}")
    print(f"    langgap eval (MultiJail task, refusal judge, all metrics): {rate(n, evaluated)}")
    print(f"    + reading the log back and summarize(): {summarised:.2f} s")
    print(f"    langgap overhead, eval only: {100 * (evaluated - bare) / bare:+.1f} % "
          "(target <= 10 %)")  # fmt: skip
    print(f"    langgap overhead, eval + report metrics: {100 * (ours - bare) / bare:+.1f} %")
    # langgap's run freezes the collector (gc.freeze); the same for bare Inspect, like for like
    print(f"    bare Inspect under the same gc.freeze(): {rate(n, frozen)}")
    eval_only, with_report = (100 * (t - frozen) / frozen for t in (evaluated, ours))
    print(f"    langgap overhead against it: eval only {eval_only:+.1f} %, "
          f"eval + report metrics {with_report:+.1f} %")  # fmt: skip


def distribution_lookup() -> float:
    """Seconds of Inspect's lookup, once per run, of the installed distribution that ships
    langgap's task: ~1 ms when the langgap imported is the installed one, but a scan of every
    installed package's files when it is not (a checkout or worktree on PYTHONPATH beside an
    install of another one), which no user run pays."""
    from inspect_ai._util.package import get_distribution_for_object

    from langgap.evaluate.tasks import multijail

    start = time.perf_counter()
    get_distribution_for_object(multijail)
    return time.perf_counter() - start


def part2(n: int, connections: int, latency: float, repeat: int = 1) -> None:
    """langgap vs a bare client at realistic latency, `repeat` times in one process."""
    items = samples(n)
    stub, model = served(latency)
    run_inspect(bare_task(items[:16]), model, connections)  # warm imports, as the client is warm
    ideal = n * latency / connections
    ratios: list[float] = []
    for rep in range(1, repeat + 1):
        load = os.getloadavg()[0]
        client, client_cpu = timed(lambda: run_client(stub.base_url, items, connections))
        (bare, _), bare_cpu = timed(lambda: run_inspect(bare_task(items), model, connections))
        (frozen, _), frozen_cpu = timed(
            lambda: run_inspect(bare_task(items), model, connections, frozen=True)
        )
        evaluated, summarised, ours_cpu = run_langgap_parts(n, model, connections)
        ratios.append(client / evaluated)

        def cpu(seconds: float) -> str:
            return f"CPU {1000 * seconds / n:5.2f} ms/sample"

        print(f"(2) {n} samples, {latency * 1000:.0f} ms latency, {connections} connections "
              f"(ideal {ideal:.2f} s), run {rep} of {repeat}, load {load:.1f} on "
              f"{os.cpu_count()} cores")  # fmt: skip
        print(f"    bare httpx client: {rate(n, client)}  {cpu(client_cpu)}")
        print(f"    bare Inspect:      {rate(n, bare)}  {cpu(bare_cpu)}  "
              f"(ratio to client {client / bare:.2f})")  # fmt: skip
        print(f"    bare Inspect, gc.freeze(): {rate(n, frozen)}  {cpu(frozen_cpu)}  "
              f"(ratio to client {client / frozen:.2f})")  # fmt: skip
        print(
            f"    langgap eval:      {rate(n, evaluated)}  {cpu(ours_cpu)}"
            + ("  (first run in this process: judge tables built)" if rep == 1 else "")
        )
        print(f"    + reading the log back and summarize(): {summarised:.2f} s")
        print(f"    ratio langgap eval / client: {client / evaluated:.2f} (target >= 0.85)")
        print(f"    ratio with the report step:  {client / (evaluated + summarised):.2f}")
        print(f"    ratio langgap eval / bare Inspect under gc.freeze(): {frozen / evaluated:.2f}")
        if load >= (os.cpu_count() or 1):
            print("    (not a quiet machine: Inspect's own ratio to the client falls with the "
                  "load, and langgap's with it)")  # fmt: skip
    stub.__exit__(None, None, None)
    if repeat > 1:
        print(
            f"    ratio langgap eval / client over {repeat} runs: median "
            f"{statistics.median(ratios):.2f}, range {min(ratios):.2f}-{max(ratios):.2f}"
        )
    if (lookup := distribution_lookup()) > 0.05:
        print(f"    of each langgap run, {lookup:.2f} s was Inspect's lookup of the installed "
              "distribution shipping the task: the langgap imported is not the installed one "
              "(a checkout on PYTHONPATH); an installed langgap pays ~1 ms")  # fmt: skip


def part3(n: int, connections: int, sweep: bool) -> None:
    """Instant server: throughput ceilings, a settings sweep, and scale-out."""
    items = samples(n)
    stub, model = served(0.0)
    client = run_client(stub.base_url, items, connections)
    bare, _ = run_inspect(bare_task(items), model, connections)
    ours = run_langgap(n, model, connections)
    print(f"(3) {n} samples, instant server, {connections} connections")
    print(f"    bare httpx client: {rate(n, client)}")
    print(f"    bare Inspect:      {rate(n, bare)}")
    print(f"    langgap:           {rate(n, ours)}")
    if sweep:
        settings: list[tuple[str, dict[str, Any], int]] = [
            ("display=plain", {"display": "plain"}, connections),
            ("score_display=True", {"score_display": True}, connections),
            ("log_buffer=100", {"log_buffer": 100}, connections),
            ("log_realtime=False", {"log_realtime": False}, connections),
            ("max_samples=connections", {"max_samples": connections}, connections),
            ("max_samples=4x connections", {"max_samples": 4 * connections}, connections),
            ("max_connections=32", {}, 32),
            ("gc.freeze() before the run", {"frozen": True}, connections),
        ]
        print("    settings sweep (bare Inspect; baseline = the fast settings above):")
        for label, extra, conns in settings:
            seconds, _ = run_inspect(bare_task(items), model, conns, **extra)
            print(f"      {label:28s} {rate(n, seconds)}")
    stub.__exit__(None, None, None)
    scale_out(n, connections)


def scale_out(n: int, connections: int) -> None:
    """1 eval process for n samples vs 2 processes with n/2 each, one stub endpoint each."""
    stubs = [StubProcess(REFUSAL).__enter__() for _ in range(2)]
    timings = {}
    for processes in (1, 2):
        share = n // processes
        start = time.perf_counter()
        workers = [
            subprocess.Popen([sys.executable, __file__, "--worker", stubs[i].base_url,
                              "--samples", str(share), "--connections", str(connections)])
            for i in range(processes)
        ]  # fmt: skip
        assert all(w.wait() == 0 for w in workers)
        timings[processes] = time.perf_counter() - start
    for stub in stubs:
        stub.__exit__(None, None, None)
    print(f"    scale-out, langgap, {n} samples (process start-up included):")
    print(f"      1 process:                 {rate(n, timings[1])}")
    print(f"      2 processes, 2 endpoints:  {rate(n, timings[2])}"
          f"  speed-up {timings[1] / timings[2]:.2f}x on {os.cpu_count()} cores")  # fmt: skip


def worker(base_url: str, n: int, connections: int) -> None:
    """One scale-out process: the langgap task over n samples against one endpoint."""
    os.environ["BENCH_BASE_URL"], os.environ["BENCH_API_KEY"] = base_url, "none"
    run_langgap(n, "openai-api/bench/m", connections)


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and print every measurement."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--samples", type=int, default=1000, help="samples for (1) and (3)")
    parser.add_argument("--full", action="store_true", help="2,000 samples for (1) and (3)")
    parser.add_argument("--latency-samples", type=int, default=400, help="samples for (2)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--only", type=int, choices=(1, 2, 3), help="run one part only")
    parser.add_argument("--repeat", type=int, default=1, help="runs of (2), in one process")
    parser.add_argument("--worker", metavar="BASE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.getLogger("inspect_ai").setLevel(logging.WARNING)
    if args.worker:
        worker(args.worker, args.samples, args.connections)
        return
    n = 2000 if args.full else args.samples
    if n % (2 * len(LANGUAGES)) or args.latency_samples % len(LANGUAGES):
        parser.error(
            "--samples must be a multiple of 20 and --latency-samples of 10 (the same "
            "number of prompts in each of MultiJail's 10 languages, in 1 or 2 processes)"
        )
    steps: list[Callable[[], None]] = [
        lambda: part1(n, args.connections),
        lambda: part2(args.latency_samples, args.connections, 0.2, args.repeat),
        lambda: part3(n, args.connections, not args.skip_sweep),
    ]
    print(json.dumps({"cpus": os.cpu_count(), "samples": n, "connections": args.connections}))
    for number, step in enumerate(steps, start=1):
        if args.only in (None, number):
            step()


if __name__ == "__main__":
    main()
