"""A loopback server that answers like the Hugging Face Hub's ``resolve`` endpoint.

It speaks what huggingface_hub's ``get_hf_file_metadata`` and ``http_get`` rely on: HEAD and
GET ``/{org}/{repo}/resolve/{revision}/{filename}`` with ``X-Repo-Commit``, ``ETag`` (the sha256,
as for LFS files), ``Content-Length``, ``Range`` → 206 + ``Content-Range``, and the Hub's error
answers (``X-Error-Code: GatedRepo`` with 403, ``RepoNotFound`` with 401, ``EntryNotFound``
with 404). It can cut a response after N bytes to simulate a lost connection.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMMIT = "c0ffee" + "0" * 34
_PATH = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")


@dataclass
class FakeHub:
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (repo, name) → data
    errors: dict[str, tuple[int, str]] = field(default_factory=dict)  # name → (status, code)
    etags: dict[str, str] = field(default_factory=dict)  # name → a wrong sha256, for tests
    cut_after: dict[str, int] = field(default_factory=dict)  # name → bytes, once per entry
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path, Range
    delay_s: float = 0.0
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, repo: str, name: str, data: bytes) -> str:
        self.files[(repo, name)] = data
        return hashlib.sha256(data).hexdigest()

    def start(self) -> FakeHub:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self._serve(body=False)

            def do_GET(self) -> None:
                with contextlib.suppress(ConnectionError):  # the client cancelled mid-body
                    self._serve(body=True)

            def _serve(self, body: bool) -> None:
                hub.requests.append((self.command, self.path, self.headers.get("Range")))
                match = _PATH.match(self.path)
                if not match:
                    return self._error(404, "RepoNotFound")
                repo, name = match["repo"], match["file"]
                if name in hub.errors:
                    return self._error(*hub.errors[name])
                data = hub.files.get((repo, name))
                if data is None:
                    return self._error(404, "EntryNotFound")
                start = 0
                rng = self.headers.get("Range")
                if rng and (m := re.match(r"bytes=(\d+)-", rng)):
                    start = int(m[1])
                self.send_response(206 if start else 200)
                self.send_header("X-Repo-Commit", COMMIT)
                etag = hub.etags.get(name) or hashlib.sha256(data).hexdigest()
                self.send_header("ETag", f'"{etag}"')
                self.send_header("Content-Length", str(len(data) - start))
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                if not body:
                    return None
                chunk = data[start:]
                cut = hub.cut_after.pop(name, None)
                if cut is not None:
                    self.wfile.write(chunk[:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return None
                for i in range(0, len(chunk), 16 * 1024):
                    self.wfile.write(chunk[i : i + 16 * 1024])
                    if hub.delay_s:
                        threading.Event().wait(hub.delay_s)
                return None

            def _error(self, status: int, code: str) -> None:
                self.send_response(status)
                self.send_header("X-Error-Code", code)
                self.send_header("X-Error-Message", code)
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
