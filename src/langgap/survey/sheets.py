"""Annotation sheets: split the kept papers among annotators, with paired overlaps for agreement.

The published survey had four annotator pairs each label the same 20 papers (to measure
agreement); every other paper was labelled by one annotator. `make_sheets` reproduces that design
for any team and writes one CSV + XLSX sheet per annotator and a plan.json recording who got what.
"""

from __future__ import annotations

import csv
import itertools
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from langgap._io import atomic_write_text
from langgap.survey.models import GROUPS, TOPICS
from langgap.survey.sheet_io import XlsxLayout, write_csv, write_xlsx

LABEL_COLUMNS = ("related", "languages", "group", "topic", "documented")
SHEET_COLUMNS = ("paper_id", "title", "abstract", "url", *LABEL_COLUMNS, "notes")
SUGGESTION_COLUMNS = tuple(f"suggested_{name}" for name in LABEL_COLUMNS)
BOOL_CHOICES = ("true", "false")
_PAPER_COLUMNS_NEEDED = ("id", "title", "abstract", "url", "related", *LABEL_COLUMNS[1:])

TOPIC_HELP = {
    "jailbreaking": "attacks that make a model ignore its safety training (jailbreaks, red-teaming "
    "prompts, adversarial suffixes) and defences against them",
    "toxicity_bias": "toxic, hateful or offensive output; social bias and stereotypes",
    "hallucination": "false or unsupported statements, factuality, misinformation",
    "privacy": "leaking personal or training data, memorisation, membership inference",
    "policy": "governance, regulation, usage policies, societal or legal impact",
    "alignment": "making models follow human values or instructions safely (RLHF, refusal, "
    "harmlessness training) when not one of the topics above",
    "not_safety": "the paper is not about LLM safety after all (e.g. food safety)",
}
INSTRUCTIONS = (
    (
        "related",
        "true if the paper studies the safety of language models, else false. "
        "When false, the other labels may stay empty.",
    ),
    (
        "languages",
        "every language the paper studies or evaluates, separated by ';' "
        "(names or codes: 'Bengali; Swahili' or 'ben; swa'). Code-mixed varieties "
        "such as Hinglish count as both languages.",
    ),
    (
        "group",
        "english_only (only English), non_english (exactly one language, not English), "
        "multilingual (two or more languages). It must match the languages.",
    ),
    ("topic", "the main safety topic; one of the seven below."),
    *((f"topic: {name}", text) for name, text in TOPIC_HELP.items()),
    (
        "documented",
        "true if the paper lists the languages it covers explicitly "
        "(false for 'across 30 languages' without naming them).",
    ),
    ("notes", "anything the adjudicator should know (optional)."),
    (
        "suggested_*",
        "the survey run's annotator's guess, for reference only; check it against the paper.",
    ),
)


@dataclass(frozen=True, slots=True)
class PairAssignment:
    """Two annotators and the overlap papers both of them label."""

    annotators: tuple[str, str]
    paper_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SheetPlan:
    """Who labels which papers, and the files written for them."""

    seed: int
    overlap: int
    blind: bool
    pairs: tuple[PairAssignment, ...]
    assignments: dict[str, tuple[str, ...]]  # annotator -> paper ids in sheet order
    files: tuple[Path, ...]
    order: str = "random"  # or "uncertainty": least certain papers first

    def as_json(self) -> dict[str, object]:
        """The plan as plain JSON data (what plan.json holds)."""
        return {
            "seed": self.seed,
            "overlap": self.overlap,
            "blind": self.blind,
            "order": self.order,
            "pairs": [
                {"annotators": list(p.annotators), "paper_ids": list(p.paper_ids)}
                for p in self.pairs
            ],
            "annotators": {name: list(ids) for name, ids in self.assignments.items()},
        }


def default_pairs(annotators: Sequence[str], count: int) -> list[tuple[str, str]]:
    """`count` distinct pairs, each annotator in about as many pairs (A,B,C,D → AB, CD, AC, BD)."""
    candidates = list(itertools.combinations(annotators, 2))
    if count > len(candidates):
        raise ValueError(
            f"{count} distinct pairs need more annotators: {len(annotators)} annotators form only "
            f"{len(candidates)} distinct pairs. Fix: lower --pairs to {len(candidates)} or add "
            "annotators."
        )
    load = dict.fromkeys(annotators, 0)
    chosen: list[tuple[str, str]] = []
    for _ in range(count):
        # The least-loaded pair first; ties go to the earlier pair, which keeps the plan stable.
        best = min(
            (pair for pair in candidates if pair not in chosen),
            key=lambda p: (max(load[p[0]], load[p[1]]), load[p[0]] + load[p[1]]),
        )
        chosen.append(best)
        load[best[0]] += 1
        load[best[1]] += 1
    return chosen


def check_annotators(annotators: Sequence[str]) -> list[str]:
    """Annotator names, stripped; raise on empty, duplicate or unusable (file-name) names."""
    names = [name.strip() for name in annotators]
    if not names:
        raise ValueError("no annotators given. Fix: name them, e.g. --annotators A,B,C,D")
    bad = [n for n in names if not n or any(ch in n for ch in '/\\:*?"<>|') or n.startswith(".")]
    if bad:
        raise ValueError(
            f"annotator names {bad!r} cannot be file names. Fix: use letters, digits, '-' or '_'."
        )
    seen: dict[str, str] = {}
    for name in names:
        # Case-insensitive: alice.csv and Alice.csv are one file on macOS and Windows.
        if name.lower() in seen:
            raise ValueError(
                f"duplicate annotator name {name!r} (also given as {seen[name.lower()]!r}). "
                "Fix: give each annotator a distinct name."
            )
        seen[name.lower()] = name
    return names


def _check_pairs(annotators: Sequence[str], pairs: Sequence[tuple[str, str]]) -> None:
    known = set(annotators)
    seen: set[frozenset[str]] = set()
    for first, second in pairs:
        unknown = [name for name in (first, second) if name not in known]
        if unknown:
            raise ValueError(
                f"pair {first}+{second}: {', '.join(map(repr, unknown))} is not an annotator "
                f"(annotators: {', '.join(annotators)}). Fix: pair only listed annotators."
            )
        if first == second:
            raise ValueError(f"pair {first}+{second} pairs an annotator with themself. Fix: "
                             "pair two different annotators.")  # fmt: skip
        key = frozenset((first, second))
        if key in seen:
            raise ValueError(f"pair {first}+{second} is given twice. Fix: list each pair once.")
        seen.add(key)


def read_kept_papers(path: Path, kept_only: bool = True) -> list[dict[str, str]]:
    """The kept rows (related == true) of a survey papers.csv, sorted by id (every screened row
    with `kept_only=False`)."""
    if not path.is_file():
        raise ValueError(
            f"{path} not found. Fix: run `langgap survey run --out {path.parent}` first."
        )
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in _PAPER_COLUMNS_NEEDED if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(
                f"{path}: row 1: columns {', '.join(missing)} are missing. Fix: use the "
                "papers.csv written by `langgap survey run`."
            )
        rows = list(reader)
    kept: dict[str, tuple[int, dict[str, str]]] = {}
    for number, row in enumerate(rows, start=2):
        if kept_only and row["related"].strip().lower() != "true":
            continue
        paper_id = row["id"].strip()
        if paper_id in kept:
            raise ValueError(
                f"{path}: rows {kept[paper_id][0]} and {number} share id {paper_id!r}. "
                "Fix: give each paper its own id."
            )
        kept[paper_id] = (number, row)
    return [kept[paper_id][1] for paper_id in sorted(kept)]


def plan_assignments(
    paper_ids: Sequence[str],
    annotators: Sequence[str],
    pairs: Sequence[tuple[str, str]],
    overlap: int,
    seed: int,
) -> tuple[tuple[PairAssignment, ...], dict[str, tuple[str, ...]]]:
    """Give each pair its own `overlap` papers and split the rest evenly, one annotator each."""
    needed = len(pairs) * overlap
    if len(paper_ids) < needed:
        raise ValueError(
            f"{len(pairs)} pairs x {overlap} overlap papers need {needed} kept papers; only "
            f"{len(paper_ids)} are kept. Fix: lower --overlap (at most "
            f"{len(paper_ids) // max(len(pairs), 1)}) or --pairs."
        )
    rng = random.Random(seed)
    shuffled = list(paper_ids)
    rng.shuffle(shuffled)
    pair_plans = tuple(
        PairAssignment(pair, tuple(shuffled[k * overlap : (k + 1) * overlap]))
        for k, pair in enumerate(pairs)
    )
    papers: dict[str, list[str]] = {name: [] for name in annotators}
    for plan in pair_plans:
        for name in plan.annotators:
            papers[name].extend(plan.paper_ids)
    for index, paper_id in enumerate(shuffled[needed:]):
        papers[annotators[index % len(annotators)]].append(paper_id)
    for name in annotators:
        rng.shuffle(papers[name])  # overlap papers are not recognisable by their position
    return pair_plans, {name: tuple(ids) for name, ids in papers.items()}


def _sheet_row(paper: dict[str, str], blind: bool) -> dict[str, str]:
    row = {
        "paper_id": paper["id"],
        "title": paper["title"],
        "abstract": paper["abstract"],
        "url": paper["url"],
    }
    if not blind:
        row.update({f"suggested_{name}": paper[name] for name in LABEL_COLUMNS})
    return row


SHEET_LAYOUT = XlsxLayout(
    title="labels",
    choices={
        "related": BOOL_CHOICES,
        "documented": BOOL_CHOICES,
        "group": GROUPS,
        "topic": TOPICS,
    },
    wrap=("title", "abstract", "notes"),
    widths={
        "paper_id": 28,
        "title": 40,
        "abstract": 90,
        "url": 30,
        "languages": 24,
        "topic": 16,
        "notes": 30,
    },
    text_columns=("paper_id", "languages"),
    instructions=INSTRUCTIONS,
)


ORDERS = ("random", "uncertainty")


def _least_certain_first(
    assignments: dict[str, tuple[str, ...]], by_id: dict[str, dict[str, str]], path: Path
) -> dict[str, tuple[str, ...]]:
    """Each sheet sorted so the papers the current model is least sure about come first (the
    active-learning habit: a person's next label is the most informative one)."""
    unscored = [paper_id for paper_id, row in by_id.items() if not row.get("confidence")]
    if unscored:
        raise ValueError(
            f"{path}: {len(unscored)} papers have no model confidence (e.g. {unscored[0]}). "
            f"Fix: run `langgap survey run … --annotator learned --out {path.parent}` first "
            "(after `survey learn`, with --learned-model)."
        )
    confidence = {paper_id: float(row["confidence"]) for paper_id, row in by_id.items()}
    return {
        name: tuple(sorted(ids, key=lambda i: (confidence[i], i)))
        for name, ids in assignments.items()
    }


def make_sheets(
    out_dir: Path,
    annotators: Sequence[str],
    overlap: int = 20,
    pairs: int | Sequence[tuple[str, str]] = 4,
    blind: bool = False,
    seed: int = 0,
    order: str = "random",
    all_screened: bool = False,
    sheets_dir: Path | None = None,
) -> SheetPlan:
    """Write <annotator>.csv/.xlsx and plan.json for the kept papers of OUT/papers.csv.

    They go to `sheets_dir`, by default OUT/sheets.

    >>> make_sheets(Path("out"), ["A", "B", "C", "D"])  # doctest: +SKIP
    """
    names = check_annotators(annotators)
    if overlap < 0:
        raise ValueError(f"overlap is {overlap}. Fix: give 0 or more papers per pair.")
    if isinstance(pairs, int):
        if pairs < 0:
            raise ValueError(f"pairs is {pairs}. Fix: give 0 or more pairs.")
        pair_list = default_pairs(names, pairs)
    else:
        pair_list = [(a.strip(), b.strip()) for a, b in pairs]
        _check_pairs(names, pair_list)
    if order not in ORDERS:
        raise ValueError(f"order {order!r} is unknown. Fix: use one of {', '.join(ORDERS)}.")
    papers = read_kept_papers(out_dir / "papers.csv", kept_only=not all_screened)
    by_id = {paper["id"]: paper for paper in papers}
    pair_plans, assignments = plan_assignments(list(by_id), names, pair_list, overlap, seed)
    if order == "uncertainty":
        assignments = _least_certain_first(assignments, by_id, out_dir / "papers.csv")
    columns = SHEET_COLUMNS if blind else (*SHEET_COLUMNS, *SUGGESTION_COLUMNS)
    folder = sheets_dir or out_dir / "sheets"
    files: list[Path] = []
    for name, ids in assignments.items():
        rows = [_sheet_row(by_id[paper_id], blind) for paper_id in ids]
        files.append(write_csv(folder / f"{name}.csv", columns, rows))
        files.append(write_xlsx(folder / f"{name}.xlsx", columns, rows, SHEET_LAYOUT))
    plan = SheetPlan(seed, overlap, blind, pair_plans, assignments, (), order)
    atomic_write_text(
        folder / "plan.json", json.dumps(plan.as_json(), indent=2, ensure_ascii=False) + "\n"
    )
    files.append(folder / "plan.json")
    return SheetPlan(seed, overlap, blind, pair_plans, assignments, tuple(files), order)
