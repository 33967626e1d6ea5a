"""The validators gate: hand-made bad items stay out of SFT/DPO with a reason, good ones stay in."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_datagen_validators.py"
FAMILIES = {"language", "script", "repetition", "length", "chrf", "culture_terms", "refusal"}


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_datagen_validators", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_hand_made_bad_items_are_kept_out_and_good_ones_kept() -> None:
    found = _bench().score()
    assert found["n_bad"] >= 30 and found["n_good"] >= 20 and len(found["languages"]) >= 8
    assert set(found["per_validator"]) == FAMILIES | {"duplicate"}  # every validator is covered
    assert found["bad_kept_out"] == found["n_bad"], found["misses"]
    assert found["bad_by_intended_check"] == found["n_bad"], found["misses"]
    assert found["good_kept"] >= 0.95 * found["n_good"], found["misses"]
