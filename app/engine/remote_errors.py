"""Why a remote call failed, in words a person can act on.

Backends turn their transport's exceptions into two shapes: ``HttpFailure`` (the server
answered with an error status) and ``NetworkFailure`` (no usable answer). This module maps
those onto ``ErrorKind`` and a message that says what to do next (replace the key, wait,
pick a vision model, send fewer images), keeping status and body in ``detail`` for the log,
so La Plateforme and OpenAI-compatible servers fail in the same words.

Every message and detail built here passes through ``app.core.secrets.redact``: an error body
is the server's text, and servers do echo the ``Authorization`` header or the key back
("invalid header Authorization: Bearer sk-…"). This is where those texts enter the app (the
message is stored with the answer in the history, exported, and logged), so this is where
keys are removed.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

from app.core.secrets import redact
from app.engine.base import EngineError, ErrorKind

AUTH = ErrorKind.AUTH
RATE_LIMITED = ErrorKind.RATE_LIMITED
NETWORK = ErrorKind.NETWORK
SERVER = ErrorKind.SERVER


class HttpFailure(Exception):
    """The server answered with an error status (before any token was streamed)."""

    def __init__(self, status: int, body: str = "", headers: Any = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body[:2000]
        self.retry_after = retry_after_s(headers or {})


class NetworkFailure(Exception):
    """No usable answer: ``offline``, ``timeout``, ``cut`` (mid-stream), ``too_large`` (see
    ``ReplyTooLarge``) or ``malformed`` (valid HTTP, but not a chat answer)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


class ReplyTooLarge(NetworkFailure):
    """The server sent more than an answer can be (an endless line, a flood): reading stopped.

    Raised from inside the HTTP byte stream (``reply_limits``), so it reaches the backends
    through the SDK's own reading code unchanged.
    """

    def __init__(self, limit_bytes: int, what: str = "reply") -> None:
        super().__init__("too_large", f"{what} over {limit_bytes} bytes")
        self.limit_bytes = limit_bytes


MALFORMED = "The server's reply is not an OpenAI-style chat answer."


def retry_after_s(headers: Any) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or HTTP date) or ``retry-after-ms``."""
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(float(ms) / 1000, 0.0)
        value = headers.get("retry-after")
    except AttributeError:
        return None
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(parsed.timestamp() - time.time(), 0.0) if parsed else None


def http_error(failure: HttpFailure, service: str, text: str = "", waited: str = "") -> EngineError:
    """A human message for an error status; ``detail`` keeps status and body for the log."""
    status, body = failure.status, failure.body
    if status in (401, 403):
        kind, message = (
            AUTH,
            (
                f"{service} refused the API key (HTTP {status}). "
                "Check or replace it in Settings → API keys."
            ),
        )
    elif status == 429:
        when = (
            ""
            if failure.retry_after is None
            else f" Try again in about {failure.retry_after:.0f} s."
        )
        kind, message = (
            RATE_LIMITED,
            (f"{service} is rate-limiting this key (HTTP 429){waited}.{when}"),
        )
    elif looks_like_no_vision(body):
        kind, message = (
            ErrorKind.BAD_INPUT,
            ("This model does not accept images. Pick a vision model, or remove the images."),
        )
    elif status == 413:
        kind, message = (
            ErrorKind.BAD_INPUT,
            (
                f"The request is too large for {service} (HTTP 413): send fewer or smaller images, "
                "or a shorter conversation."
            ),
        )
    elif status in (400, 422):
        kind, message = (
            ErrorKind.BAD_INPUT,
            (f"{service} rejected the request (HTTP {status}): {_short(body)}"),
        )
    elif status == 404:
        kind, message = (
            ErrorKind.BAD_INPUT,
            (f"{service} does not know this model or address (HTTP 404)."),
        )
    elif status >= 500:
        kind, message = (
            SERVER,
            (f"{service} had a problem on its side (HTTP {status}). Try again in a moment."),
        )
    else:
        kind, message = ErrorKind.INTERNAL, f"{service} answered HTTP {status}: {_short(body)}"
    return engine_error(kind, message, text, f"HTTP {status}: {body}")


def network_error(failure: NetworkFailure, service: str, text: str = "") -> EngineError:
    """A human message for a lost connection; ``text`` is whatever had streamed before it."""
    messages = {
        "offline": f"Cannot reach {service}: check the network connection and the address.",
        "timeout": f"{service} did not answer in time. Try again, or raise the timeout.",
        "cut": f"The connection to {service} was cut before the answer finished; the part "
        "received is kept.",
    }
    message = messages.get(failure.reason, f"Network problem talking to {service}.")
    kind = NETWORK
    if isinstance(failure, ReplyTooLarge):
        kind, message = SERVER, too_large_message(failure.limit_bytes)
    elif failure.reason == "malformed":
        kind, message = SERVER, f"{MALFORMED[:-1]} ({service})."
    return engine_error(kind, message, text, f"{failure.reason}: {failure.detail}")


def too_large_message(limit_bytes: int) -> str:
    megabytes = max(round(limit_bytes / (1024 * 1024)), 1)
    return f"The server sent a reply too large to be an answer (over {megabytes} MB); stopped."


def unexpected_error(exc: BaseException, text: str = "") -> EngineError:
    """Anything a backend did not foresee, still without a key in its words."""
    return engine_error(ErrorKind.INTERNAL, f"Unexpected error: {exc}", text, repr(exc))


def engine_error(kind: ErrorKind, message: str, text: str = "", detail: str = "") -> EngineError:
    """The one way remote failures become ``EngineError``: message and detail redacted.

    ``text`` (what the model had written) is the answer itself and is kept as it came.
    """
    return EngineError(kind, redact(message), text, redact(detail))


def looks_like_no_vision(body: str) -> bool:
    """Whether an error body says the model cannot read images (servers word it variously)."""
    low = body.lower()
    return "image" in low and any(
        phrase in low
        for phrase in ("not support", "does not accept", "no vision", "multimodal", "not enabled")
    )


def _short(body: str) -> str:
    return " ".join(body.split())[:300] or "no details given"


class RemoteError(Exception):
    """A non-streaming call (model list, key test) failed; ``error`` says why for people."""

    def __init__(self, error: EngineError) -> None:
        super().__init__(error.message)
        self.error = error
