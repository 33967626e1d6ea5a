"""Survey fixtures: the real SmolLM2 served on loopback by `transformers serve` (session-wide)."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator

import pytest

from langgap.models import LocalModelError, LocalServer, export_hf_folder, smollm2_gguf


@pytest.fixture(scope="session")
def smollm2_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """SmolLM2-135M-Instruct behind an OpenAI-compatible API; its SMOL_* variables are set."""
    for module in ("torch", "transformers", "fastapi", "uvicorn", "gguf"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(
                f"the local model test needs {module} (pip install 'transformers[serving]' torch)"
            )
    try:
        gguf = smollm2_gguf()
    except LocalModelError as exc:
        pytest.skip(str(exc))
    os.environ["HF_HUB_OFFLINE"] = "1"
    folder = export_hf_folder(gguf, tmp_path_factory.mktemp("models") / "smollm2-135m")
    with LocalServer(folder) as server:
        saved = {key: os.environ.get(key) for key in server.env}
        os.environ.update(server.env)
        try:
            yield server
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
