"""A ceiling on what is read from any server: SSE lines, whole replies, error bodies.

Why at the byte stream: both the ``mistralai`` SDK and httpx's ``iter_lines`` buffer until they
see a line end, so a server that sends one endless line (or a 50 MB one) grows the app's memory
without bound, and a JSON body is read whole before it is parsed. Neither offers a limit. Every
remote request goes through an ``httpx.Client`` made by ``capped_client``, whose response hook
replaces the response's byte stream with ``CappedStream`` before anything reads it — for the
SDK's event parser, for httpx's line decoder, for ``response.json()`` alike, and whichever
transport (proxy, mount) carried the bytes. Going over a limit raises ``ReplyTooLarge`` from
inside the read, which ends the turn with one clear message and closes the connection.

Compression: requests ask for ``identity``; a server that compresses anyway is inflated here in
bounded steps (a 1 kB gzip bomb would otherwise expand to megabytes inside httpx's decoder in
one go), so the limits count the bytes the parsers actually receive.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from app.core.secrets import redact_known
from app.engine.remote_errors import NetworkFailure, ReplyTooLarge

try:
    import httpx2 as httpx
except ImportError:  # pragma: no cover - environments with plain httpx
    import httpx  # type: ignore[no-redef]

MB = 1024 * 1024


@dataclass(frozen=True)
class ReplyLimits:
    """How much one response may carry.

    ``line_bytes`` bounds an SSE line (one event's JSON: a real one is under a kilobyte, a whole
    128K-token answer sent as one event under one MB; and the ``mistralai`` SDK looks at a line's
    bytes one by one in Python, ~0.2 s per MB, so this is also how long an endless line takes);
    ``reply_bytes`` a whole successful reply (a 128K-token answer streams ~40 MB of events);
    ``error_bytes`` an error body (we keep 2,000 characters of it).
    """

    line_bytes: int = 4 * MB
    reply_bytes: int = 64 * MB
    error_bytes: int = 1 * MB


DEFAULT_LIMITS = ReplyLimits()
_INFLATE_STEP = 256 * 1024


class CappedStream(httpx.SyncByteStream):
    """A response body that raises ``ReplyTooLarge`` once it goes over its limits."""

    def __init__(self, inner: Any, total: int, line: int | None, encoding: str = "") -> None:
        self._inner = inner
        self._total = total
        self._line = line
        self._encoding = encoding

    def __iter__(self) -> Iterator[bytes]:
        seen = 0
        run = 0  # bytes since the last line end
        for chunk in self._decoded():
            seen += len(chunk)
            if seen > self._total:
                raise ReplyTooLarge(self._total, "reply")
            if self._line is not None:
                end = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
                run = run + len(chunk) if end < 0 else len(chunk) - end - 1
                if run > self._line:
                    raise ReplyTooLarge(self._line, "line")
            yield chunk

    def _decoded(self) -> Iterator[bytes]:
        if not self._encoding:
            yield from self._inner
            return
        # 32 + MAX_WBITS reads both gzip and zlib headers; max_length keeps each step small.
        inflater = zlib.decompressobj(32 + zlib.MAX_WBITS)
        try:
            for raw in self._inner:
                data = raw
                while data:
                    out = inflater.decompress(data, _INFLATE_STEP)
                    data = inflater.unconsumed_tail
                    if out:
                        yield out
            tail = inflater.flush()
        except zlib.error as exc:
            raise NetworkFailure("cut", f"undecodable {self._encoding} body: {exc}") from exc
        if tail:
            yield tail

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


def _ask_for_identity(request: httpx.Request) -> None:
    request.headers["accept-encoding"] = "identity"


def cap_response(response: httpx.Response, limits: ReplyLimits = DEFAULT_LIMITS) -> None:
    """Put ``response``'s body behind the limits (called before anything reads it)."""
    ok = response.status_code < 400
    streaming = "text/event-stream" in response.headers.get("content-type", "").lower()
    encoding = response.headers.get("content-encoding", "").strip().lower()
    inflate = encoding in ("gzip", "x-gzip", "deflate")
    if inflate:
        del response.headers["content-encoding"]  # httpx must not decode a second time
    response.stream = CappedStream(
        response.stream,
        limits.reply_bytes if ok else limits.error_bytes,
        limits.line_bytes if streaming else None,
        encoding if inflate else "",
    )


def capped_client(limits: ReplyLimits = DEFAULT_LIMITS, **client_args: Any) -> httpx.Client:
    """An ``httpx.Client`` whose every response is read within ``limits``."""
    return httpx.Client(
        event_hooks={
            "request": [_ask_for_identity],
            "response": [lambda response: cap_response(response, limits)],
        },
        **client_args,
    )


MAX_LISTED_MODELS = 500
"""Model ids a ``/models`` answer may put in the window's pickers (La Plateforme lists ~60)."""
MAX_MODEL_ID_CHARS = 200


def listable_model_id(value: object) -> bool:
    """Whether a server's model id may be shown and picked: a string of 1 to
    ``MAX_MODEL_ID_CHARS`` printable characters that carries no piece of a remembered secret.

    A picker shows ids verbatim and sends the one chosen back, so an id cannot be redacted like
    an error text: one that quotes the API key (a hostile or echoing server) is left out, as is
    one with line breaks or control characters, or one long enough to stretch the window."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_MODEL_ID_CHARS
        and value.isprintable()
        and redact_known(value) == value
    )


def listed_model_ids(values: Iterable[object]) -> list[str]:
    """The listable ids among ``values``, each once, in order, at most ``MAX_LISTED_MODELS``."""
    listed: dict[str, None] = {}
    for value in values:
        if listable_model_id(value):
            listed[value] = None  # type: ignore[index]
            if len(listed) >= MAX_LISTED_MODELS:
                break
    return list(listed)
