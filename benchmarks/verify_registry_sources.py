"""Check the data registry's GitHub sources against git copies of those repositories.

For every `github` entry whose repository has a bare git copy under MIRRORS (one folder per
repository, named `owner+name`, holding `repo/`; what the `fetch` tool or `git clone --bare`
gives), this reads each registered file at the pinned commit and compares its SHA-256 and size
with the registry. A wrong commit, a wrong path or changed content shows up here, before a user's
first download does.

    python benchmarks/verify_registry_sources.py [--mirrors /work/.mirror]
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
from pathlib import Path

from langgap.data.registry import Dataset, datasets


def _git(gitdir: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", f"--git-dir={gitdir}", *args], capture_output=True, check=False)


def check(dataset: Dataset, gitdir: Path) -> tuple[int, list[str]]:
    """Files that match, and one line per problem."""
    source = dataset.source
    if _git(gitdir, "cat-file", "-e", f"{source.revision}^{{commit}}").returncode:
        return 0, [f"commit {source.revision} is not in {gitdir}"]
    matched, problems = 0, []
    for spec in dataset.files:
        remote = spec.remote  # the prefix is already part of it
        shown = _git(gitdir, "show", f"{source.revision}:{remote}")
        if shown.returncode:
            problems.append(f"{remote}: not at commit {source.revision[:10]}")
        elif spec.sha256 and hashlib.sha256(shown.stdout).hexdigest() != spec.sha256:
            problems.append(f"{remote}: SHA-256 differs ({len(shown.stdout)} bytes)")
        else:
            matched += 1
    return matched, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    args = parser.parse_args()
    print(f"command: python benchmarks/verify_registry_sources.py --mirrors {args.mirrors}")
    for dataset in datasets().values():
        if dataset.source.kind != "github":
            print(f"{dataset.name}: {dataset.source.kind} source, not checked here")
            continue
        gitdir = args.mirrors / dataset.source.repo.replace("/", "+") / "repo"
        if not gitdir.is_dir():
            print(f"{dataset.name}: no git copy of {dataset.source.repo} at {gitdir}")
            continue
        matched, problems = check(dataset, gitdir)
        state = "ok" if not problems else f"{len(problems)} problem(s)"
        print(f"{dataset.name}: {matched} of {len(dataset.files)} files match at "
              f"{dataset.source.revision[:10]} — {state}")  # fmt: skip
        for line in problems[:10]:
            print(f"  {line}")


if __name__ == "__main__":
    main()
