"""First-use fetch of every data set from a local mirror, then a second run that asks nothing.

Targets (issue 17): all data sets fetched and verified in ≤ 10 s from a local server; the second
run makes 0 requests. The mirror (`langgap.data.mirror`) serves the copies in ../shared/data in
the raw-GitHub and hub layouts; LANGGAP_DATA_MIRROR and HF_ENDPOINT point langgap at it, so the
same code paths as a real first use run (httpx for raw files, huggingface_hub for hub sets).
Data sets with no copy here (or no fixed file list) are listed as skipped.

    python benchmarks/bench_data_fetch.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from langgap.data import dataset_dir, datasets
from langgap.data.mirror import MirrorServer, mirror_paths

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


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
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
