"""`langgap data list | fetch | where | verify` as a user runs them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from langgap.data import user_data_dir
from langgap.data.cli import app
from langgap.data.mirror import MirrorServer
from langgap.data.registry import Dataset

from .conftest import point_at

runner = CliRunner()


def test_fetch_where_verify_and_a_tampered_file(mirror: MirrorServer) -> None:
    target = user_data_dir() / "tinyraw"
    where = runner.invoke(app, ["where", "tinyraw"])
    assert where.exit_code == 0 and where.stdout.strip() == str(target)
    assert "not downloaded yet" in where.stderr
    fetched = runner.invoke(app, ["fetch", "all"])
    assert fetched.exit_code == 0, fetched.output
    assert f"tinyraw: {target}" in fetched.stdout
    verified = runner.invoke(app, ["verify"])
    assert verified.exit_code == 0
    assert "tinyraw: ok: 2/2 files verified" in verified.stdout
    (target / "a.csv").write_text("id,text\n1,changed\n")
    broken = runner.invoke(app, ["verify", "tinyraw"])
    assert broken.exit_code == 1
    assert "a.csv: mismatch: SHA-256" in broken.stderr


def test_verify_with_nothing_here_says_so(tiny: dict[str, Dataset], online: Path) -> None:
    result = runner.invoke(app, ["verify"])
    assert result.exit_code == 0
    assert result.stdout.startswith("no data set is here to verify; searched: ")
    assert str(user_data_dir()) in result.stdout


def test_offline_fetch_is_one_line_without_traceback(
    tiny: dict[str, Dataset], online: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at("http://127.0.0.1:9", monkeypatch)
    result = runner.invoke(app, ["fetch", "tinyraw"])
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert "Traceback" not in result.output
    assert "http://127.0.0.1:9/owner/raw/abc123/data/a.csv" in line
    assert "langgap data verify tinyraw" in line


def test_a_bad_connect_timeout_is_one_line_before_any_probe(
    tiny: dict[str, Dataset], online: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at("http://127.0.0.1:9", monkeypatch)
    monkeypatch.setenv("LANGGAP_CONNECT_TIMEOUT", "soon")
    result = runner.invoke(app, ["fetch", "tinyraw"])
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert "LANGGAP_CONNECT_TIMEOUT='soon' is not a number of seconds" in line


def test_unknown_name_lists_the_known_ones(tiny: dict[str, Dataset]) -> None:
    result = runner.invoke(app, ["fetch", "multijial"])
    assert result.exit_code == 2
    assert "unknown data set 'multijial': use one of tinyraw, tinyhub" in result.stderr


def test_the_registry_names_every_loader_folder() -> None:
    """Every folder a loader reads has a registry entry with a source, licence and citation."""
    from langgap.data import datasets

    table = datasets()
    folders = {d.folder for d in table.values()}
    assert folders >= {"multijail", "xsafety", "csrt", "polyrefuse", "do-not-answer", "rtp-lx",
                       "xstest", "square", "polyguard-prompts", "msts",
                       "acl-anthology"}  # fmt: skip
    for dataset in table.values():
        assert dataset.licence and dataset.citation and dataset.source.repo
        if dataset.source.kind == "github":
            assert dataset.files, dataset.name
        for spec in dataset.files:
            assert spec.sha256 is None or len(spec.sha256) == 64
        if dataset.checksums == "shared-copy":
            assert all(spec.sha256 for spec in dataset.files), dataset.name


def test_list_name_keeps_each_url_on_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """Piped (80 columns), a described data set's long URLs are not split across lines."""
    from langgap.data import entry

    monkeypatch.setenv("COLUMNS", "80")
    described = runner.invoke(app, ["list", "polyrefuse"])
    assert described.exit_code == 0, described.output
    dataset = entry("polyrefuse")
    lines = described.stdout.splitlines()
    for spec in dataset.files:
        assert any(line.endswith(dataset.url(spec)) for line in lines), dataset.url(spec)


def test_every_unpinned_or_manual_source_carries_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    """A source at a branch, a living one or a manual one says so in `langgap data list NAME`."""
    from langgap.data import datasets

    monkeypatch.setenv("COLUMNS", "200")
    for dataset in datasets().values():
        pinned = re.fullmatch(r"[0-9a-f]{40}", dataset.source.revision) is not None
        if pinned and dataset.fetchable:
            continue
        assert dataset.note, f"{dataset.name}: unpinned ({dataset.source.revision}) or manual"
        described = runner.invoke(app, ["list", dataset.name])
        assert f"  note: {dataset.note}" in described.stdout


def test_fetch_all_offline_probes_each_server_once(
    tiny: dict[str, Dataset], online: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dropped packets: three data sets on one server wait for it once, not once each."""
    import dataclasses
    import time

    from langgap.data import network

    tiny["tinyraw2"] = dataclasses.replace(tiny["tinyraw"], name="tinyraw2", folder="tinyraw2")
    point_at("http://127.0.0.1:9", monkeypatch)
    monkeypatch.setenv("LANGGAP_CONNECT_TIMEOUT", "0.5")
    probed: list[tuple[str, int]] = []

    def dropped(address: tuple[str, int], **_: object) -> None:
        probed.append(address)
        time.sleep(5)
        raise OSError("no answer")

    monkeypatch.setattr(network.socket, "create_connection", dropped)
    clock = time.monotonic()
    result = runner.invoke(app, ["fetch", "all"])
    assert time.monotonic() - clock < 1.4  # one wait of 0.5 s, not three (1.5 s)
    assert result.exit_code == 1
    assert result.stderr.count("no answer within 0.5 s") == 3, result.stderr
    assert probed == [("127.0.0.1", 9)]
