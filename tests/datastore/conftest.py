"""A tiny registry of two data sets (raw files and a hub repository) served by a local mirror."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from langgap.data import registry
from langgap.data.mirror import MirrorServer
from langgap.data.registry import Dataset, FileSpec, Source

CONTENT = {
    "tinyraw": {"a.csv": b"id,text\n1,one\n" * 500, "sub/b.csv": b"id,text\n2,two\n" * 300},
    "tinyhub": {"c.csv": "id,text\n3,তিন\n".encode() * 400},
}


def _dataset(name: str, kind: str, repo: str, files: dict[str, bytes]) -> Dataset:
    specs = tuple(
        FileSpec(path, f"data/{path}", hashlib.sha256(body).hexdigest(), len(body))
        for path, body in files.items()
    )
    return Dataset(
        name=name,
        title=name.title(),
        folder=name,
        source=Source(kind, repo, "abc123"),  # type: ignore[arg-type]
        files=specs,
        checksums="shared-copy",
        licence="MIT",
        harmful=False,
        citation="test",
        used_by=(),
    )


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> dict[str, Dataset]:
    table = {
        "tinyraw": _dataset("tinyraw", "github", "owner/raw", CONTENT["tinyraw"]),
        "tinyhub": _dataset("tinyhub", "hf", "owner/hub", CONTENT["tinyhub"]),
    }
    monkeypatch.setattr(registry, "datasets", lambda: table)
    return table


def served(table: dict[str, Dataset]) -> dict[str, bytes]:
    """URL path -> body for every file of the tiny registry, in the mirror's layout."""
    files = {}
    for name, dataset in table.items():
        for spec in dataset.files:
            body = CONTENT[name][spec.path]
            if dataset.source.kind == "hf":
                key = f"/datasets/{dataset.source.repo}/resolve/abc123/{spec.remote}"
            else:
                key = f"/{dataset.source.repo}/abc123/{spec.remote}"
            files[key] = body
    return files


@pytest.fixture
def online(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Downloads allowed, from a working folder with no ../shared/data beside it."""
    work = tmp_path / "project" / "work"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.delenv("LANGGAP_OFFLINE", raising=False)
    monkeypatch.delenv("LANGGAP_DATA_DIR", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    # huggingface_hub reads HF_HUB_OFFLINE once, at import: an earlier test that loaded it with
    # the variable set (the smollm2 fixtures set it for the session) would keep it offline
    hub = sys.modules.get("huggingface_hub.constants")
    if hub is not None:
        monkeypatch.setattr(hub, "HF_HUB_OFFLINE", False)
    return work


def point_at(server_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGGAP_DATA_MIRROR", server_url)
    monkeypatch.setenv("HF_ENDPOINT", server_url)


@pytest.fixture
def mirror(
    tiny: dict[str, Dataset], online: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MirrorServer]:
    with MirrorServer(served(tiny)) as server:
        point_at(server.url, monkeypatch)
        yield server
