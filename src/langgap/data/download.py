"""Fetch a registered data set: resumable, checksum-verified, atomic.

Files are downloaded into ``<root>/.partial/<folder>/`` (a file in progress ends in ``.part``
and is resumed with an HTTP range request next time), each is checked against its SHA-256, and
only when all are there is the folder renamed to ``<root>/<folder>``, so a half-written folder
is never taken for data. Raw files come through httpx; hub data sets through huggingface_hub
(``HF_ENDPOINT`` points it at a mirror). ``LANGGAP_DATA_MIRROR`` replaces
``https://raw.githubusercontent.com`` for raw files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from langgap.data.locate import DataRoot, unavailable
from langgap.data.network import probe_timeout, reachable
from langgap.data.registry import GITHUB_RAW, HF_HUB, Dataset, FileSpec

MIRROR_ENV = "LANGGAP_DATA_MIRROR"
MANIFEST = ".langgap-manifest.json"
PARTIAL = ".partial"
ATTEMPTS = 3  # per file: a cut connection is resumed where it stopped
WORKERS = 8  # files downloaded at once (small files: latency, not bandwidth, is the cost)
_CHUNK = 1 << 20
_log = logging.getLogger(__name__)


class ChecksumError(ValueError):
    """A downloaded file whose SHA-256 is not the registered one, and the URL it came from."""

    def __init__(self, url: str, detail: str) -> None:
        super().__init__(f"{url} gave {detail}")
        self.url = url  # the URL actually used: a mirror's or the hub endpoint's when set
        self.detail = detail


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def file_url(dataset: Dataset, spec: FileSpec) -> str:
    """Where a file is fetched from now (the mirror or hub endpoint in effect)."""
    if dataset.source.kind == "hf":
        endpoint = os.environ.get("HF_ENDPOINT") or HF_HUB
        return dataset.url(spec).replace(HF_HUB, endpoint.rstrip("/"), 1)
    mirror = os.environ.get(MIRROR_ENV)
    url = dataset.url(spec)
    return url.replace(GITHUB_RAW, mirror.rstrip("/"), 1) if mirror else url


def first_url(dataset: Dataset) -> str:
    """The URL a fetch of dataset connects to first (its server is probed before it starts)."""
    if dataset.files:
        return file_url(dataset, dataset.files[0])
    return os.environ.get("HF_ENDPOINT") or HF_HUB


def fetch_dataset(dataset: Dataset, root: DataRoot) -> Path:
    """Download dataset into root and return its folder (DataUnavailableError when impossible)."""
    target = root.path / dataset.folder
    if dataset.source.kind in ("manual", "anthology"):
        reason = (
            dataset.note or "no public file holds it ready"
            if dataset.source.kind == "manual"
            else "the Anthology is fetched by `langgap data fetch acl-anthology`"
        )
        raise unavailable(dataset, root, reason, dataset.source.page)
    probe_url = first_url(dataset)
    try:
        timeout = probe_timeout()
    except ValueError as error:
        raise unavailable(dataset, root, str(error), probe_url) from None
    if not reachable(probe_url, timeout):
        raise unavailable(dataset, root, f"no answer within {timeout:g} s (offline?)", probe_url)
    partial = root.path / PARTIAL / dataset.folder
    partial.mkdir(parents=True, exist_ok=True)
    try:
        if dataset.source.kind == "hf":
            hashes = _fetch_hub(dataset, partial)
        else:
            hashes = _fetch_raw(dataset, partial)
    except ChecksumError as error:  # named by the URL used, which a mirror makes not the first
        raise unavailable(dataset, root, f"it gave {error.detail}", error.url) from None
    except (httpx.HTTPError, OSError) as error:
        raise unavailable(dataset, root, _describe(error), probe_url) from None
    _write_manifest(partial, dataset, hashes)
    if target.exists():
        shutil.rmtree(partial)
        return target  # another process finished first
    os.replace(partial, target)
    return target


def _fetch_raw(dataset: Dataset, partial: Path) -> dict[str, str]:
    """Every file of a raw source, WORKERS at a time (one connection pool, resumed parts)."""
    timeout = httpx.Timeout(60.0, connect=3.0)
    limits = httpx.Limits(max_connections=WORKERS)
    with (
        httpx.Client(timeout=timeout, limits=limits, follow_redirects=True) as client,
        ThreadPoolExecutor(WORKERS) as pool,
    ):
        done = pool.map(lambda spec: _fetch_file(client, dataset, spec, partial), dataset.files)
        return dict(zip((spec.path for spec in dataset.files), done, strict=True))


def _fetch_file(client: httpx.Client, dataset: Dataset, spec: FileSpec, partial: Path) -> str:
    """One file into partial/spec.path (skipped when already there and verified); its SHA-256."""
    final = partial / spec.path
    if final.is_file() and _matches(final, spec):
        return sha256_of(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    part = final.with_name(final.name + ".part")
    url = file_url(dataset, spec)
    _log.info("Downloading %s", url)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            _download(client, url, part)
            break
        except httpx.TransportError:
            if attempt == ATTEMPTS:
                raise
    return _accept(part, final, spec, url)


def _download(client: httpx.Client, url: str, part: Path) -> None:
    """GET url into part, continuing from part's current size with a range request."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    with client.stream("GET", url, headers=headers) as response:
        if response.status_code == 416:  # nothing left to send: the part is whole
            return
        response.raise_for_status()
        mode = "ab" if have and response.status_code == 206 else "wb"
        with part.open(mode) as out:
            for chunk in response.iter_bytes():  # as received: a cut keeps what came
                out.write(chunk)


def _matches(path: Path, spec: FileSpec) -> bool:
    return spec.sha256 is None or sha256_of(path) == spec.sha256


def _accept(part: Path, final: Path, spec: FileSpec, url: str) -> str:
    """Check part's SHA-256 and rename it to final; a mismatch deletes it and raises."""
    digest = sha256_of(part)
    if spec.sha256 is not None and digest != spec.sha256:
        part.unlink()
        raise ChecksumError(
            url,
            f"a file whose SHA-256 is {digest}, not the registered {spec.sha256} "
            "(the upstream file changed or the download was corrupted; it was deleted)",
        )
    os.replace(part, final)
    return digest


def _fetch_hub(dataset: Dataset, partial: Path) -> dict[str, str]:
    from huggingface_hub.errors import EntryNotFoundError

    try:
        return _fetch_hub_files(dataset, partial)
    except EntryNotFoundError as error:  # the hub's other errors are OSErrors already
        raise OSError(str(error).splitlines()[0]) from None


def _fetch_hub_files(dataset: Dataset, partial: Path) -> dict[str, str]:
    from huggingface_hub import hf_hub_download, snapshot_download

    endpoint = os.environ.get("HF_ENDPOINT") or None
    staging = partial / ".hub"  # huggingface_hub resumes its own .incomplete files in here
    source = dataset.source
    hashes: dict[str, str] = {}
    if source.patterns:
        snapshot_download(
            source.repo,
            repo_type="dataset",
            revision=source.revision,
            allow_patterns=list(source.patterns),
            local_dir=staging,
            endpoint=endpoint,
        )
        for path in _files_under(staging):
            hashes[path.name] = _accept(
                path, partial / path.name, FileSpec(path.name, path.name, None, None), ""
            )
    for spec in dataset.files:
        final = partial / spec.path
        if final.is_file() and _matches(final, spec):
            hashes[spec.path] = sha256_of(final)
            continue
        downloaded = Path(
            hf_hub_download(
                source.repo,
                spec.remote,
                repo_type="dataset",
                revision=source.revision,
                local_dir=staging,
                endpoint=endpoint,
            )
        )
        final.parent.mkdir(parents=True, exist_ok=True)
        hashes[spec.path] = _accept(downloaded, final, spec, file_url(dataset, spec))
    shutil.rmtree(staging, ignore_errors=True)
    return hashes


def _files_under(folder: Path) -> Iterable[Path]:
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def _write_manifest(folder: Path, dataset: Dataset, hashes: dict[str, str]) -> None:
    manifest = {
        "dataset": dataset.name,
        "source": f"{dataset.source.kind}:{dataset.source.repo}@{dataset.source.revision}",
        "sha256": hashes,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def read_manifest(folder: Path) -> dict[str, str]:
    """The SHA-256 of each file recorded when the folder was fetched ({} when none)."""
    path = folder / MANIFEST
    if not path.is_file():
        return {}
    hashes = json.loads(path.read_text()).get("sha256") or {}
    return {str(key): str(value) for key, value in hashes.items()}


def _describe(error: BaseException) -> str:
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code} from {error.request.url}"
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
