"""BibTeX reader speed on generated files shaped like the Anthology's anthology+abstracts.bib.gz.

The real export holds ~100k entries, ~100 MB unzipped; the reader streams it in chunks, so
time grows linearly and memory stays bounded by the papers it returns.

    python benchmarks/bench_bibtex.py [--entries 5000 100000]
"""

from __future__ import annotations

import argparse
import gzip
import resource
import tempfile
import time
from pathlib import Path

from langgap.survey.sources.bibtex import read_bibtex

ABSTRACT = (
    "Safety training of large language models transfers poorly to low-resource languages. "
    "We translate harmful prompts into Bengali and Swahili and measure jailbreak success, "
    "refusal rates and toxicity across twelve models, finding that {{LLM}}s refuse far less "
    "often outside English; we release the prompts and a multilingual evaluation suite. "
) * 3  # ~1,000 characters, the Anthology's typical abstract length


def entry(i: int) -> str:
    """One entry as the Anthology exports it."""
    return (
        f"@inproceedings{{ku-etal-2024-paper{i},\n"
        f'    title = "{{B}}ERT-based Safety Evaluation Number {i}",\n'
        '    author = "Ku, Lun-Wei  and\n      M{\\"u}ller, Andre  and\n      Srikumar, Vivek",\n'
        '    booktitle = "Proceedings of the 62nd Annual Meeting of the ACL",\n'
        '    month = aug,\n    year = "2024",\n    address = "Bangkok, Thailand",\n'
        '    publisher = "Association for Computational Linguistics",\n'
        f'    url = "https://aclanthology.org/2024.acl-long.{i}/",\n'
        f'    doi = "10.18653/v1/2024.acl-long.{i}",\n    pages = "1--12",\n'
        f'    abstract = "{ABSTRACT.strip()}",\n}}\n\n'
    )


def main() -> None:
    """Write each size to a temporary .bib.gz, read it and print seconds and peak memory."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, nargs="+", default=[5_000, 100_000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.entries:
            path = Path(tmp) / f"anthology-{n}.bib.gz"
            with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as out:
                size = sum(out.write(entry(i)) for i in range(n))
            clock = time.perf_counter()
            papers, issues = read_bibtex(path)
            seconds = time.perf_counter() - clock
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"{n:>7,} entries, {size / 1e6:6.1f} MB unzipped: {seconds:6.2f} s "
                f"({n / seconds:,.0f} entries/s), {len(papers):,} papers, {len(issues)} issues, "
                f"peak RSS so far {peak:,.0f} MB"
            )


if __name__ == "__main__":
    main()
