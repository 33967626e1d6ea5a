"""Serve data sets from a local folder as a mirror: for machines without internet, and tests.

    python -m langgap.data.mirror /path/to/data --port 8765
    export LANGGAP_DATA_MIRROR=http://127.0.0.1:8765 HF_ENDPOINT=http://127.0.0.1:8765
    langgap data fetch all

Raw files answer at ``/{repo}/{revision}/{remote}`` (the raw.githubusercontent.com layout) and hub
files at ``/datasets/{repo}/resolve/{revision}/{remote}`` with the headers huggingface_hub reads
(``X-Repo-Commit``, ``ETag``); both honour ``Range`` so downloads resume. Hub data sets chosen by
pattern get the listing ``/api/datasets/{repo}/revision/{revision}``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

from langgap.data.registry import Dataset, datasets

COMMIT = "0" * 40  # what a mirror reports as the commit of every hub revision


def mirror_paths(folder: Path, table: Mapping[str, Dataset] | None = None) -> dict[str, Path]:
    """URL path -> local file for every registered file present under folder/<dataset folder>."""
    paths: dict[str, Path] = {}
    for dataset in (table or datasets()).values():
        source = dataset.source
        local = folder / dataset.folder
        if source.kind == "github":
            for spec in dataset.files:
                paths[f"/{source.repo}/{source.revision}/{spec.remote}"] = local / spec.path
        elif source.kind == "hf":
            for spec in dataset.files:
                paths[f"/datasets/{source.repo}/resolve/{source.revision}/{spec.remote}"] = (
                    local / spec.path
                )
            if source.patterns and local.is_dir():
                for file in sorted(p for p in local.iterdir() if p.is_file()):
                    if not file.name.startswith("."):
                        resolve = f"/datasets/{source.repo}/resolve/{source.revision}"
                        paths[f"{resolve}/{file.name}"] = file
    return {url: path for url, path in paths.items() if path.is_file()}


class MirrorServer:
    """A threaded HTTP server on loopback answering for `files` (URL path -> bytes or a file)."""

    def __init__(self, files: Mapping[str, Path | bytes], host: str = "127.0.0.1", port: int = 0):
        self.files = dict(files)
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Range header)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def body(self, path: str) -> bytes | None:
        item = self.files.get(path)
        if item is None:
            return None
        return item.read_bytes() if isinstance(item, Path) else item

    def __enter__(self) -> MirrorServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def listing(self, path: str) -> dict[str, object] | None:
        """The hub's revision listing for /api/datasets/{owner}/{name}/revision/{revision}."""
        parts = path.split("/")
        if len(parts) < 7 or parts[1:3] != ["api", "datasets"] or parts[5] != "revision":
            return None
        repo, revision = "/".join(parts[3:5]), "/".join(parts[6:])
        prefix = f"/datasets/{repo}/resolve/{revision}/"
        names = [key[len(prefix) :] for key in self.files if key.startswith(prefix)]
        return {"id": repo, "sha": COMMIT, "siblings": [{"rfilename": n} for n in sorted(names)]}

    def send(self, handler: BaseHTTPRequestHandler, body: bytes, head_only: bool) -> None:
        """Answer with body, or the part a Range header asks for."""
        wanted = handler.headers.get("Range")
        start = 0
        if wanted and wanted.startswith("bytes="):
            start = int(wanted[6:].split("-")[0] or 0)
        if start >= len(body) and start > 0:
            handler.send_response(416)
            handler.send_header("Content-Range", f"bytes */{len(body)}")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        chunk = body[start:]
        handler.send_response(206 if start else 200)
        if start:
            handler.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        handler.send_header("Content-Length", str(len(chunk)))
        handler.send_header("Accept-Ranges", "bytes")
        handler.send_header("ETag", f'"{hashlib.sha256(body).hexdigest()}"')
        handler.send_header("X-Repo-Commit", COMMIT)
        handler.end_headers()
        if not head_only:
            self.write(handler, chunk)

    def write(self, handler: BaseHTTPRequestHandler, chunk: bytes) -> None:
        """Send the body (tests override this to cut a connection short)."""
        handler.wfile.write(chunk)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms stalls

            def log_message(self, format: str, *args: object) -> None:
                return  # quiet: tests and benchmarks count requests instead

            def _answer(self, head_only: bool) -> None:
                path = unquote(urlsplit(self.path).path)
                with mirror._lock:
                    mirror.requests.append((self.command, path, self.headers.get("Range")))
                listing = mirror.listing(path)
                if listing is not None:
                    data = json.dumps(listing).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if not head_only:
                        self.wfile.write(data)
                    return
                body = mirror.body(path)
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                mirror.send(self, body, head_only)

            def do_GET(self) -> None:
                self._answer(head_only=False)

            def do_HEAD(self) -> None:
                self._answer(head_only=True)

        return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a data folder as a langgap data mirror.")
    parser.add_argument("folder", type=Path, help="A folder holding data sets (../shared/data)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    with MirrorServer(mirror_paths(args.folder), host=args.host, port=args.port) as server:
        print(f"serving {len(server.files)} files from {args.folder} at {server.url}", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
