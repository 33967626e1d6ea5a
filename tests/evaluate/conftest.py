"""Fixtures for the evaluation tests: the real benchmarks, loaded once (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai.dataset import Sample

from langgap.evaluate.benchmarks import BENCHMARKS, LoadReport

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
TEST_DATA = Path(__file__).resolve().parents[1] / "data"

Loaded = tuple[list[Sample], LoadReport]


def _shared(folder: str) -> Path:
    if not (SHARED_DATA / folder).is_dir():
        pytest.skip(f"real {folder} data not found at {SHARED_DATA / folder} (../shared/data)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (the test is skipped when it is absent)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (../shared/data)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def multijail_data() -> Loaded:
    """The real MultiJail, loaded once."""
    return BENCHMARKS["multijail"](_shared("multijail"))


@pytest.fixture(scope="session")
def xsafety_data() -> Loaded:
    """The real XSafety, loaded once."""
    return BENCHMARKS["xsafety"](_shared("xsafety"))


@pytest.fixture(scope="session")
def csrt_data() -> Loaded:
    """The real CSRT, loaded once."""
    return BENCHMARKS["csrt"](_shared("csrt"))


@pytest.fixture(scope="session")
def polyrefuse_data() -> Loaded:
    """The real PolyRefuse, loaded once."""
    return BENCHMARKS["polyrefuse"](_shared("polyrefuse"))


@pytest.fixture(scope="session")
def prompts_dir() -> Path:
    """Hand-written prompt tables for the generic loader (tests/data/prompts)."""
    return TEST_DATA / "prompts"
