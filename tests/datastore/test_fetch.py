"""First-use fetch from a local mirror: raw files through httpx, hub files through
huggingface_hub (HF_ENDPOINT points it at the mirror, which answers like the hub), resume,
checksums, atomic folders, and the one-line offline error."""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from langgap.data import DataUnavailableError, dataset_dir, user_data_dir
from langgap.data.download import PARTIAL
from langgap.data.mirror import MirrorServer
from langgap.data.registry import Dataset

from .conftest import CONTENT, point_at, served


def _gets(server: MirrorServer) -> list[tuple[str, str, str | None]]:
    return [request for request in server.requests if request[0] == "GET"]


def test_first_use_fetches_into_the_user_data_dir_then_makes_no_request(
    mirror: MirrorServer,
) -> None:
    folder = dataset_dir("tinyraw")
    assert folder == user_data_dir() / "tinyraw"
    assert (folder / "a.csv").read_bytes() == CONTENT["tinyraw"]["a.csv"]
    assert (folder / "sub" / "b.csv").read_bytes() == CONTENT["tinyraw"]["sub/b.csv"]
    assert len(_gets(mirror)) == 2
    assert not (user_data_dir() / PARTIAL / "tinyraw").exists()
    before = len(mirror.requests)
    assert dataset_dir("tinyraw") == folder
    assert len(mirror.requests) == before  # second use: nothing asked


def test_hub_data_set_comes_through_huggingface_hub(mirror: MirrorServer) -> None:
    folder = dataset_dir("tinyhub")
    assert (folder / "c.csv").read_bytes() == CONTENT["tinyhub"]["c.csv"]
    hub = "/datasets/owner/hub/resolve/abc123/"
    assert any(path.startswith(hub) for _, path, _ in mirror.requests)


class CutOnce(MirrorServer):
    """Sends only the first 1,000 bytes of each file's first GET, then drops the connection."""

    def __init__(self, files: dict[str, bytes]) -> None:
        super().__init__(files)
        self.cut: set[int] = set()

    def write(self, handler: BaseHTTPRequestHandler, chunk: bytes) -> None:
        key = len(chunk)
        if handler.headers.get("Range") is None and key not in self.cut:
            self.cut.add(key)
            handler.wfile.write(chunk[:1000])
            handler.wfile.flush()
            handler.close_connection = True
            handler.connection.shutdown(2)
            return
        handler.wfile.write(chunk)


def test_cut_connection_is_resumed_with_a_range_request(
    tiny: dict[str, Dataset], online: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with CutOnce(served(tiny)) as server:
        point_at(server.url, monkeypatch)
        folder = dataset_dir("tinyraw")
    assert (folder / "a.csv").read_bytes() == CONTENT["tinyraw"]["a.csv"]
    ranges = [rng for _, path, rng in _gets(server) if path.endswith("/a.csv")]
    assert ranges == [None, "bytes=1000-"]


def test_partial_file_from_an_earlier_run_is_continued(
    mirror: MirrorServer, tiny: dict[str, Dataset]
) -> None:
    partial = user_data_dir() / PARTIAL / "tinyraw"
    partial.mkdir(parents=True)
    (partial / "a.csv.part").write_bytes(CONTENT["tinyraw"]["a.csv"][:777])
    folder = dataset_dir("tinyraw")
    assert (folder / "a.csv").read_bytes() == CONTENT["tinyraw"]["a.csv"]
    assert ("GET", "/owner/raw/abc123/data/a.csv", "bytes=777-") in mirror.requests


def test_wrong_checksum_is_refused_and_nothing_is_kept(
    tiny: dict[str, Dataset], online: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = served(tiny)
    files["/owner/raw/abc123/data/a.csv"] = b"id,text\n1,tampered\n"
    with MirrorServer(files) as server:
        point_at(server.url, monkeypatch)
        refused = r"SHA-256 is [0-9a-f]{64}, not the registered"
        with pytest.raises(DataUnavailableError, match=refused) as caught:
            dataset_dir("tinyraw")
    # the URL named is the one used (the mirror's), not the canonical one of the first file
    assert f"could not be fetched from {server.url}/owner/raw/abc123/data/a.csv:" in str(
        caught.value
    )
    assert "raw.githubusercontent.com" not in str(caught.value)
    assert not (user_data_dir() / "tinyraw").exists()  # never a half-verified folder
    assert not (user_data_dir() / PARTIAL / "tinyraw" / "a.csv").exists()


def _drop_every_packet(monkeypatch: pytest.MonkeyPatch) -> None:
    """A network that drops packets: connecting hangs (this sandbox answers any address)."""

    def hang(*args: object, **kwargs: object) -> None:
        time.sleep(30)

    monkeypatch.setattr("langgap.data.network.socket.create_connection", hang)


@pytest.mark.parametrize("network", ["refused", "dropped"])
def test_offline_error_is_one_line_within_3_seconds(
    tiny: dict[str, Dataset], online: Path, monkeypatch: pytest.MonkeyPatch, network: str
) -> None:
    url = "http://127.0.0.1:9"  # nothing listens: refused at once
    point_at(url, monkeypatch)
    if network == "dropped":
        _drop_every_packet(monkeypatch)
    clock = time.monotonic()
    with pytest.raises(DataUnavailableError) as caught:
        dataset_dir("tinyraw")
    assert time.monotonic() - clock < 3.0
    message = str(caught.value)
    assert "\n" not in message
    target = user_data_dir() / "tinyraw"
    for part in ("Tinyraw (tinyraw)", f"{url}/owner/raw/abc123/data/a.csv", str(target),
                 "langgap data verify tinyraw"):  # fmt: skip
        assert part in message
    assert not target.exists()


def test_connect_timeout_variable_sets_the_probe_and_a_bad_value_is_named(
    tiny: dict[str, Dataset], online: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at("http://127.0.0.1:9", monkeypatch)
    _drop_every_packet(monkeypatch)
    monkeypatch.setenv("LANGGAP_CONNECT_TIMEOUT", "0.3")
    clock = time.monotonic()
    with pytest.raises(DataUnavailableError, match=r"no answer within 0\.3 s"):
        dataset_dir("tinyraw")
    assert time.monotonic() - clock < 1.5
    monkeypatch.setenv("LANGGAP_CONNECT_TIMEOUT", "soon")
    with pytest.raises(
        DataUnavailableError, match="LANGGAP_CONNECT_TIMEOUT='soon' is not a number"
    ):
        dataset_dir("tinyraw")


def test_langgap_offline_fails_without_asking(
    mirror: MirrorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANGGAP_OFFLINE", "1")
    with pytest.raises(DataUnavailableError, match="downloads are off"):
        dataset_dir("tinyraw")
    assert mirror.requests == []


def test_precedence_data_dir_then_env_then_shared_then_user(
    mirror: MirrorServer, online: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = online.parent / "shared" / "data" / "tinyraw"  # ../shared/data from the work folder
    shared.mkdir(parents=True)
    assert dataset_dir("tinyraw") == shared.resolve()  # present locally: used as it is
    env = tmp_path / "env"
    monkeypatch.setenv("LANGGAP_DATA_DIR", str(env))
    assert dataset_dir("tinyraw") == env / "tinyraw"  # the variable wins, fetched into it
    assert (env / "tinyraw" / "a.csv").is_file()
    explicit = tmp_path / "explicit"
    assert dataset_dir("tinyraw", explicit) == explicit / "tinyraw"  # --data-dir wins over all
    assert not (user_data_dir() / "tinyraw").exists()


def test_missing_hub_file_is_a_one_line_error(
    tiny: dict[str, Dataset], online: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {k: v for k, v in served(tiny).items() if "/datasets/" not in k}
    with MirrorServer(files) as server:
        point_at(server.url, monkeypatch)
        with pytest.raises(DataUnavailableError) as caught:
            dataset_dir("tinyhub")
    assert "\n" not in str(caught.value) and "Tinyhub (tinyhub)" in str(caught.value)
    assert not (user_data_dir() / "tinyhub").exists()
