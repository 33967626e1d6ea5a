"""resolve_anthology: paths, the data folders (--data-dir first), failing fast offline, and
atomic (mocked) downloads into the data folder."""

from __future__ import annotations

import gzip
import io
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from langgap.data import DataUnavailableError, anthology, network
from langgap.data.anthology import BIBTEX_NAME
from langgap.survey import fetch
from langgap.survey.fetch import resolve_anthology
from langgap.survey.sources import read_papers
from langgap.survey.sources.errors import SourceError

DATA = Path(__file__).resolve().parents[1] / "data"


def _xml_checkout(root: Path) -> Path:
    (root / "data" / "xml").mkdir(parents=True)
    (root / "data" / "xml" / "2024.acl.xml").write_text("<collection/>", encoding="utf-8")
    return root


def test_path_spec_is_checked(tmp_path: Path) -> None:
    checkout = _xml_checkout(tmp_path / "acl-anthology")
    assert resolve_anthology(str(checkout)) == checkout
    assert resolve_anthology(str(DATA / "papers.bib")) == DATA / "papers.bib"
    with pytest.raises(SourceError, match=r"no such file.*--anthology PATH"):
        resolve_anthology(str(tmp_path / "absent"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match=r"no Anthology XML.*--anthology PATH"):
        resolve_anthology(str(tmp_path / "empty"))
    with pytest.raises(SourceError, match=r"neither an Anthology folder nor a \.bib"):
        resolve_anthology(str(DATA / "papers.csv"))


def test_auto_uses_cached_checkout_without_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(anthology, "reachable_urls", _forbidden)
    cache = _xml_checkout(tmp_path / "acl-anthology")
    assert resolve_anthology("auto", tmp_path) == cache
    assert resolve_anthology(None, tmp_path) == cache  # no --anthology: the same


def test_auto_uses_cached_bibtex_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(anthology, "reachable_urls", _forbidden)
    cache = tmp_path / "acl-anthology"
    cache.mkdir()
    (cache / BIBTEX_NAME).write_bytes(gzip.compress(b""))
    assert resolve_anthology("auto", tmp_path) == cache / BIBTEX_NAME


def test_default_cache_follows_langgap_cache_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANGGAP_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(anthology, "reachable_urls", _forbidden)
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")  # no ../shared/data beside it
    _xml_checkout(tmp_path / "acl-anthology")
    assert resolve_anthology("auto") == tmp_path / "acl-anthology"


def test_data_folders_come_before_the_old_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """auto (and no --anthology at all) resolve like every data set: LANGGAP_DATA_DIR first."""
    monkeypatch.setenv("LANGGAP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(anthology, "reachable_urls", _forbidden)
    _xml_checkout(tmp_path / "cache" / "acl-anthology")
    _xml_checkout(tmp_path / "data" / "acl-anthology")
    monkeypatch.setenv("LANGGAP_DATA_DIR", str(tmp_path / "data"))
    assert resolve_anthology("auto") == tmp_path / "data" / "acl-anthology"
    assert fetch.locate_anthology(tmp_path / "cache") == tmp_path / "cache" / "acl-anthology"


def test_missing_anthology_offline_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(anthology, "reachable_urls", _forbidden)
    off = r"not in .*acl-anthology and downloads are off"
    with pytest.raises(SourceError, match=off) as caught:
        fetch.locate_anthology(tmp_path)
    assert "\n" not in str(caught.value)
    assert f"put that copy in {tmp_path / 'acl-anthology'}" in str(caught.value)


def test_offline_fails_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real sockets and name lookups; .invalid names never resolve, online or not."""
    monkeypatch.setattr(
        anthology, "REPO_URL", "https://acl-anthology.invalid/acl-org/acl-anthology"
    )
    monkeypatch.setattr(anthology, "BIBTEX_URL", "https://aclanthology.invalid/x.bib.gz")
    _downloads_on(monkeypatch)
    clock = time.monotonic()
    with pytest.raises(SourceError) as caught:
        resolve_anthology("auto", tmp_path)
    assert time.monotonic() - clock < 5
    assert "could not be reached" in str(caught.value)
    assert "--anthology PATH" in str(caught.value)
    assert f"put that copy in {tmp_path / 'acl-anthology'}" in str(caught.value)
    assert not (tmp_path / "acl-anthology").exists()


@pytest.mark.parametrize("how", ["default", "env"])
def test_hanging_lookup_is_cut_short(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The probe waits as long as the data sets' (PROBE_TIMEOUT_S or LANGGAP_CONNECT_TIMEOUT)."""

    def hang(*_: Any, **__: Any) -> socket.socket:
        time.sleep(5)
        raise OSError("too late")

    if how == "env":
        monkeypatch.setenv("LANGGAP_CONNECT_TIMEOUT", "0.3")
    else:
        monkeypatch.delenv("LANGGAP_CONNECT_TIMEOUT", raising=False)
        monkeypatch.setattr(network, "PROBE_TIMEOUT_S", 0.3)
    monkeypatch.setattr(network.socket, "create_connection", hang)  # the probe fetch uses
    clock = time.monotonic()
    with pytest.raises(DataUnavailableError, match=r"github\.com and aclanthology\.org did not"):
        anthology.download(tmp_path / "acl-anthology")
    assert time.monotonic() - clock < 1.5


def test_bad_connect_timeout_is_a_data_error_and_a_source_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The data layer raises its own error; the survey's layer reports the same line."""
    monkeypatch.setenv("LANGGAP_CONNECT_TIMEOUT", "soon")
    with pytest.raises(DataUnavailableError, match="LANGGAP_CONNECT_TIMEOUT='soon'"):
        anthology.download(tmp_path / "acl-anthology")
    _downloads_on(monkeypatch)
    with pytest.raises(SourceError, match="LANGGAP_CONNECT_TIMEOUT='soon'"):
        resolve_anthology("auto", tmp_path)


def test_clone_lands_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commands: list[list[str]] = []

    def fake_run(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        if command[1] == "clone":
            Path(command[-1]).mkdir()
        else:  # sparse-checkout set: the files appear
            _xml_checkout(Path(command[2]))
        return subprocess.CompletedProcess(command, 0, "", "")

    _online(monkeypatch)
    monkeypatch.setattr(anthology.subprocess, "run", fake_run)
    cache = tmp_path / "cache" / "acl-anthology"
    assert resolve_anthology("auto", cache.parent) == cache
    assert (cache / "data" / "xml" / "2024.acl.xml").is_file()
    assert commands[0][:6] == ["git", "clone", "--depth", "1", "--filter=blob:none", "--sparse"]
    assert commands[1][-3:] == ["set", "data/xml", "data/yaml"]
    assert [p.name for p in cache.parent.iterdir()] == ["acl-anthology"]  # no temp left


def test_failed_clone_falls_back_to_bibtex_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_run(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        Path(command[-1]).mkdir(parents=True)  # a half-made clone that must not survive
        raise subprocess.CalledProcessError(128, command, "", "fatal: early EOF\n")

    export = gzip.compress((DATA / "papers.bib").read_bytes())
    _online(monkeypatch)
    monkeypatch.setattr(anthology.subprocess, "run", failing_run)
    monkeypatch.setattr(anthology.urllib.request, "urlopen", lambda *a, **k: io.BytesIO(export))
    cache = tmp_path / "acl-anthology"
    result = resolve_anthology("auto", tmp_path)
    assert result == cache / BIBTEX_NAME
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acl-anthology"]
    assert len(read_papers(result)[0]) == 5


def test_interrupted_download_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            if self.tell() > 0:
                raise TimeoutError("the read operation timed out")
            return super().read(10)

    _online(monkeypatch, git=False)
    monkeypatch.setattr(
        anthology.urllib.request, "urlopen", lambda *a, **k: Broken(b"\x1f\x8b" * 50)
    )
    with pytest.raises(SourceError, match=r"could not be downloaded.*timed out.*--anthology"):
        resolve_anthology("auto", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_non_gzip_answer_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _online(monkeypatch, git=False)
    page = b"<html>maintenance</html>"
    monkeypatch.setattr(anthology.urllib.request, "urlopen", lambda *a, **k: io.BytesIO(page))
    with pytest.raises(SourceError, match="did not return a gzip file"):
        resolve_anthology("auto", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_foreign_folder_or_file_in_the_data_place_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(anthology, "reachable_urls", _forbidden)
    _downloads_on(monkeypatch)
    cache = tmp_path / "acl-anthology"
    cache.mkdir()
    (cache / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(SourceError, match=r"holds no Anthology XML.*delete it"):
        resolve_anthology("auto", tmp_path)
    (cache / "notes.txt").unlink()
    cache.rmdir()
    cache.write_text("mine", encoding="utf-8")  # a file where the download would go
    with pytest.raises(SourceError, match=r"exists but holds no Anthology data.*delete it"):
        resolve_anthology("auto", tmp_path)
    assert cache.read_text(encoding="utf-8") == "mine"


def _forbidden(urls: list[str], _timeout: float | None = None) -> set[str]:
    raise AssertionError(f"no network expected, asked for {urls}")


def _downloads_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lift the test session's LANGGAP_OFFLINE / HF_HUB_OFFLINE (a download is under test)."""
    monkeypatch.delenv("LANGGAP_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


def _online(monkeypatch: pytest.MonkeyPatch, *, git: bool = True) -> None:
    _downloads_on(monkeypatch)
    monkeypatch.setattr(anthology, "reachable_urls", lambda urls, _timeout=None: set(urls))
    monkeypatch.setattr(anthology.shutil, "which", lambda name: "/usr/bin/git" if git else None)


def test_cli_resolves_auto_and_no_anthology_through_data_dir(
    anthology_fixture: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from typer.testing import CliRunner

    from langgap.cli import app

    monkeypatch.setattr(anthology, "reachable_urls", _forbidden)
    shutil.copytree(anthology_fixture, tmp_path / "data" / "acl-anthology")
    runner = CliRunner()
    for given in (["--anthology", "auto"], []):
        out = tmp_path / f"out{len(given)}"
        args = ["survey", "run", *given, "--data-dir", str(tmp_path / "data"),
                "--years", "2020-2024", "--out", str(out), "--no-report"]  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert (out / "stats.json").is_file()
    empty = ["survey", "run", "--data-dir", str(tmp_path / "none"), "--out", str(tmp_path / "o")]
    result = runner.invoke(app, empty)  # the session is offline: nothing to download
    assert result.exit_code == 2 and "downloads are off" in result.output
