"""The ACL Anthology's data: found like every other data set, else downloaded once.

The Anthology is looked for through `langgap.data` (--data-dir, $LANGGAP_DATA_DIR,
../shared/data, the user data directory; then the older user-cache copy) and otherwise
downloaded once into the data directory: first a shallow, sparse git clone of only data/xml and
data/yaml; failing that, the published BibTeX-with-abstracts export.
Downloads land in a temporary folder next to the cache and are renamed into place only when
complete, so an interrupted download never passes for a cached one.
Failures raise `AnthologyUnavailableError`, a `DataUnavailableError` whose str() is one line
with the fix; the survey's `--anthology` layer (`langgap.survey.fetch`) reports it as its own.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

from langgap._io import CACHE_ENV
from langgap.data.locate import DataUnavailableError, fetch_root, find, offline
from langgap.data.network import probe_timeout, reachable_urls
from langgap.data.registry import entry

REPO_URL = "https://github.com/acl-org/acl-anthology"
BIBTEX_URL = "https://aclanthology.org/anthology+abstracts.bib.gz"
BIBTEX_NAME = "anthology+abstracts.bib.gz"
SPARSE_PATHS = ("data/xml", "data/yaml")
READ_TIMEOUT_S = 60.0

_log = logging.getLogger(__name__)
OFFLINE_FIX = (
    "Fix: pass --anthology PATH, with PATH a local copy of the Anthology's data (a checkout of "
    f"{REPO_URL} or its data/xml folder) or a BibTeX export such as {BIBTEX_NAME} "
    f"(from {BIBTEX_URL})."
)


class AnthologyUnavailableError(DataUnavailableError):
    """The Anthology is not here and could not be downloaded; str() is one line with the fix."""


def has_anthology_xml(path: Path) -> bool:
    """Whether path is an Anthology checkout or data folder, or a folder of its XML files."""
    for folder in (path / "data" / "xml", path / "xml", path):
        if folder.is_dir() and any(folder.glob("*.xml")):
            return True
    return False


def default_cache_dir() -> Path:
    """Where the downloaded Anthology lives: <LANGGAP_CACHE_DIR or user cache>/acl-anthology."""
    return (
        Path(os.environ.get(CACHE_ENV) or platformdirs.user_cache_dir("langgap")) / "acl-anthology"
    )


def locate_anthology(data_dir: str | Path | None = None) -> Path:
    """The Anthology through the data resolution, downloaded into the data directory if absent.

    Order: --data-dir / $LANGGAP_DATA_DIR / ../shared/data / the user data directory (see
    `langgap.data.locate`), then a copy in the older user-cache place, then a download.
    """
    dataset = entry("acl-anthology")
    folder = find(dataset, data_dir)
    if folder is not None:
        found = cached_anthology(folder)
        if found is None:
            raise AnthologyUnavailableError(
                f"{folder}: holds no Anthology XML or {BIBTEX_NAME}. Fix: delete it and run "
                "`langgap data fetch acl-anthology`, or pass --anthology PATH."
            )
        return found
    if data_dir is None and not os.environ.get("LANGGAP_DATA_DIR"):
        legacy = cached_anthology(default_cache_dir())
        if legacy is not None:
            return legacy
    target = fetch_root(data_dir).path / dataset.folder
    if offline():
        raise AnthologyUnavailableError(
            f"The ACL Anthology is not in {target} and downloads are off (LANGGAP_OFFLINE or "
            f"HF_HUB_OFFLINE). {_fix(target)}"
        )
    return download(target)


def cached_anthology(cache: Path) -> Path | None:
    """The cached checkout (preferred) or BibTeX export under cache, or None."""
    if cache.is_dir() and has_anthology_xml(cache):
        return cache
    bibtex = cache / BIBTEX_NAME
    return bibtex if bibtex.is_file() else None


def download(cache: Path) -> Path:
    """Clone the Anthology's data into cache, or else fetch its BibTeX export."""
    if cache.exists() and (not cache.is_dir() or any(cache.iterdir())):
        # Not a cache we made (ours are complete or absent): refuse to overwrite it.
        raise AnthologyUnavailableError(
            f"{cache}: exists but holds no Anthology data. Fix: delete it, or pass "
            "--anthology PATH."
        )
    try:  # the data sets' connection check: 1.5 s, or LANGGAP_CONNECT_TIMEOUT
        timeout = probe_timeout()
    except ValueError as error:
        raise AnthologyUnavailableError(str(error)) from None
    # a TCP connect to each URL's host (or the proxy in front of it), both at once
    answered = reachable_urls([REPO_URL, BIBTEX_URL], timeout)
    if not answered:
        raise AnthologyUnavailableError(
            f"The ACL Anthology could not be reached ({_host(REPO_URL)} and {_host(BIBTEX_URL)} "
            f"did not answer within {timeout:g} s; offline?). {_fix(cache)}"
        )
    cache.parent.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    if REPO_URL in answered and shutil.which("git"):
        try:
            return _clone(cache)
        except (subprocess.CalledProcessError, OSError, AnthologyUnavailableError) as error:
            failures.append(f"git clone failed: {_describe(error)}")
    if BIBTEX_URL in answered:
        try:
            return _fetch_bibtex(cache)
        except (OSError, AnthologyUnavailableError) as error:
            failures.append(f"downloading {BIBTEX_URL} failed: {_describe(error)}")
    reasons = "; ".join(failures) or "git is not installed and aclanthology.org did not answer"
    raise AnthologyUnavailableError(
        f"The ACL Anthology could not be downloaded ({reasons}). {_fix(cache)}"
    )


def _clone(cache: Path) -> Path:
    """Shallow, sparse clone of data/xml and data/yaml (blobs of the rest are never fetched)."""
    _log.info("Downloading the ACL Anthology's data/xml from %s into %s", REPO_URL, cache)
    # Abort a stalled transfer instead of hanging, and never wait for a password prompt.
    env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_HTTP_LOW_SPEED_LIMIT": "1000",
        "GIT_HTTP_LOW_SPEED_TIME": str(int(READ_TIMEOUT_S)),
    }
    with tempfile.TemporaryDirectory(prefix=".acl-anthology-", dir=cache.parent) as tmp:
        checkout = Path(tmp) / "acl-anthology"
        clone = ["git", "clone", "--depth", "1", "--filter=blob:none", "--sparse"]
        for command in (
            [*clone, REPO_URL, str(checkout)],
            ["git", "-C", str(checkout), "sparse-checkout", "set", *SPARSE_PATHS],
        ):
            subprocess.run(command, check=True, capture_output=True, text=True, env=env)
        if not has_anthology_xml(checkout):
            raise AnthologyUnavailableError(f"the clone of {REPO_URL} holds no data/xml/*.xml")
        _move_into_place(checkout, cache)
    return cache


def _fetch_bibtex(cache: Path) -> Path:
    """Download the BibTeX-with-abstracts export to cache/anthology+abstracts.bib.gz."""
    _log.info("Downloading %s into %s", BIBTEX_URL, cache)
    target = cache / BIBTEX_NAME
    with tempfile.TemporaryDirectory(prefix=".acl-anthology-", dir=cache.parent) as tmp:
        partial = Path(tmp) / BIBTEX_NAME
        request = urllib.request.Request(BIBTEX_URL, headers={"User-Agent": "langgap"})
        with (
            urllib.request.urlopen(request, timeout=READ_TIMEOUT_S) as response,
            partial.open("wb") as out,
        ):
            shutil.copyfileobj(response, out, length=1 << 20)
        with partial.open("rb") as done:
            if done.read(2) != b"\x1f\x8b":
                raise AnthologyUnavailableError(f"{BIBTEX_URL} did not return a gzip file")
        cache.mkdir(exist_ok=True)
        _move_into_place(partial, target)
    return target


def _move_into_place(source: Path, target: Path) -> None:
    """Rename a finished download onto its final path (atomic on one file system)."""
    if target.is_dir():
        target.rmdir()  # only ever an empty folder here: _download refuses non-empty ones
    os.replace(source, target)


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


def _fix(target: Path) -> str:
    """How to go on without a download: a local copy by path, or put where it is looked for."""
    return f"{OFFLINE_FIX[:-1]}; or put that copy in {target}, where it is looked for."


def _describe(error: BaseException) -> str:
    if isinstance(error, subprocess.CalledProcessError):
        stderr = (error.stderr or "").strip().splitlines()
        return stderr[-1] if stderr else f"exit status {error.returncode}"
    return str(error)
