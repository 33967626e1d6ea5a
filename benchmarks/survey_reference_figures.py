"""The survey's headline figures computed from the packaged reference annotation.

The reference (`src/langgap/survey/reference/gold.csv`, see its `DATA_CARD.md`) labels every
keyword hit 2020–2024 of the Anthology snapshot from title and abstract. This prints what the
published survey (Yong et al. 2025, arXiv 2505.24119) reports, computed from those labels: the
kept (related) count, the English-only share among kept papers with a 95 % Wilson interval,
kept / English-only / non-English-or-multilingual papers per year, the most studied languages,
topics, the documented share and the number of distinct languages. `docs/survey-reference.md`
puts these beside the published figures.

A paper's year is the first part of its Anthology id (`2023.acl-long.5` → 2023). With the
snapshot at hand (`--anthology`, by default `../shared/data/acl-anthology` beside the repository)
each id is also looked up in it: its year is checked against the volume's `<year>`, and the
script says whether the two Findings volumes the published survey counted but the snapshot may
lack (AACL-IJCNLP 2023, EMNLP 2024) are there.

    PYTHONPATH=src python benchmarks/survey_reference_figures.py [--anthology PATH] [--top 15]
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from langgap.survey.annotations import Annotation
from langgap.survey.models import TOPICS
from langgap.survey.reference import load_reference, reference_path

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "acl-anthology"
Z_95 = 1.959963984540054  # the 97.5th percentile of the standard normal
# Findings volumes of 2020–2024 the published survey could count; the snapshot may lack some.
FINDINGS_VOLUMES = (("2023", "ijcnlp", "AACL-IJCNLP 2023 Findings"),
                    ("2024", "emnlp", "EMNLP 2024 Findings"))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Share:
    """k of n with its 95 % Wilson score interval."""

    k: int
    n: int

    @property
    def value(self) -> float:
        return self.k / self.n if self.n else math.nan

    def interval(self) -> tuple[float, float]:
        """The Wilson score interval (Wilson 1927), which stays inside [0, 1] for small n."""
        if self.n == 0:
            return math.nan, math.nan
        p, n, z2 = self.value, self.n, Z_95 * Z_95
        centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        half = Z_95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
        return max(0.0, centre - half), min(1.0, centre + half)

    def text(self) -> str:
        low, high = self.interval()
        return f"{self.k}/{self.n} = {self.value:.1%} (95% Wilson {low:.1%}–{high:.1%})"


def shown(path: Path) -> str:
    """A path relative to the working directory (as the command was typed), else absolute."""
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("../../") else relative


def year_of(paper_id: str) -> int:
    """The year an Anthology id starts with (`2023.acl-long.5` → 2023)."""
    head = paper_id.split(".", 1)[0]
    if not (len(head) == 4 and head.isdigit()):
        raise ValueError(f"{paper_id!r} does not start with a year")
    return int(head)


def language_name(code: str) -> str:
    """An English name for an ISO 639-3 code, or the code itself when none is known."""
    try:
        import langcodes

        name = langcodes.Language.get(code).display_name()
    except (ImportError, ValueError, LookupError):
        return code
    return str(name) if name and not name.startswith("Unknown") else code


def snapshot_years(root: Path, ids: Iterable[str]) -> tuple[dict[str, int], list[str]]:
    """Each id's year as the snapshot's volume states it; ids the snapshot lacks are listed."""
    wanted: dict[Path, dict[tuple[str, str], str]] = {}
    for paper_id in ids:
        collection, _, number = paper_id.rpartition(".")
        year, _, venue_volume = collection.partition(".")
        venue, _, volume = venue_volume.rpartition("-")  # acl-long: venue acl, volume long
        if not (venue and volume and number):
            raise ValueError(f"cannot read the volume of {paper_id!r}")
        path = root / "xml" / f"{year}.{venue}.xml"
        wanted.setdefault(path, {})[(volume, number)] = paper_id
    years: dict[str, int] = {}
    missing: list[str] = []
    for path, keys in sorted(wanted.items()):
        if not path.exists():
            missing.extend(keys.values())
            continue
        found: dict[tuple[str, str], int] = {}
        for node in ET.parse(path).getroot().iter("volume"):
            year_text = node.findtext("meta/year") or ""
            for paper in node.iter("paper"):
                key = (node.get("id", ""), paper.get("id", ""))
                if key in keys and year_text.strip().isdigit():
                    found[key] = int(year_text)
        for key, paper_id in keys.items():
            if key in found:
                years[paper_id] = found[key]
            else:
                missing.append(paper_id)
    return years, sorted(missing)


def findings_volumes(root: Path) -> list[tuple[str, bool]]:
    """Whether each Findings volume in `FINDINGS_VOLUMES` is in the snapshot."""
    present = []
    for year, volume, label in FINDINGS_VOLUMES:
        path = root / "xml" / f"{year}.findings.xml"
        ids = (
            {v.get("id") for v in ET.parse(path).getroot().iter("volume")}
            if path.exists()
            else set()
        )
        present.append((label, volume in ids))
    return present


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    """A plain left/right aligned text table (numbers right, text left)."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    numeric = [all(isinstance(row[i], int | float) for row in rows) for i in range(len(header))]
    lines = []
    for number, row in enumerate(cells):
        parts = [
            c.rjust(w) if numeric[i] else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  " + "  ".join(parts).rstrip())
        if number == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report(gold: Sequence[Annotation], top: int, root: Path | None) -> str:
    """The figures as text."""
    kept = [a for a in gold if a.related]
    out = [
        f"reference: {shown(reference_path())} ({len(gold)} papers screened, years "
        f"{min(year_of(a.paper_id) for a in gold)}–{max(year_of(a.paper_id) for a in gold)})",
        "",
        f"kept (related = true): {len(kept)} of {len(gold)}",
    ]
    english_only = Share(sum(a.group == "english_only" for a in kept), len(kept))
    out.append(f"English-only among kept: {english_only.text()}")
    groups = Counter(a.group for a in kept)
    out.append(
        "groups among kept: "
        + ", ".join(f"{g} {groups[g]}" for g in ("english_only", "non_english", "multilingual"))
    )

    out += ["", "per year (kept papers):"]
    by_year: dict[int, list[Annotation]] = {}
    for a in kept:
        by_year.setdefault(year_of(a.paper_id), []).append(a)
    rows = []
    for year in sorted(by_year):
        papers = by_year[year]
        eng = sum(a.group == "english_only" for a in papers)
        rows.append((year, len(papers), eng, len(papers) - eng, f"{eng / len(papers):.0%}"))
    header = ("year", "kept", "English-only", "non-English/multilingual", "English-only share")
    out.append(table(rows, header))

    out += [
        "",
        f"top {top} languages (kept papers studying each; a paper counts once per language):",
    ]
    languages = Counter(code for a in kept for code in set(a.languages))
    ranked = sorted(languages.items(), key=lambda item: (-item[1], item[0]))[:top]
    out.append(table([(code, language_name(code), n) for code, n in ranked],
                     ("code", "language", "papers")))  # fmt: skip
    non_english = {code for code in languages if code != "eng"}
    unnamed = sum(bool(a.unlisted) for a in kept)
    out.append(
        f"distinct named languages: {len(languages)} ({len(non_english)} besides English); "
        f"{unnamed} kept papers also study languages the abstract does not name (+N/+?)"
    )

    out += ["", "topics (kept papers):"]
    topics = Counter(a.topic for a in kept)
    out.append(table([(t, topics[t]) for t in TOPICS if t != "not_safety"], ("topic", "papers")))

    documented = Share(sum(a.documented for a in kept), len(kept))
    undocumented = Share(len(kept) - documented.k, len(kept))
    out += [
        "",
        f"documented (title/abstract names the languages) among kept: {documented.text()}",
        f"not documented among kept: {undocumented.text()}",
    ]
    eng_kept = [a for a in kept if a.group == "english_only"]
    eng_undocumented = Share(sum(not a.documented for a in eng_kept), len(eng_kept))
    out.append(f"not documented among English-only kept: {eng_undocumented.text()}")

    if root is not None:
        out += ["", f"snapshot: {shown(root)}"]
        years, missing = snapshot_years(root, (a.paper_id for a in gold))
        clash = sorted(pid for pid, year in years.items() if year != year_of(pid))
        out.append(
            f"ids found in the snapshot: {len(years)} of {len(gold)}"
            + (f"; missing: {', '.join(missing)}" if missing else "")
        )
        out.append(
            "year from the id agrees with the volume's <year>: "
            + ("all" if not clash else f"no for {', '.join(clash)}")
        )
        for label, present in findings_volumes(root):
            out.append(f"{label}: {'in' if present else 'NOT in'} the snapshot")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--anthology", type=Path, default=DEFAULT_DATA,
        help="the Anthology data folder (holding xml/); checked when it exists",
    )  # fmt: skip
    parser.add_argument("--no-snapshot", action="store_true", help="skip the snapshot checks")
    parser.add_argument("--top", type=int, default=15, help="how many languages to list")
    args = parser.parse_args(argv)
    root: Path | None = None
    if not args.no_snapshot:
        if (args.anthology / "xml").is_dir():
            root = args.anthology.resolve()
        else:
            print(f"(no snapshot at {args.anthology}: snapshot checks skipped)", file=sys.stderr)
    words = sys.argv if argv is None else [sys.argv[0], *argv]
    print(f"$ PYTHONPATH=src python {shlex.join(words)}")
    print(report(load_reference(), args.top, root))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
