"""Where a data set lives: the folder given, the environment, this repository's test data, or the
user data directory — and a fetch on first use when it is in none of them.

Resolution, first match wins:

1. ``--data-dir DIR`` (``data_dir=`` in Python, ``-T data_dir=`` with Inspect): ``DIR/<folder>``;
   fetched into ``DIR`` when missing.
2. ``$LANGGAP_DATA_DIR``: the same with that folder.
3. ``../shared/data/<folder>`` from the current directory, when that folder exists (this
   repository's tests read the project's shared copy from there); never written to.
4. The user data directory (``platformdirs.user_data_dir("langgap")``, e.g.
   ``~/.local/share/langgap`` on Linux): fetched into it on first use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from langgap.data.registry import Dataset, entry

DATA_ENV = "LANGGAP_DATA_DIR"
OFFLINE_ENV = "LANGGAP_OFFLINE"  # "1": never download; a missing data set is an error at once
SHARED_DATA = Path("..") / "shared" / "data"


class DataUnavailableError(RuntimeError):
    """A data set that is not on disk and could not be fetched; str() is one line with the fix."""


@dataclass(frozen=True)
class DataRoot:
    """A folder holding data sets, and why it was chosen (for messages)."""

    path: Path
    origin: str
    writable: bool = True


def user_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("langgap"))


def offline() -> bool:
    """Downloads are off: LANGGAP_OFFLINE or HF_HUB_OFFLINE is set to a true value."""
    return any(
        os.environ.get(key, "").strip().lower() in ("1", "true", "yes", "on")
        for key in (OFFLINE_ENV, "HF_HUB_OFFLINE")
    )


def roots(data_dir: str | Path | None = None, option: str = "--data-dir") -> list[DataRoot]:
    """The folders searched, in order; the last writable one is where a fetch lands. `option`
    names the command-line option that gave `data_dir`, for messages."""
    if data_dir is not None:
        return [DataRoot(Path(data_dir).expanduser(), option)]
    env = os.environ.get(DATA_ENV)
    if env:
        return [DataRoot(Path(env).expanduser(), f"${DATA_ENV}")]
    found = []
    shared = Path.cwd() / SHARED_DATA
    if shared.is_dir():
        found.append(DataRoot(shared.resolve(), "../shared/data", writable=False))
    found.append(DataRoot(user_data_dir(), "the user data directory"))
    return found


def fetch_root(data_dir: str | Path | None = None, option: str = "--data-dir") -> DataRoot:
    """Where a missing data set is downloaded to."""
    return [root for root in roots(data_dir, option) if root.writable][-1]


def find(
    dataset: Dataset, data_dir: str | Path | None = None, option: str = "--data-dir"
) -> Path | None:
    """The data set's folder in the first root that has it, or None."""
    for root in roots(data_dir, option):
        folder = root.path / dataset.folder
        if folder.is_dir():
            return folder
    return None


def dataset_dir(
    name: str, data_dir: str | Path | None = None, *, fetch: bool = True, option: str = "--data-dir"
) -> Path:
    """The folder holding data set `name`, fetched on first use (`option`: the command-line
    option that gave `data_dir`, named in the error).

    Raises DataUnavailableError (one line naming the data set, the URL tried, the folder to put
    the files in and the command that verifies them) when it is absent and cannot be fetched.
    """
    dataset = entry(name)
    found = find(dataset, data_dir, option)
    if found is not None:
        return found
    root = fetch_root(data_dir, option)
    if not fetch:
        raise unavailable(dataset, root, "not downloaded (the fetch was not asked for)")
    if offline():
        raise unavailable(dataset, root, f"downloads are off ({OFFLINE_ENV} or HF_HUB_OFFLINE)")
    from langgap.data.download import fetch_dataset

    return fetch_dataset(dataset, root)


def unavailable(dataset: Dataset, root: DataRoot, reason: str, url: str | None = None) -> Exception:
    """The one-line error for a data set that is not there."""
    target = root.path / dataset.folder
    tried = url or dataset.first_url
    how = (
        f"put its files in {target}"
        if dataset.fetchable
        else f"get it from {dataset.source.page} and put its files in {target}"
    )
    option = root.origin if root.origin.startswith("--") else "--data-dir"
    return DataUnavailableError(
        f"{dataset.title} ({dataset.name}) is not in {root.path} ({root.origin}) and could not "
        f"be fetched from {tried}: {reason}. Fix: {how} (the file list: `langgap data list "
        f"{dataset.name}`), then run `langgap data verify {dataset.name}`; or point {option} "
        f"or {DATA_ENV} at a folder holding {dataset.folder}/"
    )
