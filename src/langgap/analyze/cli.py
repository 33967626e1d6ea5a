"""`langgap analyze …`: refusal directions, interventions, influence, transfer, checkpoints.

Heavy libraries (torch, transformers) load when a command runs, not when `langgap --help` does.
Every command writes config.json (settings, seeds, versions) beside its JSON, figures and
Markdown summary; none prints or stores prompt text.
"""

from __future__ import annotations

import typer

from langgap.analyze.cli_refusal import register as register_refusal
from langgap.analyze.compare.cli import register as register_compare
from langgap.analyze.directions.cli import register as register_directions
from langgap.analyze.influence.cli import register as register_influence
from langgap.analyze.interventions.cli import register as register_interventions
from langgap.analyze.transfer.cli import register as register_transfer

app = typer.Typer(
    help="Crosslingual safety lab: where refusal lives per language, and what moves it.",
    no_args_is_help=True,
)

register_directions(app)
register_interventions(app)
register_influence(app)
register_transfer(app)
register_compare(app)
register_refusal(app)
