"""Loopback servers speaking the chat-completions SSE wire format, scriptable per request.

One ``FakeChatServer`` plays La Plateforme (``/v1/chat/completions``, ``/v1/models`` with
``capabilities.vision``) or an OpenAI-compatible server (usage in a separate chunk with empty
``choices``, as OpenAI sends with ``stream_options.include_usage``). Each request takes the next
scripted ``Reply`` (or the default one) and is recorded, so tests can check what was sent.
Only 127.0.0.1 on an ephemeral port; responses use chunked transfer encoding so a cut
connection is a real protocol error for the client, as on the internet.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """What the server does for one request.

    ``status`` ≠ 200 sends ``body`` (JSON) with ``headers``; otherwise ``tokens`` are streamed
    with ``delay_s`` between them. ``cut_after`` closes the socket after that many tokens
    (mid-chunk); ``stall_s`` waits before the first byte of the body. ``raw`` replaces all of
    that (for any request, with any ``status``): the body is whatever bytes it yields, sent as
    ``content_type`` in chunks until it ends or the client hangs up — endless lines, floods,
    JSON of other shapes.
    """

    status: int = 200
    tokens: tuple[str, ...] = ("Hello", ", ", "world", ".")
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    cut_after: int | None = None
    stall_s: float = 0.0
    finish_reason: str = "stop"
    prompt_tokens: int = 42
    raw: Callable[[], Iterable[bytes]] | None = None
    content_type: str = "text/event-stream"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


DEFAULT_MODELS = (
    {"id": "pixtral-large-latest", "vision": True, "max_context_length": 131072},
    {"id": "mistral-small-latest", "vision": True, "max_context_length": 131072},
    {"id": "codestral-latest", "vision": False, "max_context_length": 32768},
)


SLOW_S = 30.0
"""A server delay no cancel test waits out: a turn that ends well before it was cancelled."""


def cancel_once_asked(fake: FakeChatServer, backend: Any) -> threading.Thread:
    """Cancel ``backend`` from another thread as soon as ``fake`` holds a chat request (it is
    then stalling, between tokens or rate-limiting): the moment comes from an event, not a
    guessed delay that a busy machine may overshoot."""

    def cancel_when_asked() -> None:
        deadline = time.monotonic() + SLOW_S
        while not fake.chat_requests() and time.monotonic() < deadline:
            time.sleep(0.005)
        backend.cancel()

    thread = threading.Thread(target=cancel_when_asked, daemon=True)
    thread.start()
    return thread


class FakeChatServer:
    """A threaded HTTP server on 127.0.0.1; use as a context manager."""

    def __init__(self, flavour: str = "mistral", models: tuple[dict, ...] = DEFAULT_MODELS):
        self.flavour = flavour
        self.models = models
        self.replies: deque[Reply] = deque()
        self.default = Reply()
        self.requests: list[Received] = []
        self.raw_bytes_sent = 0
        self.disconnected = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        # A client that hangs up (cancel, timeout) is expected here, not worth a traceback.
        self._server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests if r.path.endswith("/chat/completions")]

    def __enter__(self) -> FakeChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def next_reply(self) -> Reply:
        return self.replies.popleft() if self.replies else self.default


def free_port() -> int:
    """A loopback port nothing listens on (for 'connection refused' tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _handler(fake: FakeChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def do_GET(self) -> None:
            self._record(None)
            if self.path.rstrip("/").endswith("/models"):
                reply = fake.next_reply() if fake.replies else Reply()
                if reply.raw is not None:
                    return self._raw(reply)
                if reply.status != 200:
                    return self._error(reply)
                return self._json(200, {"object": "list", "data": self._model_cards()})
            self._json(404, {"message": "not found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            body = json.loads(self.rfile.read(length) or b"null")
            self._record(body)
            if not self.path.endswith("/chat/completions"):
                return self._json(404, {"message": "not found"})
            reply = fake.next_reply()
            if reply.raw is not None:
                return self._raw(reply)
            if reply.status != 200:
                return self._error(reply)
            self._stream(reply, body or {})

        def _record(self, body: Any) -> None:
            fake.requests.append(
                Received(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
            )

        def _model_cards(self) -> list[dict[str, Any]]:
            cards = []
            for m in fake.models:
                caps = {"completion_chat": True, "vision": m["vision"]}
                cards.append(
                    {
                        "id": m["id"],
                        "object": "model",
                        "created": 1700000000,
                        "owned_by": "mistralai",
                        "type": "base",
                        "max_context_length": m.get("max_context_length", 32768),
                        "aliases": [],
                        "capabilities": caps,
                    }
                )
            return cards

        def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _error(self, reply: Reply) -> None:
            body = reply.body if reply.body is not None else {"message": f"error {reply.status}"}
            self._json(reply.status, body, reply.headers)

        def _stream(self, reply: Reply, request: dict[str, Any]) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("transfer-encoding", "chunked")
            self.send_header("cache-control", "no-cache")
            self.end_headers()
            if reply.stall_s:
                time.sleep(reply.stall_s)
            model = request.get("model", "?")
            try:
                for i, token in enumerate(reply.tokens):
                    if reply.cut_after is not None and i >= reply.cut_after:
                        # Half a chunk, then a hard close: the client sees an incomplete body.
                        self.wfile.write(b'40\r\ndata: {"trunc')
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    delta = {"content": token}
                    if i == 0:
                        delta["role"] = "assistant"
                    self._event(_chunk(model, delta, None))
                    if reply.delay_s:
                        time.sleep(reply.delay_s)
                usage = {
                    "prompt_tokens": reply.prompt_tokens,
                    "completion_tokens": len(reply.tokens),
                    "total_tokens": reply.prompt_tokens + len(reply.tokens),
                }
                if fake.flavour == "openai":
                    self._event(_chunk(model, {}, reply.finish_reason))
                    if (request.get("stream_options") or {}).get("include_usage"):
                        self._event({**_chunk(model, {}, None), "choices": [], "usage": usage})
                else:
                    self._event({**_chunk(model, {}, reply.finish_reason), "usage": usage})
                self._send(b"data: [DONE]\n\n")
                self._send(b"")
            except (BrokenPipeError, ConnectionResetError, OSError):
                fake.disconnected.set()

        def _raw(self, reply: Reply) -> None:
            assert reply.raw is not None
            self.send_response(reply.status)
            self.send_header("content-type", reply.content_type)
            self.send_header("transfer-encoding", "chunked")
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            try:
                for data in reply.raw():
                    if data:
                        self._send(data)
                        fake.raw_bytes_sent += len(data)
                self._send(b"")
            except (BrokenPipeError, ConnectionResetError, OSError):
                fake.disconnected.set()

        def _event(self, payload: dict[str, Any]) -> None:
            self._send(b"data: " + json.dumps(payload).encode() + b"\n\n")

        def _send(self, data: bytes) -> None:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    return Handler


def _chunk(model: str, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "cmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


# -- helpers shared by the remote backend tests ---------------------------------------------


def collect(events: Any) -> list[Any]:
    return list(events)


def solid_image(width: int, height: int, color: tuple[int, int, int] = (200, 40, 40), name=""):
    """A PreparedImage of one colour (plus a marker pixel so images differ by colour)."""
    import io

    from PIL import Image

    from app.core.images import prepare_image

    img = Image.new("RGB", (width, height), color)
    img.putpixel((0, 0), (color[2], color[0], color[1]))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return prepare_image(out.getvalue(), name=name or f"img-{color[0]}-{color[1]}-{color[2]}.png")


def noisy_image(width: int, height: int, seed: int = 1):
    """A PreparedImage of random pixels: PNG cannot compress it, for the size-limit tests."""
    import io
    import random

    from PIL import Image

    from app.core.images import prepare_image

    rng = random.Random(seed)
    img = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return prepare_image(out.getvalue(), name="noise.png")


def sent_images(body: dict[str, Any]) -> list[str]:
    """The data URIs of every image in a recorded chat request, in order."""
    return [
        part["image_url"]["url"] if isinstance(part["image_url"], dict) else part["image_url"]
        for message in body["messages"]
        if isinstance(message["content"], list)
        for part in message["content"]
        if part.get("type") == "image_url"
    ]


def decode_uri(uri: str) -> tuple[str, tuple[int, int], bytes]:
    """(mime, size, RGB pixels) of a data URI, decoded as the server would."""
    import base64
    import io

    from PIL import Image

    head, data = uri.split(",", 1)
    img = Image.open(io.BytesIO(base64.b64decode(data)))
    return head[5:].split(";")[0], img.size, img.convert("RGB").tobytes()
