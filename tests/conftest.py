"""Shared fixtures: paths to the hand-written test data and to the real data in ../shared/data."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from langgap.models import LocalServer

ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = ROOT / "tests" / "data"
SHARED_DATA = ROOT.parent / "shared" / "data"


REAL_MODEL_FIXTURES = {"smollm2_folder", "smollm2_server"}


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker (and the model server it starts) runs torch on one thread:
    two workers with two threads each oversubscribe two cores, and torch's waiting threads then
    cost more than the second thread gains."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        os.environ.setdefault("MKL_NUM_THREADS", "1")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the group markers into the node ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests through the real SmolLM2 share one export and one server, so under pytest-xdist
    (`-n`, with `--dist loadgroup`) they form one group on one worker; they also go first, so
    that long group starts while the other workers take the rest of the suite."""
    real_model = [
        item for item in items if REAL_MODEL_FIXTURES & set(getattr(item, "fixturenames", ()))
    ]
    for item in real_model:
        item.add_marker(pytest.mark.xdist_group("smollm2"))
    # the long lint/type checks next, so they never end up as the run's last straggler
    quality = [item for item in items if item.nodeid.startswith("tests/test_quality.py")]
    chosen = {id(item) for item in real_model + quality}
    items[:] = real_model + quality + [item for item in items if id(item) not in chosen]


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the user's real langgap cache or data directory, and none
    downloads: a data set missing from ../shared/data fails at once (the data tests that fetch
    from a local server lift LANGGAP_OFFLINE themselves)."""
    monkeypatch.setenv("LANGGAP_CACHE_DIR", str(tmp_path_factory.mktemp("langgap-cache")))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
    monkeypatch.setenv("LANGGAP_OFFLINE", "1")


@pytest.fixture
def anthology_fixture() -> Path:
    """A tiny hand-written Anthology folder (xml/ + yaml/venues/) with one malformed file."""
    return TEST_DATA / "anthology"


@pytest.fixture
def shared_anthology() -> Path:
    """The real Anthology snapshot; the test is skipped when ../shared/data is absent."""
    path = SHARED_DATA / "acl-anthology"
    if not (path / "xml").is_dir():
        pytest.skip(f"real Anthology snapshot not found at {path} (../shared/data is absent)")
    return path


@pytest.fixture(scope="session")
def smollm2_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SmolLM2-135M-Instruct exported once per session to a regular Hugging Face folder."""
    for module in ("torch", "transformers", "gguf"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"the real-model tests need {module}")
    from langgap.models import LocalModelError, export_hf_folder, smollm2_gguf

    try:
        gguf = smollm2_gguf()
    except LocalModelError as exc:
        pytest.skip(str(exc))
    os.environ["HF_HUB_OFFLINE"] = "1"
    return export_hf_folder(gguf, tmp_path_factory.mktemp("models") / "smollm2-135m")


@pytest.fixture(scope="session")
def smollm2_server(smollm2_folder: Path) -> Iterator[LocalServer]:
    """SmolLM2-135M-Instruct behind an OpenAI-compatible API; its SMOL_* variables are set."""
    for module in ("fastapi", "uvicorn"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(
                f"the local model test needs {module} (pip install 'transformers[serving]' torch)"
            )
    from langgap.models import LocalServer

    with LocalServer(smollm2_folder) as server:
        saved = {key: os.environ.get(key) for key in server.env}
        os.environ.update(server.env)
        try:
            yield server
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
