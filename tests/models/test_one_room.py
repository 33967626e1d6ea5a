"""Model calling has one room: no copy of the runner elsewhere, and `langgap.models` imports only
downward (issue 15). Read from the source, so a new private copy fails here, not in review."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "langgap"
MODELS = SRC / "models"
BELOW_MODELS = {"langgap._io"}  # what the models room may import from the rest of langgap


def _trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(encoding="utf-8")) for path in SRC.rglob("*.py")}


def _imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _asyncio_run_calls(tree: ast.Module) -> int:
    return sum(
        isinstance(node, ast.Attribute)
        and node.attr == "run"
        and isinstance(node.value, ast.Name)
        and node.value.id == "asyncio"
        for node in ast.walk(tree)
    )


def test_coroutines_are_run_from_sync_code_only_by_the_models_runner() -> None:
    copies = [
        str(path.relative_to(SRC))
        for path, tree in _trees().items()
        if _asyncio_run_calls(tree) and path != MODELS / "runner.py"
    ]
    assert copies == [], f"use langgap.models.run_sync instead of asyncio.run in {copies}"


def test_no_private_usage_counters_or_caches_outside_models() -> None:
    own = {"Usage", "StageUsage", "ReplyCache"}
    found = [
        f"{path.relative_to(SRC)}: {node.name}"
        for path, tree in _trees().items()
        if not path.is_relative_to(MODELS)
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and (node.name in own or node.name.endswith(("Usage", "ReplyCache", "AnswerCache")))
    ]
    assert found == [], f"count and cache through langgap.models: {found}"


def test_models_imports_only_downward() -> None:
    upward = sorted(
        f"{path.relative_to(SRC)} -> {name}"
        for path, tree in _trees().items()
        if path.is_relative_to(MODELS)
        for name in _imported(tree)
        if name.startswith("langgap.")
        and not name.startswith("langgap.models")
        and name not in BELOW_MODELS
    )
    assert upward == [], f"langgap.models must not import the layers above it: {upward}"


def test_the_test_stub_is_not_shipped() -> None:
    assert not (MODELS / "stub.py").exists()
    importers = [
        str(path.relative_to(SRC))
        for path, tree in _trees().items()
        if any("stub" in name for name in _imported(tree))
    ]
    assert importers == [], f"the stub is test support (tests/support/stub_server.py): {importers}"
