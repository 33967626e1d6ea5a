"""`langgap survey sheet|import|adjudicate`: human annotation from sheets to a gold set."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from langgap.survey.sheet_io import SheetError, SheetProblem

console = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    console.print(f"error: {message}", style="red", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _problems(problems: Sequence[SheetProblem]) -> None:
    table = Table(title=f"{len(problems)} problem(s)", show_lines=False)
    for name in ("file", "row", "column", "message", "fix"):
        table.add_column(name, overflow="fold")
    for p in problems:
        # Text cells are never parsed as markup: messages quote user text with brackets.
        table.add_row(p.file, "" if p.row is None else str(p.row), p.column, p.message, p.fix)
    console.print(table, markup=False, highlight=False)


def parse_pairs(text: str) -> int | list[tuple[str, str]]:
    """'4' → 4 pairs chosen for balance; 'A+B,C+D' → those pairs."""
    if text.strip().isdigit():
        return int(text)
    pairs = []
    for item in (part.strip() for part in text.split(",")):
        members = [m.strip() for m in item.split("+")]
        if len(members) != 2 or not all(members):
            raise typer.BadParameter(
                f"{item!r}: give a pair as NAME+NAME, e.g. A+B,C+D, or a count"
            )
        pairs.append((members[0], members[1]))
    return pairs


def sheet(
    survey_dir: Annotated[
        Path, typer.Argument(help="The survey run's folder (`survey run --out`), with papers.csv.")
    ],
    annotators: Annotated[str, typer.Option(help="Comma-separated annotator names.")],
    overlap: Annotated[int, typer.Option(help="Papers each pair labels in common.")] = 20,
    pairs: Annotated[
        str, typer.Option(help="Number of pairs (chosen for balance) or explicit pairs: A+B,C+D.")
    ] = "4",
    blind: Annotated[bool, typer.Option(help="Hide the rule annotator's suggestions.")] = False,
    seed: Annotated[int, typer.Option(help="Random seed of the assignment.")] = 0,
    order: Annotated[
        str,
        typer.Option(
            help="Row order of each sheet: random, or uncertainty (the papers the current "
            "learned model is least sure about first; needs a run with --annotator learned)."
        ),
    ] = "random",
    all_screened: Annotated[
        bool,
        typer.Option(
            "--all-screened",
            help="Put every screened paper on the sheets, not only the kept ones (so people "
            "also label what the model called unrelated).",
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for the sheets and plan.json (default: SURVEY_DIR/sheets)."),
    ] = None,
) -> None:
    """Write one labelling sheet (CSV + XLSX) per annotator, with paired overlaps."""
    from langgap.survey.sheets import make_sheets

    names = [name.strip() for name in annotators.split(",")]
    folder = out or survey_dir / "sheets"
    try:
        plan = make_sheets(
            survey_dir,
            names,
            overlap,
            parse_pairs(pairs),
            blind,
            seed,
            order,
            all_screened,
            sheets_dir=folder,
        )
    except ValueError as error:
        raise _fail(str(error)) from None
    table = Table(title=f"sheets (seed {plan.seed})")
    for name in ("annotator", "papers", "in pairs"):
        table.add_column(name)
    for name, ids in plan.assignments.items():
        partners = [
            p.annotators[p.annotators[0] == name] for p in plan.pairs if name in p.annotators
        ]
        table.add_row(name, str(len(ids)), ", ".join(partners) or "-")
    console.print(table, markup=False, highlight=False)
    console.print(f"wrote {len(plan.files)} files to {folder}", markup=False)


def _titles(out: Path) -> dict[str, str]:
    """Paper titles from OUT/papers.csv, when it is there, so adjudicators see what they decide."""
    path = out / "papers.csv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row.get("id", ""): row.get("title", "") for row in csv.DictReader(handle)}


def _unpaired(plan_paths: Sequence[Path], imported: set[str]) -> list[str]:
    """Plan pairs with one member's sheet missing: their overlap would pass as single labels."""
    plan_path = next((p for p in plan_paths if p.is_file()), None)
    if plan_path is None:
        return []
    try:
        pairs = json.loads(plan_path.read_text(encoding="utf-8")).get("pairs", [])
    except (ValueError, AttributeError):
        return [f"{plan_path} is not a readable plan; pairs were not checked"]
    return [
        f"pair {'+'.join(pair['annotators'])}: only {', '.join(present)} imported, so their "
        f"{len(pair['paper_ids'])} shared papers count as single-annotated"
        for pair in pairs
        if 0 < len(present := [m for m in pair["annotators"] if m in imported]) < 2
    ]


def import_(
    sheets: Annotated[list[Path], typer.Argument(help="Filled sheets (.xlsx or .csv), one each.")],
    out: Annotated[Path, typer.Option(help="Folder for annotations.csv, adjudication, gold.")],
) -> None:
    """Validate filled sheets, then write annotations, the adjudication sheet and partial gold."""
    from langgap.survey.adjudicate import merge, write_adjudication_sheet
    from langgap.survey.annotations import write_annotations
    from langgap.survey.sheet_import import import_sheets

    result = import_sheets(sheets)
    if result.problems:
        _problems(result.problems)
        # Merging without a failed sheet would pass its pair partners' papers off as
        # single-annotated gold, so nothing is written until every sheet passes.
        raise _fail(
            f"{len(result.failed)} of {len(sheets)} sheet(s) failed: "
            f"{', '.join(result.failed)}; nothing was written. Fix them and import again."
        )
    plans = [out / "sheets" / "plan.json", *(path.parent / "plan.json" for path in sheets)]
    for warning in _unpaired(plans, set(result.annotations)):
        console.print(
            f"warning: {warning}", style="yellow", markup=False, highlight=False, soft_wrap=True
        )
    records = result.all_annotations
    try:
        merged = merge(records)
    except ValueError as error:
        raise _fail(str(error)) from None
    write_annotations(out / "annotations.csv", records)
    write_adjudication_sheet(out / "adjudication.csv", merged, _titles(out))
    write_annotations(out / "gold.partial.csv", merged.gold)
    console.print(
        f"{len(records)} annotations from {len(result.annotations)} sheet(s): "
        f"{len(merged.gold)} papers decided, {len(merged.disputes)} to adjudicate "
        f"(wrote annotations.csv, adjudication.csv/.xlsx, gold.partial.csv to {out})",
        markup=False,
    )


def adjudicate(
    resolved: Annotated[Path, typer.Argument(help="The filled adjudication sheet.")],
    out: Annotated[Path, typer.Option(help="Folder for gold.csv (and gold.partial.csv).")],
    gold: Annotated[
        Path | None, typer.Option(help="Agreed gold records; default OUT/gold.partial.csv.")
    ] = None,
) -> None:
    """Combine agreed gold with the adjudicated rows into OUT/gold.csv."""
    from langgap.survey.adjudicate import apply_adjudication

    base = gold or out / "gold.partial.csv"
    if not base.is_file():
        raise _fail(f"{base} not found. Fix: run `langgap survey import … --out {out}` first.")
    try:
        records = apply_adjudication(base, resolved, out / "gold.csv")
    except SheetError as error:
        _problems(error.problems)
        raise _fail(f"{resolved}: gold.csv was not written. Fix the rows above.") from None
    agreed = sum(1 for r in records if r.decided_by == "agreement")
    console.print(
        f"wrote {out / 'gold.csv'}: {len(records)} papers ({agreed} by agreement)", markup=False
    )


def register(app: typer.Typer) -> None:
    """Add the annotation commands to the `survey` app."""
    app.command("sheet")(sheet)
    app.command("import")(import_)
    app.command("adjudicate")(adjudicate)
