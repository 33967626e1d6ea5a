"""Check a data set's files on disk against the registry's SHA-256 (or the fetch's manifest)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from langgap.data.download import read_manifest, sha256_of
from langgap.data.registry import Dataset

State = Literal["ok", "missing", "mismatch", "unchecked"]


@dataclass(frozen=True)
class FileCheck:
    path: str
    state: State
    detail: str = ""


def verify_folder(dataset: Dataset, folder: Path) -> list[FileCheck]:
    """One check per file: the registry's files, else those the fetch recorded."""
    recorded = read_manifest(folder)
    expected: dict[str, str | None] = {spec.path: spec.sha256 for spec in dataset.files}
    for path, stored in recorded.items():
        if expected.get(path) is None:
            expected[path] = stored
    checks = []
    for path, digest in expected.items():
        file = folder / path
        if not file.is_file():
            checks.append(FileCheck(path, "missing", f"{file} is absent"))
        elif digest is None:
            checks.append(FileCheck(path, "unchecked", "no checksum known (not fetched here)"))
        else:
            actual = sha256_of(file)
            if actual == digest:
                checks.append(FileCheck(path, "ok"))
            else:
                checks.append(FileCheck(path, "mismatch", f"SHA-256 {actual}, expected {digest}"))
    return checks
