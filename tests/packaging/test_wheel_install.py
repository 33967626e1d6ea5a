"""The built wheel, installed (not -e) into a fresh venv, works where no ../shared/data is beside
it: `langgap data where multijail`, then a one-sample evaluation of a local stub model that
fetches MultiJail on first use from a local mirror (HF_ENDPOINT, as the hub would serve it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from tests.support.stub_server import StubServer

from langgap.data.mirror import MirrorServer, mirror_paths

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"
REFUSAL = "I'm sorry, but I can't help with that."

pytestmark = pytest.mark.slow


def _run(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def _build_wheel(tmp_path: Path) -> Path:
    """Build from a copy, so the build leaves nothing (build/, *.egg-info) in the worktree."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    built = _run([*pip, "-w", str(wheels), str(source)], dict(os.environ), tmp_path)
    assert built.returncode == 0, built.stderr
    [wheel] = wheels.glob("langgap-*.whl")
    shipped = zipfile.ZipFile(wheel).namelist()
    assert "langgap/models/runner.py" in shipped
    assert not any("stub" in name for name in shipped)  # test support stays out of the package
    return wheel


def test_wheel_in_a_fresh_venv_fetches_data_and_evaluates(tmp_path: Path) -> None:
    if not (SHARED_DATA / "multijail" / "MultiJail.csv").is_file():
        pytest.skip(f"MultiJail not found at {SHARED_DATA / 'multijail'} (../shared/data)")
    wheel = _build_wheel(tmp_path)
    venv = tmp_path / "venv"
    # --system-site-packages: the dependencies come from this environment (installing them from
    # an index would take minutes); the wheel itself goes into the venv and shadows any other
    # langgap, which the import check below proves.
    created = _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                   dict(os.environ), tmp_path)  # fmt: skip
    assert created.returncode == 0, created.stderr
    python, langgap = venv / "bin" / "python", venv / "bin" / "langgap"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LANGGAP_DATA_DIR")}
    installed = _run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], env,
                     tmp_path)  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    work = tmp_path / "elsewhere" / "project"  # no ../shared/data beside it
    work.mkdir(parents=True)
    origin = _run([str(python), "-c", "import langgap; print(langgap.__file__)"], env, work)
    assert origin.stdout.startswith(str(venv)), origin.stdout + origin.stderr

    with MirrorServer(mirror_paths(SHARED_DATA)) as mirror, StubServer(lambda r: REFUSAL) as stub:
        env.pop("LANGGAP_OFFLINE", None)
        env.pop("HF_HUB_OFFLINE", None)
        env.update(HF_ENDPOINT=mirror.url, LANGGAP_DATA_MIRROR=mirror.url,
                   STUB_BASE_URL=stub.base_url, STUB_API_KEY="none")  # fmt: skip
        target = Path(env["XDG_DATA_HOME"]) / "langgap" / "multijail"
        where = _run([str(langgap), "data", "where", "multijail"], env, work)
        assert where.returncode == 0, where.stderr
        assert where.stdout.strip() == str(target) and "not downloaded yet" in where.stderr
        run = _run([str(langgap), "eval", "run", "multijail", "-m", "openai-api/stub/stub-model",
                    "--languages", "en", "--limit", "1", "--log-dir", str(work / "logs"),
                    "--display", "none"], env, work)  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        assert stub.requests >= 1
        assert (target / "MultiJail.csv").is_file()
        again = _run([str(langgap), "data", "where", "multijail"], env, work)
        assert again.stdout.strip() == str(target) and not again.stderr
        verify = _run([str(langgap), "data", "verify", "multijail"], env, work)
        assert verify.returncode == 0 and "ok: 1/1 files verified" in verify.stdout
    source = "/DAMO-NLP-SG/multilingual-safety-for-LLMs/577ac51"
    assert any(path.startswith(source) for _, path, _ in mirror.requests)
