"""One device rule and one dtype option for every analyze command that loads a model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from langgap.analyze.common.models import DeviceError, resolve_device, resolve_dtype
from langgap.cli import app

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
runner = CliRunner()
COMMANDS = {
    "directions": [],
    "intervene": [],
    "influence": ["--model", "smollm2", "--out", "x", "--query-languages", "eng",
                  "--train-languages", "eng"],
    "transfer": ["--train-languages", "en"],
    "compare": ["--before", "smollm2", "--after", "smollm2", "--out", "x"],
}  # fmt: skip


@pytest.fixture
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


def test_auto_is_cuda_when_available_else_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == resolve_device(None) == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda"
    assert resolve_device("CPU") == "cpu"


@pytest.mark.usefixtures("no_gpu")
def test_unavailable_devices_are_one_line_errors() -> None:
    for name in ("cuda", "cuda:1", "mps", "tpu"):
        with pytest.raises(DeviceError) as found:
            resolve_device(name)
        assert "\n" not in str(found.value) and "--device" in str(found.value)
    with pytest.raises(DeviceError, match="Fix: --device cpu or --device auto"):
        resolve_device("cuda")


def test_dtypes() -> None:
    assert resolve_dtype("float32", "cpu") is torch.float32
    assert resolve_dtype("bfloat16", "cpu") is torch.bfloat16
    assert resolve_dtype("float16", "cpu") is torch.float16
    assert resolve_dtype("auto", "cpu") is torch.float32
    with pytest.raises(DeviceError, match="float32, bfloat16, float16, auto"):
        resolve_dtype("float8", "cpu")


@pytest.mark.usefixtures("no_gpu")
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_refuses_an_unavailable_device_in_one_line(command: str) -> None:
    result = runner.invoke(app, ["analyze", command, *COMMANDS[command], "--device", "cuda"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: --device cuda:") and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    bad = runner.invoke(app, ["analyze", command, *COMMANDS[command], "--dtype", "float8"])
    assert bad.exit_code == 2 and "error: --dtype 'float8'" in bad.output


@pytest.mark.slow  # loads PolyRefuse and runs a model: ~15 s on a busy 2-core machine
def test_directions_records_device_and_dtype(
    tmp_path: Path, tiny_model: Any, tiny_tokenizer: Any
) -> None:
    if not (SHARED_DATA / "polyrefuse").is_dir():
        pytest.skip(f"PolyRefuse not found at {SHARED_DATA / 'polyrefuse'} (../shared/data absent)")
    folder = tmp_path / "tiny"
    tiny_model.save_pretrained(folder)
    tiny_tokenizer.save_pretrained(folder)
    out = tmp_path / "out"
    args = ["analyze", "directions", "-m", str(folder), "--languages", "de", "--n-per-class",
            "2", "--layers", "1", "--dtype", "bfloat16", "--data-dir", str(SHARED_DATA),
            "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    settings = json.loads((out / "config.json").read_text(encoding="utf-8"))["settings"]
    assert settings["dtype"] == "bfloat16"
    assert settings["device"] == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.parametrize("command", [*sorted(COMMANDS), "refusal-model"])
def test_missing_data_fails_before_any_model_loads(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No PolyRefuse anywhere (downloads off): one line naming it, and no weights read first."""
    import langgap.analyze.common.models as models

    def no_model(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a model was loaded before the data set was found")

    monkeypatch.setattr(models, "load_model", no_model)
    monkeypatch.setattr(models, "resolve", no_model)
    monkeypatch.setenv("LANGGAP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LANGGAP_OFFLINE", "1")
    result = runner.invoke(app, ["analyze", command, *COMMANDS.get(command, [])])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: PolyRefuse (polyrefuse) is not in"), result.output
    assert len(result.output.strip().splitlines()) == 1
