"""`langgap survey agree|score`: how far annotators agree, and how good a set of labels is."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from langgap.cli_options import DEFAULT_N_BOOT, NBootOption, OldBootOption, resolve_n_boot
from langgap.survey.annotations import Annotation
from langgap.survey.sheet_io import SheetError, SheetProblem

console = Console()
errors = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    errors.print(f"error: {message}", style="red", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _problems(problems: Sequence[SheetProblem]) -> None:
    for p in problems:
        # Never parsed as markup: messages quote user text, which may hold brackets.
        errors.print(str(p), markup=False, highlight=False, soft_wrap=True)


def _csv_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        first = next(csv.reader(handle), [])
    return [h.strip().lower() for h in first]


def read_annotations(path: Path) -> list[Annotation]:
    """Annotations from a file: a combined annotations/gold CSV, or one annotator's sheet."""
    from langgap.survey.adjudicate import read_gold
    from langgap.survey.sheet_import import read_sheet

    if not path.is_file():
        raise FileNotFoundError(f"{path} not found")
    # annotations.csv and gold.csv name each row's annotator; a sheet is one annotator's file.
    if path.suffix.lower() == ".csv" and "annotator" in _csv_header(path):
        return read_gold(path)
    return read_sheet(path)


def _read_all(paths: Sequence[Path]) -> list[Annotation]:
    records: list[Annotation] = []
    problems: list[SheetProblem] = []
    for path in paths:
        try:
            records += read_annotations(path)
        except SheetError as error:
            problems += error.problems
        except (OSError, UnicodeDecodeError) as error:
            raise _fail(f"{path}: {error}") from None
    if problems:
        _problems(problems)
        raise _fail(f"{len(problems)} problem(s) in the input; nothing was computed.")
    return records


def agree(
    annotations: Annotated[
        list[Path],
        typer.Argument(help="annotations.csv from `survey import`, or one filled sheet each."),
    ],
    n_boot: NBootOption = DEFAULT_N_BOOT,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    out: Annotated[
        Path | None, typer.Option(help="Folder for agreement.json/.md; default: next to input.")
    ] = None,
    boot: OldBootOption = None,
) -> None:
    """Cohen's kappa and Jaccard per annotator pair, Krippendorff's alpha overall."""
    from langgap.report.markdown import MarkdownReport
    from langgap.survey.agreement import agreement
    from langgap.survey.quality_sections import agreement_section

    resamples = resolve_n_boot(n_boot, boot)
    records = _read_all(annotations)
    try:
        report = agreement(records, n_boot=resamples, seed=seed)
    except ValueError as error:
        raise _fail(str(error)) from None
    console.print(report.rich_table())
    for a, b, shared in report.skipped:
        console.print(f"left out {a}–{b}: {shared} shared paper(s)", markup=False)
    folder = out or annotations[0].parent
    data = report.to_dict()
    json_path = folder / "agreement.json"
    _write_json(json_path, data)
    md = MarkdownReport(f"Agreement of {', '.join(report.annotators)}")
    agreement_section(md, data)
    md.write(folder / "agreement.md")
    console.print(f"wrote {json_path} and agreement.md", markup=False)


def _write_json(path: Path, data: object) -> None:
    from langgap._io import atomic_write_text

    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def _predictions(path: Path, annotator: str | None) -> tuple[list[Annotation], dict[str, str]]:
    from langgap.survey.score import read_rule_labels

    header = _csv_header(path) if path.suffix.lower() == ".csv" else []
    if "id" in header and "paper_id" not in header:
        labels, evidence = read_rule_labels(path)  # a run's papers.csv
    else:
        labels, evidence = read_annotations(path), {}
    names = sorted({a.annotator for a in labels})
    if annotator is not None:
        labels = [a for a in labels if a.annotator == annotator]
        if not labels:
            raise ValueError(f"{path}: no labels by {annotator!r}; annotators: {', '.join(names)}")
    elif len(names) > 1:
        raise ValueError(f"{path} holds several annotators ({', '.join(names)}); pick --annotator")
    return labels, evidence


def score(
    gold: Annotated[
        Path,
        typer.Option(
            help="Gold CSV (annotation columns), e.g. OUT/gold.csv, or `reference` (the packaged "
            "reference annotation)."
        ),
    ],
    pred: Annotated[
        Path | None,
        typer.Option(
            help="Predictions: a run's papers.csv (default OUT/papers.csv) or an "
            "annotations CSV/sheet."
        ),
    ] = None,
    annotator: Annotated[
        str | None, typer.Option(help="Score only this annotator's labels from --pred.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Run folder: default --pred is OUT/papers.csv; label_quality.* go here."),
    ] = None,
    n_boot: NBootOption = DEFAULT_N_BOOT,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    boot: OldBootOption = None,
) -> None:
    """Score labels (rules by default) against a gold set: accuracy, kappa, P/R/F1, errors."""
    from langgap.survey.reference import resolve_gold
    from langgap.survey.score import score as score_labels

    resamples = resolve_n_boot(n_boot, boot)
    if pred is None and out is None:
        raise _fail("give --pred FILE or --out RUN_FOLDER (whose papers.csv is scored)")
    predictions = pred or (out or Path()) / "papers.csv"
    try:
        gold_labels = read_annotations(resolve_gold(gold))
        labels, evidence = _predictions(predictions, annotator)
        report = score_labels(labels, gold_labels, n_boot=resamples, seed=seed, evidence=evidence)
    except SheetError as error:
        _problems(error.problems)
        raise _fail("the input has problems; nothing was scored.") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise _fail(str(error)) from None
    console.print(_summary(report.to_dict()))
    if report.missing:
        console.print(
            f"{len(report.missing)} gold paper(s) have no prediction: "
            + ", ".join(report.missing[:10])
            + (" …" if len(report.missing) > 10 else ""),
            markup=False,
        )
    paths = report.write(out or predictions.parent)
    console.print(f"wrote {', '.join(str(p) for p in paths)}", markup=False)


def _summary(data: Mapping[str, Any]) -> Table:
    from langgap.survey.quality_sections import FIELD_LABELS, format_estimate

    rows = [
        (FIELD_LABELS.get(f, f), format_estimate(s["accuracy"]), format_estimate(s["kappa"]))
        for f, s in data["fields"].items()
    ]
    rows += [
        (f"Languages: {key}", format_estimate(data["languages"][key]), "")
        for key in ("precision", "recall", "f1", "jaccard")
    ]
    title = (
        f"label quality: {data['annotator']} vs gold "
        f"({data['scored']} of {data['gold_papers']} gold papers scored)"
    )
    return plain_table(title, ("Field", "Accuracy", "Cohen's κ"), rows)


def plain_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """A rich table whose text is never read as markup (names and values may hold brackets)."""
    table = Table(title=Text(title))
    for i, header in enumerate(headers):
        table.add_column(Text(header), justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


def register(app: typer.Typer) -> None:
    """Add `agree` and `score` to the `survey` app."""
    app.command("agree")(agree)
    app.command("score")(score)
