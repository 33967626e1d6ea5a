"""The documented commands that work offline run end to end, as a user would type them.

Every `langgap …` / `inspect eval …` line of README.md and docs/*.md is either run here (in a
fresh folder, so `OUT/`, `logs` and `judge-eval/` are relative to it as in the docs, with
`../shared/data` seen from it: the tiny Anthology fixture plus the real data sets when
../shared/data exists), run by tests/analyze/test_documented_analyze.py on the tiny model, or
listed in NOT_RUN with the reason. Small limits are appended (`--limit 3`; a repeated option's last
value wins), placeholders are filled in (PATH: the Anthology fixture, MODEL: a local stub model
server, which also answers for `openai-api/vllm/…`), and nothing else changes.
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
# the analyze lines run in tests/analyze/test_documented_analyze.py (the tiny model lives there)
ANALYZE_RUNS = (
    "langgap analyze directions -m smollm2 --languages eng,deu,ara,zho,jpn,rus "
    "--out lab/directions",
    "langgap analyze intervene -m smollm2 --directions lab/directions --mode ablate "
    "--out lab/ablate",
    "langgap analyze directions -m smollm2 --languages eng,deu --n-per-class 8 --device auto "
    "--dtype auto --out lab/directions-auto",
    "langgap analyze directions -m smollm2 --languages eng,deu,ara,zho,jpn,rus --n-per-class 32 "
    "--out lab/directions",
    "langgap analyze intervene -m smollm2 --directions lab/directions --mode ablate --n 8 "
    "--out lab/ablate",
    "langgap analyze intervene -m smollm2 --directions lab/directions --mode add --alpha 4 --n 8 "
    "--out lab/add",
)

LIMIT = ("--limit", "3")
EVAL_LIMIT = ("--sample-per-language", "2")

# documented line → what is appended to keep it small; in the order the runs depend on each other
SURVEY_RUNS: dict[str, tuple[str, ...]] = {
    # finds ../shared/data/acl-anthology, which is the tiny fixture here
    "langgap survey run --years 2020-2024 --out OUT/": (),
    "langgap survey score --gold reference --pred OUT/papers.csv": (),
    "langgap survey sheet OUT/ --annotators A,B,C,D --overlap 20 --pairs 4": ("--overlap", "1"),
    "langgap survey run --anthology PATH --out OUT/ --annotator learned": (),
    "langgap survey sheet OUT/ --annotators A,B --pairs 1 --order uncertainty --all-screened": (
        "--overlap",
        "2",
    ),
    "langgap survey run --anthology PATH --out OUT/ --annotator llm --annotator-model "
    "openai-api/vllm/Qwen2.5-7B-Instruct --concurrency 16": (),
    # OUT/gold.csv: the packaged reference annotation stands in for the people's adjudication
    "langgap survey score --gold OUT/gold.csv --pred OUT/papers.csv": (),
    "langgap survey run --anthology PATH --out OUT/ --gold OUT/gold.csv": (),
}
SMALL_RUNS: dict[str, tuple[str, ...]] = {
    "langgap languages lookup Bangla zh-CN Farsi Arabizi Hinglish": (),
    'langgap languages find "We evaluate jailbreaks in Bengali (bn) and Swahili on MultiJail."': (),
    "langgap data list": (),
    "langgap data list multijail": (),
    "langgap data where multijail": (),
    "langgap datagen check-constitution src/langgap/datagen/constitutions/example.yaml "
    "--language bn": (),
}
PROBE_RUNS: dict[str, tuple[str, ...]] = {
    "langgap probe arabizi --benchmark multijail --languages ar --out arabizi.jsonl": LIMIT,
    "langgap probe codeswitch --benchmark multijail --languages en,bn --param languages=en,bn "
    "--param ratio=0.5 --out codeswitch.jsonl": LIMIT,
    "langgap probe arabizi --benchmark multijail --languages ar --param variety=algerian "
    "--out arabizi-dz.jsonl": LIMIT,
    "langgap probe arabizi --benchmark multijail --languages ar --param variety=tunisian "
    "--param french=0.5 --out arabizi-tn.jsonl": LIMIT,
}
# the eval lines without --log-dir write to ./logs: each runs in a fresh sibling folder, as a
# user's next experiment would (a log folder holding another run's logs is refused, by design)
FRESH_FOLDER = ("--probe arabizi",)
EVAL_RUNS: dict[str, tuple[str, ...]] = {
    "langgap eval run multijail xsafety -m openai-api/vllm/Qwen2.5-7B-Instruct --languages "
    "en,bn,sw,jv --sample-per-language 50 --judge refusal --log-dir logs": EVAL_LIMIT,
    "langgap eval run multijail -m MODEL --languages en,ar,bn --probe arabizi --probe codeswitch "
    "--probe-param codeswitch.languages=en,bn": EVAL_LIMIT,
    "langgap eval run multijail -m MODEL --languages en,ar --probe arabizi --probe-param "
    "arabizi.variety=tunisian": EVAL_LIMIT,
    "langgap eval run multijail xsafety --model openai-api/vllm/meta-llama/Llama-3.1-8B-Instruct "
    "--model openai-api/vllm2/Qwen/Qwen2.5-7B-Instruct --languages en,zh,ar,bn,sw "
    "--sample-per-language 100 --seed 0 --judge refusal --max-connections 32 --max-tokens 256 "
    "--log-dir logs/run1": EVAL_LIMIT,
    "langgap judge eval --judge refusal --data dna-refusal-strict --split test --out judge-eval/": (
        LIMIT
    ),
    "langgap judge eval --judge refusal --data labels.csv --text-col reply --label-col verdict "
    "--language-col lang --positive R --negative C --predictions preds.csv "
    "--out judge-eval-mine/": (),
    "langgap eval report logs --out eval-report --minimum 80 --judge-cards judge-eval/": (),
    "langgap eval report logs/run1 --out report/ --minimum 80": (),
    "inspect eval langgap/multijail --model openai-api/vllm/Qwen2.5-7B-Instruct "
    "-T languages=bn,sw": ("--limit", "2"),
}

_NEEDS_PEOPLE = (
    "needs labelling sheets filled in by people; tests/survey/test_sheets.py fills sheets in code "
    "and runs the same import, agreement and adjudication"
)
_NEEDS_API = "calls a hosted model (OpenAI) through its API; the suite is offline"
_NETWORK = (
    "downloads from the internet; the suite is offline (tests/data fetch from a local server)"
)
_INFLUENCE = (
    "influence functions on SmolLM2; tests/analyze/test_influence.py runs them on the tiny model"
)
NOT_RUN: dict[str, str] = {
    "langgap survey import OUT/sheets/*.xlsx --out OUT/": _NEEDS_PEOPLE,
    "langgap survey agree OUT/annotations.csv --out OUT/": _NEEDS_PEOPLE,
    "langgap survey adjudicate OUT/adjudication-resolved.xlsx --out OUT/": _NEEDS_PEOPLE,
    "langgap survey learn OUT/gold.csv --papers OUT/papers.csv --out model.npz": (
        "trains on people's gold labels of Anthology papers; the tiny fixture has too few "
        "(tests/survey/test_learned.py trains on a small set)"
    ),
    "langgap survey learn OUT/gold.csv --papers OUT/papers.csv --out model.npz --with-reference": (
        "trains on the 360-paper reference annotation: a minute of CPU (benchmarks/"
        "bench_survey_learned.py measures it; tests/survey/test_learned.py trains a small one)"
    ),
    "langgap survey run --anthology PATH --out OUT/ --annotator learned "
    "--learned-model model.npz": ("needs the model.npz that `survey learn` (not run here) writes"),
    "langgap survey check paper.pdf": (
        "needs a paper's PDF; tests/survey/test_check.py checks text it builds"
    ),
    "langgap judge eval --judge llm --judge-model openai/gpt-4o-mini --data rtp-lx "
    "--out judge-eval-llm/": _NEEDS_API,
    "langgap judge eval --judge llm --judge-model openai/gpt-4o-mini --data dna-harm "
    "--out judge-eval/": _NEEDS_API,
    "langgap judge eval --judge refusal --judge llm --judge-model openai/gpt-4o-mini --data "
    "dna-harm --out judge-eval-cascade/": _NEEDS_API,
    "langgap judge eval --judge refusal --data xstest --data-dir DATA --out judge-eval-xstest/": (
        "XSTest is not in ../shared/data and the suite does not download"
    ),
    "langgap datagen run --config datagen.yaml": (
        "calls a generator and a critic model named in the user's config; tests/datagen run the "
        "pipeline on a stub"
    ),
    "langgap data fetch all": _NETWORK,
    "langgap data fetch multijail xsafety": _NETWORK,
    "langgap data verify": (
        "hashes every fetched data set (minutes on ../shared/data); tests/data verify small ones"
    ),
    "langgap analyze refusal-model --languages en,de,ar --out lab/refusal-model": (
        "fine-tunes SmolLM2 (minutes); tests/analyze/test_refusal_model.py trains the tiny model"
    ),
    "langgap analyze directions -m lab/refusal-model --languages eng,deu,ara --n-per-class 16 "
    "--out lab/refusal-directions": "needs the model `analyze refusal-model` writes",
    "langgap analyze directions -m smollm2-refusal --languages eng,deu,ara "
    "--out lab/directions-r": "downloads the published refusal model; the suite is offline",
    "langgap analyze transfer -m smollm2 --train-languages en --eval-languages "
    "eng,deu,ara,zho,jpn,rus --out lab/transfer": (
        "LoRA training on SmolLM2; tests/analyze/test_transfer.py runs it on the tiny model"
    ),
    "langgap analyze influence -m smollm2 --train-languages eng,deu,ara --query-languages "
    "eng,deu,ara --layers -2,-1 --out lab/influence": _INFLUENCE,
    "langgap analyze influence -m smollm2 --train-languages eng,deu,ara --n-train 16 "
    "--query-languages eng,deu,ara --n-queries 4 --layers -2,-1 --out lab/influence": _INFLUENCE,
    "langgap analyze compare --before smollm2 --after lab/transfer/rows/eng/adapter "
    "--out lab/compare": "needs the adapter `analyze transfer` writes",
    "langgap analyze compare --before smollm2 --after lab/transfer/rows/eng/adapter --languages "
    "eng,deu,ara --n 16 --out lab/compare": "needs the adapter `analyze transfer` writes",
}
RUN_HERE = {**SURVEY_RUNS, **SMALL_RUNS, **PROBE_RUNS, **EVAL_RUNS}

runner = CliRunner()


def test_every_documented_command_is_run_or_says_why() -> None:
    documented = {line for _, line in documented_commands()}
    covered = {*RUN_HERE, *ANALYZE_RUNS, *NOT_RUN}
    assert not documented - covered, (
        "documented commands neither run by a test nor listed in NOT_RUN with a reason: "
        f"{sorted(documented - covered)}"
    )
    assert not covered - documented, f"no longer documented: {sorted(covered - documented)}"
    assert not set(RUN_HERE) & set(NOT_RUN), "a command is both run and excused"


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


def _tokens(line: str, extra: tuple[str, ...], model: str = "") -> list[str]:
    fill = {"PATH": str(ANTHOLOGY), "MODEL": model}
    tokens = [fill.get(token, token) for token in shlex.split(line)]
    return [*tokens, *extra]


def _run(line: str, extra: tuple[str, ...], model: str = "") -> str:
    """Run one documented line in the current folder; its output on success."""
    tokens = _tokens(line, extra, model)
    if tokens[:2] == ["inspect", "eval"]:
        from inspect_ai._cli.main import inspect

        # the Inspect CLI is plain click; its logs go where the test looks for them
        result = click.testing.CliRunner().invoke(
            inspect, [*tokens[1:], "--log-dir", "inspect-logs"]
        )
    else:
        result = runner.invoke(app, tokens[1:], terminal_width=100)
    assert result.exit_code == 0, f"`{line}` failed ({result.exit_code}):\n{result.output}"
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
    for line, extra in SMALL_RUNS.items():
        if line.startswith("langgap datagen"):
            extra = ()  # its path is relative to the repository
            line = line.replace("src/", f"{ROOT}/src/")
        _run(line, extra)


@pytest.mark.xdist_group("documented-runs")
def test_documented_survey_commands_run(in_workdir: Path, stub_model: str) -> None:
    from langgap.survey.reference import reference_path

    for line, extra in SURVEY_RUNS.items():
        if "OUT/gold.csv" in line:
            shutil.copyfile(reference_path(), in_workdir / "OUT" / "gold.csv")
        _run(line, extra)
    assert (in_workdir / "OUT" / "report.html").is_file()
    assert len(list((in_workdir / "OUT" / "sheets").glob("*.xlsx"))) >= 2


@pytest.mark.xdist_group("documented-runs")
def test_documented_probe_commands_run(in_workdir: Path) -> None:
    _needs_shared_data()
    for line, extra in PROBE_RUNS.items():
        _run(line, extra)
        out = shlex.split(line)[shlex.split(line).index("--out") + 1]
        assert len((in_workdir / out).read_text(encoding="utf-8").splitlines()) == 3


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
    for n, (line, extra) in enumerate(EVAL_RUNS.items()):
        if any(mark in line for mark in FRESH_FOLDER):
            fresh = in_workdir.parent / f"work-{n}"
            fresh.mkdir()
            monkeypatch.chdir(fresh)
        _run(line, extra, model=stub_model)
        monkeypatch.chdir(in_workdir)
    assert (in_workdir / "eval-report" / "report.html").is_file()
    assert (in_workdir / "preds.csv").is_file()
    assert list((in_workdir / "inspect-logs").glob("*.eval"))
