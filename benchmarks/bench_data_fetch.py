"""First-use fetch of every data set from a local mirror, then a second run that asks nothing.

Targets (issue 17): all data sets fetched and verified in ≤ 10 s from a local server; the second
run makes 0 requests. The mirror (`langgap.data.mirror`) serves the copies in ../shared/data in
the raw-GitHub and hub layouts; LANGGAP_DATA_MIRROR and HF_ENDPOINT point langgap at it, so the
same code paths as a real first use run (httpx for raw files, huggingface_hub for hub sets).
Data sets with no copy here (or no fixed file list) are listed as skipped.

It also times the offline error as a user meets it: the whole `langgap data fetch multijail`
command (start-up included) against a port that refuses at once, and on a network that drops
every packet. This sandbox answers connections to any address, so the dropped network is
simulated inside the timed process: its connection attempts hang. Target: one line within 3 s.

    python benchmarks/bench_data_fetch.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from langgap.data import dataset_dir, datasets
from langgap.data.mirror import MirrorServer, mirror_paths

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


REFUSED = "http://127.0.0.1:9"  # nothing listens: refused at once
RUN_CLI = "from langgap.cli import app; app()"
# Every connection attempt hangs, as on a network that drops packets.
DROP_THEN_RUN_CLI = (
    "import socket, time; socket.create_connection = lambda *a, **k: time.sleep(60); "
)


def offline_command_seconds(dropped: bool) -> tuple[float, int, int]:
    """Wall seconds, exit code and output lines of `langgap data fetch multijail` offline."""
    code = (DROP_THEN_RUN_CLI if dropped else "") + RUN_CLI
    command = [sys.executable, "-c", code, "data", "fetch"]
    with tempfile.TemporaryDirectory() as empty:
        env = {**os.environ, "LANGGAP_DATA_MIRROR": REFUSED, "LANGGAP_DATA_DIR": empty}
        env.pop("LANGGAP_OFFLINE", None)
        clock = time.perf_counter()
        done = subprocess.run([*command, "multijail"], env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - clock
    lines = len((done.stdout + done.stderr).strip().splitlines())
    return seconds, done.returncode, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    files = mirror_paths(args.data)
    served = [
        d.name
        for d in datasets().values()
        if d.files and all(any(k.endswith("/" + s.remote) for k in files) for s in d.files)
    ]
    skipped = [name for name in datasets() if name not in served]
    with MirrorServer(files) as mirror, tempfile.TemporaryDirectory() as target:
        os.environ.update(
            LANGGAP_DATA_MIRROR=mirror.url, HF_ENDPOINT=mirror.url, LANGGAP_DATA_DIR=target
        )
        os.environ.pop("LANGGAP_OFFLINE", None)
        clock = time.perf_counter()
        for name in served:
            dataset_dir(name)
        first_s = time.perf_counter() - clock
        first_requests = len(mirror.requests)
        clock = time.perf_counter()
        for name in served:
            dataset_dir(name)
        second_s = time.perf_counter() - clock
        second_requests = len(mirror.requests) - first_requests
        size = sum(p.stat().st_size for p in Path(target).rglob("*") if p.is_file())
    offline = {
        name: dict(
            zip(("seconds", "exit_code", "lines"), offline_command_seconds(dropped), strict=True)
        )
        for name, dropped in (("refused", False), ("dropped_packets", True))
    }
    for figures in offline.values():
        figures["seconds"] = round(figures["seconds"], 2)
    print(
        json.dumps(
            {
                "fetched": served,
                "skipped_no_local_copy": skipped,
                "files": first_requests,
                "megabytes": round(size / 1e6, 1),
                "first_run_s": round(first_s, 2),
                "first_run_target_s": 10,
                "second_run_s": round(second_s, 3),
                "second_run_requests": second_requests,
                "offline_command": offline,
                "offline_command_target_s": 3,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
