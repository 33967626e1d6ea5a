"""Survey performance: parse + screen + annotate + stats over the whole Anthology snapshot.

Targets (issue 2): cold run ≤ 10 s wall and ≤ 1 GB peak memory on 2 cores, ≤ 1.5× a bare stdlib
`xml.etree` pass over the same files measured in the same command, cached second run ≤ 2 s.
Each measurement runs in its own subprocess so peak memory (ru_maxrss) belongs to it alone.

    python benchmarks/bench_survey.py [--anthology ../shared/data/acl-anthology]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_data import anthology_xml


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare_pass(root: Path) -> dict[str, float]:
    """The baseline: stdlib ElementTree parses every file and pulls out each title and abstract."""
    import xml.etree.ElementTree as ET

    start = time.perf_counter()
    papers = 0
    for path in sorted((root / "xml").glob("*.xml")):
        for paper in ET.parse(path).getroot().iter("paper"):
            title = paper.find("title")
            abstract = paper.find("abstract")
            "".join(title.itertext()) if title is not None else ""
            "".join(abstract.itertext()) if abstract is not None else ""
            papers += 1
    return {"seconds": time.perf_counter() - start, "papers": papers, "peak_mb": _peak_mb()}


def survey_pass(root: Path, cache: Path, out: Path, report: bool) -> dict[str, float]:
    """langgap's survey (optionally with the report) with the given cache folder."""
    from langgap.survey.pipeline import SurveyConfig, run_survey
    from langgap.survey.screen import ScreenConfig

    start = time.perf_counter()
    config = SurveyConfig(
        anthology=root, out=out, screen=ScreenConfig(years=(2020, 2025)), cache_root=cache,
        write_report=report,
    )  # fmt: skip
    result = run_survey(config)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "parsed_files": result.parsed_files,
        "annotated": result.annotated,
        "screened": result.stats.stats.screened,
        "kept": result.stats.stats.kept,
        "papers": result.stats.stats.total_papers,
        "peak_mb": _peak_mb(),
        **{f"t_{k}": v for k, v in result.timings.items()},
    }


def _child(args: list[str]) -> dict[str, float]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_wall"] = time.perf_counter() - start
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--anthology", type=Path, default=None)  # None: as commands (bench_data.py)
    parser.add_argument("--child", nargs="*")
    args = parser.parse_args()
    if args.child is not None:
        kind, *rest = args.child
        if kind == "bare":
            print(json.dumps(bare_pass(Path(rest[0]))))
        else:
            root, cache, out, report = rest
            print(json.dumps(survey_pass(Path(root), Path(cache), Path(out), report == "1")))
        return
    root = anthology_xml(args.anthology)
    with tempfile.TemporaryDirectory() as tmp:
        cache, out = Path(tmp) / "cache", Path(tmp) / "out"
        bare = _child(["bare", str(root)])
        cold = _child(["survey", str(root), str(cache), str(out), "0"])
        warm = _child(["survey", str(root), str(cache), str(out), "0"])
        cold_report = _child(["survey", str(root), str(cache), str(out / "r"), "1"])
        warm_report = _child(["survey", str(root), str(cache), str(out / "r"), "1"])
    print(f"files: {len(list((root / 'xml').glob('*.xml')))}  papers: {bare['papers']:.0f}")
    print(
        f"bare stdlib xml.etree pass      {bare['seconds']:6.2f} s  peak {bare['peak_mb']:6.0f} MB"
    )
    print(
        f"langgap cold (parse+screen+annotate+stats) {cold['seconds']:6.2f} s  "
        f"peak {cold['peak_mb']:6.0f} MB  ratio to bare {cold['seconds'] / bare['seconds']:.2f}x  "
        f"(process wall incl. imports {cold['process_wall']:.2f} s)"
    )
    print(
        "  steps: " + "  ".join(f"{k[2:]} {v:.2f}" for k, v in cold.items() if k.startswith("t_"))
    )
    print(
        f"  screened {cold['screened']:.0f}, kept {cold['kept']:.0f}, "
        f"annotated {cold['annotated']:.0f}, files parsed {cold['parsed_files']:.0f}"
    )
    print(
        f"langgap cached second run       {warm['seconds']:6.2f} s  "
        f"(files parsed {warm['parsed_files']:.0f}, annotated {warm['annotated']:.0f}; "
        f"process wall {warm['process_wall']:.2f} s)"
    )
    print(
        f"with report: first {cold_report['seconds']:.2f} s, "
        f"cached second run {warm_report['seconds']:.2f} s "
        f"(process wall {warm_report['process_wall']:.2f} s)"
    )


if __name__ == "__main__":
    main()
