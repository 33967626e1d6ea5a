"""Shared fixtures: paths to the hand-written test data and to the real data in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = ROOT / "tests" / "data"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the user's real langgap cache."""
    monkeypatch.setenv("LANGGAP_CACHE_DIR", str(tmp_path_factory.mktemp("langgap-cache")))


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
