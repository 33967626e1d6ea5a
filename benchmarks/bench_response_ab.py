"""Two source trees' response classifiers in one process: identical verdicts, and speed measured
alternately (the machine's load then weighs on both alike).

Verdicts (action, rationale, language, evidence, span, folded, unsupported, confidence) are
compared one call at a time and in one batch, on Do-Not-Answer's replies (with their language,
"eng" and none) and, when --extra-data-dir holds msts/, on MSTS's replies (theirs and none). Speed:
replies/s on Do-Not-Answer's replies, per call (`classify_response`) and in one batch
(`classify_many`), each round timing both trees, the order swapped every round. Reply texts are
never printed.

    mkdir -p /tmp/base && git archive main src | tar -x -C /tmp/base   # the tree to compare to
    python benchmarks/bench_response_ab.py --baseline /tmp/base/src [--rounds 12]
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench_data import data_root

Texts = list[str | None]
Languages = list[str | None]


@dataclasses.dataclass(frozen=True)
class Tree:
    """One source tree's classifier, loaded and warmed while its modules were importable."""

    name: str
    one: Callable[..., Any]  # classify_response
    many: Callable[..., list[Any]]  # classify_many
    forget: Callable[[], None]  # clears classify_response's recent-reply cache


@contextmanager
def imported_from(src: Path) -> Iterator[None]:
    """`langgap` importable from `src` only, within the block; dropped from sys.modules after
    (what was imported stays alive through the objects that hold it)."""

    def forget() -> None:
        for module in [m for m in sys.modules if m == "langgap" or m.startswith("langgap.")]:
            del sys.modules[module]

    forget()
    sys.path.insert(0, str(src))
    try:
        yield
    finally:
        forget()
        sys.path.remove(str(src))


def load_tree(name: str, src: Path, warm: Sequence[tuple[Texts, Languages]]) -> Tree:
    """Import `src`'s classifier and warm every lazily loaded table on `warm` while its modules
    are the importable ones (its resources are read through the package name)."""
    with imported_from(src):
        response = importlib.import_module("langgap.evaluate.judges.response")
        if not str(response.__file__).startswith(str(src.resolve())):
            raise SystemExit(f"{src}: langgap was imported from {response.__file__} instead")
        for texts, languages in warm:
            response.classify_many(texts, languages)
            for text, language in zip(texts, languages, strict=True):
                response.classify_response(text, language)
    cache = response._classify_packaged  # one call at a time starts cold
    return Tree(name, response.classify_response, response.classify_many, cache.cache_clear)


def verdicts(tree: Tree, texts: Texts, languages: Languages, batch: bool) -> list[tuple[Any, ...]]:
    """Every field of every verdict, as plain tuples (the two trees' classes differ)."""
    if batch:
        found = tree.many(texts, languages)
    else:
        tree.forget()
        found = [tree.one(t, g) for t, g in zip(texts, languages, strict=True)]
    return [dataclasses.astuple(v) for v in found]


def compare(trees: Sequence[Tree], name: str, texts: Texts, languages: Languages) -> bool:
    """Print whether both trees, in both modes, give the first's per-call verdicts."""
    reference = verdicts(trees[0], texts, languages, batch=False)
    same = True
    for tree in trees:
        for batch in (False, True):
            got = verdicts(tree, texts, languages, batch)
            differ = [i for i, (a, b) in enumerate(zip(reference, got, strict=True)) if a != b]
            mode = "batch" if batch else "per call"
            state = f"{len(differ)} differ (rows {differ[:5]})" if differ else "identical"
            print(f"   {name}, {tree.name}, {mode}: {state}")
            same = same and not differ
    return same


def speed(
    trees: Sequence[Tree], texts: list[str], rounds: int
) -> dict[tuple[str, str], list[float]]:
    """Replies/s per (tree, mode) and round; the trees' order alternates round by round."""
    languages: Languages = ["eng"] * len(texts)
    rates: dict[tuple[str, str], list[float]] = {}
    for r in range(rounds):
        for tree in trees if r % 2 == 0 else trees[::-1]:
            start = time.perf_counter()
            for text in texts:
                tree.one(text, "eng")
            middle = time.perf_counter()
            tree.many(texts, languages)
            end = time.perf_counter()
            rates.setdefault((tree.name, "per call"), []).append(len(texts) / (middle - start))
            rates.setdefault((tree.name, "batch"), []).append(len(texts) / (end - middle))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", type=Path, required=True, help="src/ of the other tree")
    here = Path(__file__).resolve().parents[1] / "src"
    parser.add_argument("--candidate", type=Path, default=here, help=f"(default: {here})")
    parser.add_argument("--data-dir", type=Path, default=None)  # None: as commands (bench_data.py)
    parser.add_argument("--extra-data-dir", type=Path, default=None, help="folder holding msts/")
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    print(f"command: python benchmarks/bench_response_ab.py --baseline {args.baseline} "
          f"--candidate {args.candidate} --data-dir {data_root(args.data_dir)} "
          f"--extra-data-dir {args.extra_data_dir} --rounds {args.rounds}")  # fmt: skip

    with imported_from(args.candidate.resolve()):
        data = importlib.import_module("langgap.evaluate.judge_eval.data")
        dna = data.load_dataset("dna-refusal-strict", args.data_dir)
        msts = data.load_msts(args.extra_data_dir / "msts") if args.extra_data_dir else []
    sets: list[tuple[str, Texts, Languages]] = []
    for name, items in (("Do-Not-Answer", dna), ("MSTS", msts)):
        texts: Texts = [i.response for i in items]
        if texts:
            sets.append(
                (f"{name} ({len(texts)}), their languages", texts, [i.language for i in items])
            )
            sets.append((f"{name} ({len(texts)}), no language", texts, [None] * len(texts)))
    sets.insert(1, ("Do-Not-Answer, eng", [i.response for i in dna], ["eng"] * len(dna)))
    warm = [(texts, languages) for _, texts, languages in sets]
    trees = [
        load_tree("baseline", args.baseline, warm),
        load_tree("candidate", args.candidate, warm),
    ]

    print("\n1. Verdicts, every field, against the baseline's per-call verdicts")
    same = all([compare(trees, name, texts, languages) for name, texts, languages in sets])
    print(f"   {'all identical' if same else 'VERDICTS DIFFER'}")

    if args.rounds < 1:
        raise SystemExit(0 if same else 1)
    replies = [i.response for i in dna]
    rates = speed(trees, replies, args.rounds)
    print(f"\n2. Speed on {len(replies)} Do-Not-Answer replies, replies/s, {args.rounds} rounds")
    for mode in ("per call", "batch"):
        base, cand = rates["baseline", mode], rates["candidate", mode]
        ratios = [c / b for c, b in zip(cand, base, strict=True)]
        for tree, values in (("baseline", base), ("candidate", cand)):
            print(f"   {mode:8s} {tree:9s} best {max(values):7,.0f}  "
                  f"median {statistics.median(values):7,.0f}")  # fmt: skip
        print(f"   {mode:8s} candidate/baseline: median of rounds {statistics.median(ratios):.3f} "
              f"(range {min(ratios):.3f}-{max(ratios):.3f}), best/best "
              f"{max(cand) / max(base):.3f}")  # fmt: skip
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
