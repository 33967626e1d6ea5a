"""A core install (no extras) can run `langgap data …`: every third-party module the data layer
imports, at the top or inside a function, is one of [project] dependencies."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA_LAYER = ROOT / "src" / "langgap" / "data"


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _core_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {
        _normal(re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0]) for spec in project["dependencies"]
    }


def _imported_modules(folder: Path) -> set[str]:
    found: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"langgap", "__future__"}


def test_the_data_layer_needs_only_core_dependencies() -> None:
    distributions = packages_distributions()
    core = _core_dependencies()
    missing = {
        module: distributions.get(module, [module])
        for module in sorted(_imported_modules(DATA_LAYER))
        if not any(_normal(dist) in core for dist in distributions.get(module, [module]))
    }
    assert not missing, f"imported by langgap.data but not in [project] dependencies: {missing}"
