"""`langgap survey learn`: train the learned annotator on human labels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()
errors = Console(stderr=True)


def learn(
    gold: Annotated[
        str,
        typer.Argument(
            help="Gold labels: gold.csv from `survey adjudicate`, or `reference` (the packaged "
            "reference annotation)."
        ),
    ],
    out: Annotated[Path, typer.Option(help="Model file to write (.npz).")],
    papers: Annotated[
        Path | None,
        typer.Option(help="papers.csv of a `survey run` that screened the gold papers (texts)."),
    ] = None,
    anthology: Annotated[
        Path | None,
        typer.Option(help="Anthology data folder to read the gold papers' texts from instead."),
    ] = None,
    add_reference: Annotated[
        bool,
        typer.Option(
            "--with-reference",
            help="Also learn from the reference annotation's labels for papers the gold file "
            "does not label (their texts must be in --papers/--anthology).",
        ),
    ] = False,
    cross_validate: Annotated[
        bool,
        typer.Option(
            "--cv/--no-cv",
            help="Cross-validate by year (train on the other years) and store the figures in "
            "the model: the report's label-quality line shows them.",
        ),
    ] = True,
    languages_from: Annotated[
        str,
        typer.Option(
            "--languages-from",
            help="Where the model takes languages and group from: rules (the rule annotator; "
            "better on the reference by cross-validation) or mentions (the learned "
            "studied-vs-mentioned head). --cv prints both sources' figures on your labels.",
        ),
    ] = "rules",
) -> None:
    """Train the learned annotator (related, topic, documented, studied-vs-mentioned)."""
    from langgap.survey.learned.learn import (
        CV_FIELDS,
        learn_model,
        papers_from,
        read_gold_labels,
        with_reference,
    )
    from langgap.survey.learned.train import TrainingError
    from langgap.survey.sheet_io import SheetError

    try:
        labels, name = read_gold_labels(gold)
        if add_reference:
            labels, name = with_reference(labels), f"{name} + langgap reference annotation"
        texts, texts_name = papers_from(papers, anthology, labels)
        result = learn_model(
            labels, name, texts, texts_name, cross_validate=cross_validate,
            languages_from=languages_from,
        )  # fmt: skip
    except SheetError as error:
        for problem in error.problems:
            errors.print(str(problem), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except TrainingError as error:
        errors.print(f"error: {error}", style="red", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    result.model.save(out)
    meta = result.model.meta
    console.print(
        f"trained on {meta['papers']} papers ({meta['related']} related, {meta['mentions']} "
        f"language mentions) in {result.seconds:.1f} s; wrote {out}",
        markup=False,
    )
    cv = meta.get("cv")
    if cv:
        parts = [f"{f} acc {cv[f]['accuracy']:.3f} κ {cv[f]['kappa']:.3f}" for f in CV_FIELDS]
        console.print(
            f"cross-validated by year ({result.cv_seconds:.0f} s): " + "; ".join(parts)
            + f"; languages Jaccard {cv['languages_jaccard']:.3f}",
            markup=False,
        )  # fmt: skip
        shown = [
            f"{source}: group κ {f['group_kappa']:.3f}, languages Jaccard "
            f"{f['languages_jaccard']:.3f}"
            for source, f in cv["languages_sources"].items()
        ]
        console.print(
            f"languages and group from {cv['languages_from']} (--languages-from); by "
            "cross-validation " + "; ".join(shown),
            markup=False,
        )
    else:
        console.print(f"languages and group from {languages_from} (--languages-from)")
    console.print(f"use it: langgap survey run … --annotator learned --learned-model {out}")


def register(app: typer.Typer) -> None:
    """Add the command to the `survey` app."""
    app.command("learn")(learn)
