"""The one `langgap` command: it parses arguments and hands over to the layers."""

from __future__ import annotations

import typer

from langgap import __version__
from langgap.analyze.cli import app as analyze_app
from langgap.data.cli import app as data_app
from langgap.datagen.cli import app as datagen_app
from langgap.evaluate.cli import app as eval_app
from langgap.evaluate.judge_cli import app as judge_app
from langgap.evaluate.probe_cli import probe as probe_command
from langgap.languages.cli import app as languages_app
from langgap.survey.cli import app as survey_app

app = typer.Typer(
    help="langgap: measure and close the language gap in LLM safety.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(survey_app, name="survey")
app.add_typer(languages_app, name="languages")
app.add_typer(eval_app, name="eval", help="Evaluate models on multilingual safety benchmarks.")
app.command("probe")(probe_command)
app.add_typer(data_app, name="data")
app.add_typer(datagen_app, name="datagen", help="Culturally grounded safety training data.")
app.add_typer(judge_app, name="judge", help="Measure judges against human labels, per language.")
app.add_typer(
    analyze_app,
    name="analyze",
    help="Crosslingual safety lab: directions, interventions, influence, transfer, checkpoints.",
)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    """langgap: measure and close the language gap in LLM safety."""
    if version:
        typer.echo(__version__)
        raise typer.Exit()


def main() -> None:
    """Console-script entry point."""
    app()
