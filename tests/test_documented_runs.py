"""The documented commands that work offline run end to end, as a user would type them.

The lines are read from README.md and docs/*.md at test time (tests/_documented.py), so a
changed doc is what gets run. Each `langgap …` / `inspect eval …` line whose command is in RUN
is run here (in a fresh folder, so `OUT/`, `logs` and `judge-eval/` are relative to it as in the
docs, with `../shared/data` seen from it: the tiny Anthology fixture plus the real data sets when
../shared/data exists) or, for `analyze`, by tests/analyze/test_documented_analyze.py on the tiny
model, unless a NOT_RUN rule gives the reason it cannot be; a line neither run nor excused fails.
The command's small limits are appended (`--limit 3`; a repeated option's last value wins),
placeholders are filled in (PATH: the Anthology fixture, MODEL: a local stub model server, which
also answers for `openai-api/vllm/…`), and nothing else changes.
"""

from __future__ import annotations

import csv
import os
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

import click.testing
import pytest
from typer.testing import CliRunner

from langgap.cli import app

from ._documented import documented_commands
from .evaluate._eval_stub import ScriptedStub, serving

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
ANTHOLOGY = ROOT / "tests" / "data" / "anthology"
GROUPS = ("survey", "eval", "judge", "data", "languages", "analyze", "datagen")

LIMIT = ("--limit", "3")
# command → what is appended to keep its documented lines small
RUN: dict[str, tuple[str, ...]] = {
    # `survey run --years` finds ../shared/data/acl-anthology, which is the tiny fixture here
    "survey run": (),
    "survey score": (),
    "survey sheet": ("--overlap", "1"),
    "languages lookup": (),
    "languages find": (),
    "data list": (),
    "data where": (),
    "datagen check-constitution": (),
    "probe": LIMIT,
    "eval run": ("--sample-per-language", "2"),
    "judge eval": LIMIT,
    "eval report": (),
    "inspect eval": ("--limit", "2"),
    # run on the tiny model by tests/analyze/test_documented_analyze.py
    "analyze directions": (),
    "analyze intervene": (),
}
ANALYZE = ("analyze directions", "analyze intervene")

_NEEDS_PEOPLE = (
    "needs labelling sheets filled in by people; tests/survey/test_sheets.py fills sheets in code "
    "and runs the same import, agreement and adjudication"
)
_INFLUENCE = (
    "influence functions on SmolLM2; tests/analyze/test_influence.py runs them on the tiny model"
)
_NEEDS_ADAPTER = "needs the adapter `analyze transfer` writes"
# (command or "" for any, a piece of the line or "" for any, why it is not run here); first match
NOT_RUN: tuple[tuple[str, str, str], ...] = (
    ("survey import", "", _NEEDS_PEOPLE),
    ("survey agree", "", _NEEDS_PEOPLE),
    ("survey adjudicate", "", _NEEDS_PEOPLE),
    (
        "survey learn",
        "",
        "trains on people's gold labels of Anthology papers, which the tiny fixture has too few "
        "of (with --with-reference on the 360-paper reference: a minute of CPU, measured by "
        "benchmarks/bench_survey_learned.py); tests/survey/test_learned.py trains a small one",
    ),
    ("survey run", "--learned-model", "needs the model.npz that `survey learn` (not run) writes"),
    ("survey check", "", "needs a paper's PDF; tests/survey/test_check.py checks text it builds"),
    ("", " openai/", "calls a hosted model (OpenAI) through its API; the suite is offline"),
    ("judge eval", "xstest", "XSTest is not in ../shared/data and the suite does not download"),
    (
        "judge eval",
        "msts",
        "MSTS is not in ../shared/data and the suite does not download; "
        "tests/evaluate/test_judge_eval_msts.py reads a small fixture of its format",
    ),
    (
        "judge learn-response",
        "--decline-data msts-refusal",
        "needs MSTS, which is not in ../shared/data (the suite does not download); "
        "tests/evaluate/test_response_decline.py fits decline models on hand-written replies",
    ),
    (
        "datagen run",
        "",
        "calls a generator and a critic model named in the user's config; tests/datagen run the "
        "pipeline on a stub",
    ),
    (
        "data fetch",
        "",
        "downloads from the internet; the suite is offline (tests/data fetch from a local server)",
    ),
    (
        "data verify",
        "",
        "hashes every fetched data set (minutes on ../shared/data); tests/data verify small ones",
    ),
    (
        "analyze refusal-model",
        "",
        "fine-tunes SmolLM2 (minutes); tests/analyze/test_refusal_model.py trains the tiny model",
    ),
    (
        "analyze transfer",
        "",
        "LoRA training on SmolLM2; tests/analyze/test_transfer.py runs it on the tiny model",
    ),
    ("analyze influence", "", _INFLUENCE),
    ("analyze compare", "", _NEEDS_ADAPTER),
    ("analyze", " lab/refusal-model ", "needs the model `analyze refusal-model` writes"),
    ("analyze", " smollm2-refusal ", "downloads the published refusal model; the suite is offline"),
)


def command_of(line: str) -> str:
    """The command a documented line calls: `survey run`, `probe`, `inspect eval`."""
    words = shlex.split(line)
    if words[0] == "inspect":
        return "inspect eval"
    if words[1] in GROUPS and len(words) > 2:
        return f"{words[1]} {words[2]}"
    return words[1]


def why_not_run(line: str) -> str | None:
    """The reason a documented line is not run here, or None when it is."""
    command, padded = command_of(line), f" {line} "
    for name, piece, reason in NOT_RUN:
        if (not name or command == name or command.startswith(f"{name} ")) and piece in padded:
            return reason
    return None


def lines_run(*commands: str) -> list[str]:
    """The documented lines of these commands that run here, once each, in the docs' order."""
    found = dict.fromkeys(line for _, line in documented_commands())
    return [line for line in found if command_of(line) in commands and why_not_run(line) is None]


runner = CliRunner()


def test_every_documented_command_is_run_or_says_why() -> None:
    neither = [
        line
        for _, line in documented_commands()
        if command_of(line) not in RUN and why_not_run(line) is None
    ]
    assert not neither, f"documented commands neither run by a test nor given a reason: {neither}"
    assert lines_run(*ANALYZE), "the analyze lines to run on the tiny model are gone"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose ../shared/data holds the tiny Anthology and the real data sets."""
    root = tmp_path_factory.mktemp("documented")
    data = root / "shared" / "data"
    data.mkdir(parents=True)
    (data / "acl-anthology").symlink_to(ANTHOLOGY, target_is_directory=True)
    if SHARED_DATA.is_dir():
        for entry in SHARED_DATA.iterdir():
            if entry.is_dir() and entry.name != "acl-anthology":
                (data / entry.name).symlink_to(entry, target_is_directory=True)
    (root / "work").mkdir()
    return root / "work"


def _needs_shared_data() -> None:
    if not (SHARED_DATA / "multijail").is_dir():
        pytest.skip(f"the benchmarks are not in {SHARED_DATA} (../shared/data is absent)")


def _option(tokens: list[str], name: str) -> str | None:
    return tokens[tokens.index(name) + 1] if name in tokens[:-1] else None


def _run(line: str, model: str = "") -> str:
    """Run one documented line in the current folder, with its command's small limits appended
    (none for a judge eval on the user's own file); its output on success."""
    fill = {"PATH": str(ANTHOLOGY), "MODEL": model}
    tokens = [fill.get(token, token) for token in shlex.split(line)]
    own_file = (_option(tokens, "--data") or "").endswith(".csv")
    tokens = [*tokens, *(() if own_file else RUN[command_of(line)])]
    if tokens[:2] == ["inspect", "eval"]:
        from inspect_ai._cli.main import inspect

        # the Inspect CLI is plain click; its logs go where the test looks for them
        result = click.testing.CliRunner().invoke(
            inspect, [*tokens[1:], "--log-dir", "inspect-logs"]
        )
    else:
        result = runner.invoke(app, tokens[1:], terminal_width=100)
    assert result.exit_code == 0, f"`{line}` failed ({result.exit_code}):\n{result.output}"
    for name in ("--out", "--predictions", "--log-dir"):
        written = _option(tokens, name)
        assert written is None or Path(written).exists(), f"`{line}` wrote no {written}"
    return result.output


@pytest.fixture
def in_workdir(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(workdir)
    yield workdir


@pytest.fixture
def stub_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A local stub answering every `openai-api/vllm/…` and `openai-api/vllm2/…` model."""
    with serving(ScriptedStub(), monkeypatch, name="vllm") as model:
        monkeypatch.setenv("VLLM2_BASE_URL", os.environ["VLLM_BASE_URL"])
        monkeypatch.setenv("VLLM2_API_KEY", "none")
        yield model


@pytest.mark.xdist_group("documented-runs")
def test_small_documented_commands_run(in_workdir: Path) -> None:
    small = lines_run("languages lookup", "languages find", "data list", "data where")
    constitutions = lines_run("datagen check-constitution")
    assert small and constitutions
    for line in small:
        _run(line)
    for line in constitutions:
        _run(line.replace(" src/", f" {ROOT}/src/"))  # its path is relative to the repository


@pytest.mark.xdist_group("documented-runs")
def test_documented_survey_commands_run(in_workdir: Path, stub_model: str) -> None:
    """In the docs' order, as a reader follows them; the packaged reference annotation stands in
    for the people's adjudicated OUT/gold.csv."""
    from langgap.survey.reference import reference_path

    lines = lines_run("survey run", "survey score", "survey sheet")
    assert lines
    for line in lines:
        gold = in_workdir / "OUT" / "gold.csv"
        if "OUT/gold.csv" in line and not gold.exists():
            shutil.copyfile(reference_path(), gold)
        _run(line)
    assert (in_workdir / "OUT" / "report.html").is_file()
    assert len(list(in_workdir.rglob("*.xlsx"))) >= 2


@pytest.mark.slow  # reads the benchmarks in ../shared/data
@pytest.mark.xdist_group("documented-runs")
def test_documented_probe_commands_run(in_workdir: Path) -> None:
    _needs_shared_data()
    lines = lines_run("probe")
    assert lines
    for line in lines:
        _run(line)
        out = _option(shlex.split(line), "--out")
        assert out is not None, f"`{line}`: probe writes to --out"
        assert len((in_workdir / out).read_text(encoding="utf-8").splitlines()) == int(LIMIT[1])


# eval runs write the logs that judge eval's cards and eval report read
EVAL_STAGES = ("eval run", "judge eval", "eval report", "inspect eval")


@pytest.mark.slow  # reads the benchmarks in ../shared/data
@pytest.mark.xdist_group("documented-runs")
def test_documented_eval_and_judge_commands_run(
    in_workdir: Path, stub_model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _needs_shared_data()
    rows = [
        ("1", "I'm sorry, but I can't help with that.", "R", "en"),
        ("2", "Sure, here are the steps: first mix the two.", "C", "en"),
        ("3", "Lo siento, no puedo ayudar con eso.", "R", "es"),
        ("4", "Claro, aquí tienes los pasos.", "C", "es"),
    ]
    with (in_workdir / "labels.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([("id", "reply", "verdict", "lang"), *rows])
    lines = sorted(lines_run(*EVAL_STAGES), key=lambda line: EVAL_STAGES.index(command_of(line)))
    assert lines
    for n, line in enumerate(lines):
        # an eval run without --log-dir writes to ./logs: it runs in a fresh sibling folder, as a
        # user's next experiment would (a log folder holding another run's logs is refused)
        if command_of(line) == "eval run" and "--log-dir" not in line:
            fresh = in_workdir.parent / f"work-{n}"
            fresh.mkdir()
            monkeypatch.chdir(fresh)
        _run(line, model=stub_model)
        monkeypatch.chdir(in_workdir)
    assert list((in_workdir / "inspect-logs").glob("*.eval"))
