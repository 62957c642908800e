"""The streamed turn La Plateforme and OpenAI-compatible servers share: retries, cancel, timing.

Both speak the chat-completions wire format, so the request is built once (``chat_payload``),
errors are worded once (``remote_errors``) and the cancel-aware streaming loop lives here; each
backend only opens its stream (the ``mistralai`` SDK, or httpx for other servers) and turns
its transport errors into ``HttpFailure`` / ``NetworkFailure``. Anything else a stream raises
still ends the turn as an ``EngineError`` built by ``remote_errors``, so any key in it is redacted.
The streamed text itself enters the app here too, so it passes a ``StreamRedactor``: a server
echoing the key (or a piece of it) into the answer hands it to the window and the history.

Cancel: the blocking read runs in a pump thread that owns the stream's ``with`` block; the
caller waits on a queue in 50 ms slices, so ``cancel()`` from any thread ends the turn within
300 ms even when the server sends nothing, and the pump leaves the ``with`` block (closing the
HTTP response) as soon as its read returns or the response is closed under it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from app.core.secrets import StreamRedactor
from app.engine.base import EngineEvent, Finished, FinishReason, Token, Usage
from app.engine.chat_payload import Payload
from app.engine.remote_errors import (
    HttpFailure,
    NetworkFailure,
    http_error,
    network_error,
    unexpected_error,
)

POLL_S = 0.05  # cancel latency bound of the consumer loop

NoticeSink = Callable[[str], None]


@dataclass(frozen=True)
class Chunk:
    """One decoded stream event: some text, maybe a finish reason, maybe the usage counters."""

    text: str = ""
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int = 0


StreamOpener = Callable[[], AbstractContextManager[Iterator[Chunk]]]


class EchoCut:
    """Drops a continued answer's beginning when the server repeats it before the new text.

    La Plateforme may start its reply to a ``prefix`` message with that prefix; other servers
    send only what is new. Text is held back only while it can still be that repetition, so a
    reply that is not one loses nothing.
    """

    def __init__(self, echo: str) -> None:
        self.echo = echo
        self.held = ""
        self.done = not echo

    def feed(self, text: str) -> str:
        if self.done:
            return text
        self.held += text
        if len(self.held) < len(self.echo) and self.echo.startswith(self.held):
            return ""
        self.done = True
        out, self.held = self.held, ""
        return out[len(self.echo) :] if out.startswith(self.echo) else out

    def flush(self) -> str:
        self.done = True
        out, self.held = self.held, ""
        return out


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

    def run(
        self, payload: Payload, open_stream: StreamOpener, echo: str = ""
    ) -> Iterator[EngineEvent]:
        """Stream one turn; ``echo`` is the answer being continued (dropped if repeated)."""
        start = time.monotonic()
        parts: list[str] = []
        waited = 0.0
        for attempt in range(self.max_retries + 1):
            try:
                yield from self._stream(open_stream, parts, start, payload, EchoCut(echo))
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
            except Exception as exc:  # an SDK surprise: still a turn error, worded (redacted) here
                yield unexpected_error(exc, "".join(parts))
                return

    def _stream(
        self,
        open_stream: StreamOpener,
        parts: list[str],
        start: float,
        payload: Payload,
        echo: EchoCut,
    ) -> Iterator[EngineEvent]:
        events: queue.Queue[Any] = queue.Queue()
        pump = threading.Thread(
            target=self._pump, args=(open_stream, events), name="remote-stream", daemon=True
        )
        pump.start()
        first: float | None = None
        finish: str | None = None
        usage = Chunk()
        keys = StreamRedactor()
        while True:
            try:
                item = events.get(timeout=POLL_S)
            except queue.Empty:
                if self.cancelled.is_set():
                    yield from _release(keys, echo, parts)
                    yield from self._finish_cancelled(parts, start, first, payload)
                    return
                continue
            if self.cancelled.is_set():
                yield from _release(keys, echo, parts)
                yield from self._finish_cancelled(parts, start, first, payload)
                return
            if item is None:
                break
            if isinstance(item, BaseException):
                yield from _release(keys, echo, parts)  # "streamed before failing", redacted
                raise item
            if item.prompt_tokens is not None:
                usage = item
            text = echo.feed(keys.feed(item.text))
            if text:
                if first is None:
                    first = time.monotonic()
                parts.append(text)
                yield Token(text)
            if item.finish_reason:
                finish = item.finish_reason
        rest = echo.feed(keys.flush()) + echo.flush()
        if rest:
            first = first if first is not None else time.monotonic()
            parts.append(rest)
            yield Token(rest)
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


def _release(keys: StreamRedactor, echo: EchoCut, parts: list[str]) -> Iterator[Token]:
    """The text the redactor held back, when a turn ends early: shown and stored like the rest
    (``parts`` stays empty when there is none: an empty list is what lets a 429 be retried)."""
    held = echo.feed(keys.flush())
    if held:
        parts.append(held)
        yield Token(held)


class Notices:
    """What a remote backend told the user during a turn (re-encoded images, waits)."""

    def __init__(self, on_notice: Callable[[str], None] | None) -> None:
        self.notices: list[str] = []
        self._on_notice = on_notice

    def _notify(self, text: str) -> None:
        self.notices.append(text)
        if self._on_notice is not None:
            self._on_notice(text)
