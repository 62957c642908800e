"""What La Plateforme and OpenAI-compatible servers share: payload, limits, errors, streaming.

Both speak the chat-completions wire format, so the conversation → messages conversion, the
image limits, the error wording and the cancel-aware streaming loop live here once; each
backend only opens its stream (the ``mistralai`` SDK, or httpx for other servers) and turns
its transport errors into ``HttpFailure`` / ``NetworkFailure``.

Cancel: the blocking read runs in a pump thread that owns the stream's ``with`` block; the
caller waits on a queue in 50 ms slices, so ``cancel()`` from any thread ends the turn within
300 ms even when the server sends nothing, and the pump leaves the ``with`` block (closing the
HTTP response) as soon as its read returns or the response is closed under it.
"""

from __future__ import annotations

import base64
import email.utils
import io
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from app.core.conversation import ImagePart, Message, MessageStatus, Role, TextPart
from app.core.images import PreparedImage
from app.engine.base import (
    EngineError,
    EngineEvent,
    ErrorKind,
    Finished,
    FinishReason,
    GenerationRequest,
    Token,
    Usage,
)

MAX_IMAGES_PER_REQUEST = 8  # La Plateforme's limit (DESIGN §4)
MAX_IMAGE_BYTES = 10 * 1024 * 1024  # 10 MB per image, counted on the encoded file
POLL_S = 0.05  # cancel latency bound of the consumer loop

NoticeSink = Callable[[str], None]


def error_kind(name: str, fallback: ErrorKind) -> ErrorKind:
    """``ErrorKind.<name>`` once base.py has it (see issue 6), else the closest existing kind."""
    return getattr(ErrorKind, name, fallback)


AUTH = error_kind("AUTH", ErrorKind.BAD_INPUT)
RATE_LIMITED = error_kind("RATE_LIMITED", ErrorKind.INTERNAL)
NETWORK = error_kind("NETWORK", ErrorKind.INTERNAL)
SERVER = error_kind("SERVER", ErrorKind.INTERNAL)


class HttpFailure(Exception):
    """The server answered with an error status (before any token was streamed)."""

    def __init__(self, status: int, body: str = "", headers: Any = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body[:2000]
        self.retry_after = retry_after_s(headers or {})


class NetworkFailure(Exception):
    """No usable answer from the network: ``offline``, ``timeout`` or ``cut`` (mid-stream)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Chunk:
    """One decoded stream event: some text, maybe a finish reason, maybe the usage counters."""

    text: str = ""
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int = 0


@dataclass
class Payload:
    """The request as sent: wire messages, the images they carry, and notices for the user."""

    messages: list[dict[str, Any]]
    images: list[PreparedImage] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


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


def image_data_uri(image: PreparedImage, max_bytes: int = MAX_IMAGE_BYTES) -> tuple[str, str]:
    """A data URI for ``image`` under ``max_bytes``, and a notice when it had to shrink.

    PNG keeps the prepared pixels exactly; only when that is too big do we fall back to JPEG
    and then to halving the size, because the API rejects the whole request otherwise.
    """
    png = image.to_png()
    if len(png) <= max_bytes:
        return "data:image/png;base64," + base64.b64encode(png).decode("ascii"), ""
    img = Image.frombytes("RGB", image.size, image.rgb)
    for _ in range(8):
        for quality in (90, 75, 60):
            out = io.BytesIO()
            img.save(out, format="JPEG", quality=quality)
            if out.tell() <= max_bytes:
                notice = (
                    f"'{image.name}' was re-encoded as JPEG at {img.width}×{img.height} "
                    f"(quality {quality}) to stay under the {max_bytes // 1_000_000 or 1} MB "
                    "per-image limit."
                )
                data = base64.b64encode(out.getvalue()).decode("ascii")
                return "data:image/jpeg;base64," + data, notice
        img = img.resize((max(img.width // 2, 1), max(img.height // 2, 1)))
    raise ValueError(f"'{image.name}' cannot be made small enough to send.")


def build_payload(
    request: GenerationRequest,
    max_images: int | None = MAX_IMAGES_PER_REQUEST,
    max_image_bytes: int | None = MAX_IMAGE_BYTES,
) -> Payload:
    """The whole conversation as chat-completions messages, within the image limits.

    Remote backends keep no state between turns, so every request replays the full history
    (which also makes switching from the local engine mid-conversation exact). With more than
    ``max_images`` images in the history, the most recent ones are sent and each older one is
    replaced by a short text placeholder, so the model knows an image stood there. Raises
    ``ValueError`` when the last message alone has more images than one request may carry.
    """
    messages = [m for m in request.messages if _worth_sending(m)]
    all_images = [img for m in messages for img in m.images]
    if max_images is not None and messages and len(messages[-1].images) > max_images:
        raise ValueError(
            f"This message has {len(messages[-1].images)} images; one request may carry at most "
            f"{max_images}. Remove some, or send them over several messages."
        )
    dropped = len(all_images) - max_images if max_images is not None else 0
    dropped = max(dropped, 0)
    payload = Payload(messages=[])
    if request.system_prompt:
        payload.messages.append({"role": "system", "content": request.system_prompt})
    seen = 0
    for message in messages:
        content: list[dict[str, Any]] = []
        for part in message.parts:
            if isinstance(part, TextPart):
                if part.text:
                    content.append({"type": "text", "text": part.text})
            elif isinstance(part, ImagePart):
                seen += 1
                if seen <= dropped:
                    content.append(
                        {"type": "text", "text": f"[earlier image '{part.image.name}' omitted]"}
                    )
                    continue
                limit = max_image_bytes if max_image_bytes is not None else 1 << 62
                uri, notice = image_data_uri(part.image, limit)
                if notice:
                    payload.notices.append(notice)
                payload.images.append(part.image)
                content.append({"type": "image_url", "image_url": {"url": uri}})
        _append(payload.messages, message.role, content)
    if dropped:
        payload.notices.insert(
            0,
            f"This conversation has {len(all_images)} images but one request may carry "
            f"{max_images}: the {max_images} most recent were sent, the {dropped} older ones "
            "were replaced by a placeholder.",
        )
    return payload


def _worth_sending(message: Message) -> bool:
    # A failed reply with no text says nothing to the model; a stopped one keeps its words.
    return bool(message.parts) and not (
        message.role is Role.ASSISTANT
        and message.status is MessageStatus.FAILED
        and not message.text
    )


def _append(out: list[dict[str, Any]], role: Role, content: list[dict[str, Any]]) -> None:
    """Add a turn, merging same-role neighbours (the API expects user/assistant alternation)."""
    if role is Role.ASSISTANT:
        text = "".join(c.get("text", "") for c in content).rstrip()
        if out and out[-1]["role"] == "assistant":
            out[-1]["content"] += "\n\n" + text
        else:
            out.append({"role": "assistant", "content": text})
        return
    if out and out[-1]["role"] == "user":
        out[-1]["content"].extend(content)
    else:
        out.append({"role": "user", "content": content})


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
    return EngineError(kind, message, text, f"HTTP {status}: {body}")


def network_error(failure: NetworkFailure, service: str, text: str = "") -> EngineError:
    messages = {
        "offline": f"Cannot reach {service}: check the network connection and the address.",
        "timeout": f"{service} did not answer in time. Try again, or raise the timeout.",
        "cut": f"The connection to {service} was cut before the answer finished; the part "
        "received is kept.",
    }
    message = messages.get(failure.reason, f"Network problem talking to {service}.")
    return EngineError(NETWORK, message, text, f"{failure.reason}: {failure.detail}")


def looks_like_no_vision(body: str) -> bool:
    low = body.lower()
    return "image" in low and any(
        phrase in low
        for phrase in ("not support", "does not accept", "no vision", "multimodal", "not enabled")
    )


def _short(body: str) -> str:
    return " ".join(body.split())[:300] or "no details given"


StreamOpener = Callable[[], AbstractContextManager[Iterator[Chunk]]]


class RemoteTurn:
    """One streamed turn: retries on 429, pumps chunks, times them, builds Usage/Finished."""

    def __init__(
        self,
        *,
        service: str,
        backend: str,
        device: str,
        n_ctx: int,
        cancelled: threading.Event,
        notify: NoticeSink,
        max_retries: int = 3,
        max_wait_s: float = 60.0,
        classify: Callable[[BaseException], Exception],
    ) -> None:
        self.service, self.backend, self.device, self.n_ctx = service, backend, device, n_ctx
        self.cancelled = cancelled
        self.notify = notify
        self.max_retries, self.max_wait_s = max_retries, max_wait_s
        self.classify = classify

    def run(self, payload: Payload, open_stream: StreamOpener) -> Iterator[EngineEvent]:
        start = time.monotonic()
        parts: list[str] = []
        waited = 0.0
        for attempt in range(self.max_retries + 1):
            try:
                yield from self._stream(open_stream, parts, start, payload)
                return
            except HttpFailure as failure:
                if failure.status != 429 or parts or attempt == self.max_retries:
                    note = f" (waited {waited:.1f} s over {attempt} retries)" if attempt else ""
                    yield http_error(failure, self.service, "".join(parts), note)
                    return
                wait = failure.retry_after if failure.retry_after is not None else 2.0**attempt
                wait = min(wait, self.max_wait_s)
                self.notify(
                    f"{self.service} is rate-limiting this key; retrying in {wait:.1f} s "
                    f"(attempt {attempt + 2} of {self.max_retries + 1})."
                )
                if self.cancelled.wait(wait):
                    yield from self._finish_cancelled(parts, start, None, payload)
                    return
                waited += wait
            except NetworkFailure as failure:
                yield network_error(failure, self.service, "".join(parts))
                return

    def _stream(
        self, open_stream: StreamOpener, parts: list[str], start: float, payload: Payload
    ) -> Iterator[EngineEvent]:
        events: queue.Queue[Any] = queue.Queue()
        pump = threading.Thread(
            target=self._pump, args=(open_stream, events), name="remote-stream", daemon=True
        )
        pump.start()
        first: float | None = None
        finish: str | None = None
        usage = Chunk()
        while True:
            try:
                item = events.get(timeout=POLL_S)
            except queue.Empty:
                if self.cancelled.is_set():
                    yield from self._finish_cancelled(parts, start, first, payload)
                    return
                continue
            if self.cancelled.is_set():
                yield from self._finish_cancelled(parts, start, first, payload)
                return
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            if item.prompt_tokens is not None:
                usage = item
            if item.text:
                if first is None:
                    first = time.monotonic()
                parts.append(item.text)
                yield Token(item.text)
            if item.finish_reason:
                finish = item.finish_reason
        if finish is None:
            raise NetworkFailure("cut", "the stream ended without a finish reason")
        end = time.monotonic()
        yield self._usage(payload, usage, len(parts), start, first, end)
        reason = FinishReason.LENGTH if finish in ("length", "model_length") else FinishReason.STOP
        yield Finished(reason, "".join(parts))

    def _pump(self, open_stream: StreamOpener, events: queue.Queue[Any]) -> None:
        try:
            with open_stream() as chunks:
                for chunk in chunks:
                    if self.cancelled.is_set():
                        break
                    events.put(chunk)
            events.put(None)
        except BaseException as exc:
            events.put(None if self.cancelled.is_set() else self.classify(exc))

    def _finish_cancelled(
        self, parts: list[str], start: float, first: float | None, payload: Payload
    ) -> Iterator[EngineEvent]:
        end = time.monotonic()
        yield self._usage(payload, Chunk(), len(parts), start, first, end)
        yield Finished(FinishReason.CANCELLED, "".join(parts))

    def _usage(
        self,
        payload: Payload,
        counts: Chunk,
        tokens: int,
        start: float,
        first: float | None,
        end: float,
    ) -> Usage:
        prompt = counts.prompt_tokens or 0
        ttft = (first - start) if first is not None else end - start
        return Usage(
            prompt_tokens=prompt,
            cached_tokens=counts.cached_tokens,
            evaluated_tokens=max(prompt - counts.cached_tokens, 0),
            image_tokens=tuple(img.api_billed_tokens for img in payload.images),
            images_encoded=len(payload.images),
            generated_tokens=counts.completion_tokens or tokens,
            ttft_s=ttft,
            prefill_s=ttft,
            decode_s=(end - first) if first is not None else 0.0,
            backend=self.backend,
            device=self.device,
            n_ctx=self.n_ctx,
        )


def sampling_args(request: GenerationRequest) -> dict[str, Any]:
    s = request.sampling
    return {"temperature": s.temperature, "top_p": s.top_p, "max_tokens": s.max_tokens}


def count_images(messages: Sequence[Message]) -> int:
    return sum(len(m.images) for m in messages)


class RemoteError(Exception):
    """A non-streaming call (model list, key test) failed; ``error`` says why for people."""

    def __init__(self, error: EngineError) -> None:
        super().__init__(error.message)
        self.error = error


class Notices:
    """What a remote backend told the user during a turn (re-encoded images, waits)."""

    def __init__(self, on_notice: Callable[[str], None] | None) -> None:
        self.notices: list[str] = []
        self._on_notice = on_notice

    def _notify(self, text: str) -> None:
        self.notices.append(text)
        if self._on_notice is not None:
            self._on_notice(text)
