"""The data registry: one entry per public data set langgap names (registry.yaml beside this file).

>>> entry("multijail").source.repo
'DAMO-NLP-SG/multilingual-safety-for-LLMs'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

SourceKind = Literal["github", "hf", "anthology", "manual"]
GITHUB_RAW = "https://raw.githubusercontent.com"
HF_HUB = "https://huggingface.co"


class UnknownDatasetError(KeyError):
    """A name that is not in the registry; str() is the one-line message."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class FileSpec:
    """One file a loader reads: its path inside the data set's folder and where it comes from."""

    path: str
    remote: str
    sha256: str | None
    size: int | None


@dataclass(frozen=True)
class Source:
    kind: SourceKind
    repo: str
    revision: str
    patterns: tuple[str, ...] = ()  # hf only: files chosen by pattern when names are not fixed
    url: str | None = None  # a page for people (manual and anthology sources)

    @property
    def page(self) -> str:
        if self.url:
            return self.url
        if self.kind == "hf":
            return f"{HF_HUB}/datasets/{self.repo}/tree/{self.revision}"
        return f"https://github.com/{self.repo}/tree/{self.revision}"


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    folder: str  # the folder under a data directory that holds it
    source: Source
    files: tuple[FileSpec, ...]
    checksums: Literal["shared-copy", "source-commit", "first-download", "none"]
    licence: str
    harmful: bool
    citation: str
    used_by: tuple[str, ...]
    note: str | None = None

    @property
    def fetchable(self) -> bool:
        return self.source.kind in ("github", "hf", "anthology")

    def url(self, spec: FileSpec) -> str:
        """The public URL of one file (for messages and the github fetcher)."""
        if self.source.kind == "hf":
            return (
                f"{HF_HUB}/datasets/{self.source.repo}/resolve/{self.source.revision}/{spec.remote}"
            )
        return f"{GITHUB_RAW}/{self.source.repo}/{self.source.revision}/{spec.remote}"

    @property
    def first_url(self) -> str:
        return self.url(self.files[0]) if self.files else self.source.page


def _source(raw: dict[str, Any]) -> Source:
    return Source(
        kind=raw["kind"],
        repo=raw["repo"],
        revision=str(raw["revision"]),
        patterns=tuple(raw.get("patterns") or ()),
        url=raw.get("url"),
    )


def _dataset(name: str, raw: dict[str, Any]) -> Dataset:
    source = _source(raw["source"])
    prefix = str(raw["source"].get("prefix") or "")
    files = tuple(
        FileSpec(
            path=item["path"],
            remote=item.get("remote") or prefix + item["path"],
            sha256=item.get("sha256"),
            size=item.get("size"),
        )
        for item in raw.get("files") or ()
    )
    return Dataset(
        name=name,
        title=raw["title"],
        folder=raw["folder"],
        source=source,
        files=files,
        checksums=raw["checksums"],
        licence=raw["licence"],
        harmful=bool(raw["harmful"]),
        citation=raw["citation"],
        used_by=tuple(raw.get("used_by") or ()),
        note=raw.get("note"),
    )


@cache
def datasets() -> dict[str, Dataset]:
    """Every registered data set by name, in the registry's order."""
    text = resources.files("langgap.data").joinpath("registry.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)["datasets"]
    return {name: _dataset(name, value) for name, value in raw.items()}


def entry(name: str) -> Dataset:
    """The data set called name (or stored in the folder called name)."""
    table = datasets()
    if name in table:
        return table[name]
    for dataset in table.values():
        if dataset.folder == name:
            return dataset
    raise UnknownDatasetError(
        f"unknown data set {name!r}: use one of {', '.join(table)} (see `langgap data list`)"
    )
