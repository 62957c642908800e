"""An OpenAI-style SSE stream, bytes to ``Chunk``s, read defensively.

Why its own module: "OpenAI-compatible" servers differ in the details (vLLM, llama-server,
Ollama, LM Studio, proxies in front of them), and a reply of another shape used to end in a
traceback. What real servers send is accepted: ``content`` as a string or as a list of parts
(``[{"type": "text", "text": "…"}]``), a ``null`` delta, a whole ``message`` instead of a
``delta``, token counts as strings, missing fields, an ``error`` object in the stream. Anything
else becomes one ``NetworkFailure("malformed")`` — "The server's reply is not an OpenAI-style
chat answer" — and never another exception (a property test feeds it arbitrary bytes).

Lines are split here, from the response's bytes, under the same line limit ``reply_limits``
puts on the HTTP stream, so the parser is bounded even when used on its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from app.engine.remote_common import Chunk
from app.engine.remote_errors import MALFORMED, HttpFailure, NetworkFailure, ReplyTooLarge
from app.engine.reply_limits import DEFAULT_LIMITS


def sse_lines(chunks: Iterable[bytes], max_line: int = DEFAULT_LIMITS.line_bytes) -> Iterator[str]:
    """The lines of a byte stream (``\\n``, ``\\r\\n`` or ``\\r`` ends), decoded as UTF-8.

    Each byte is searched once (a line end is looked for only in what arrived since the last
    search), so a long line costs linear time, and the unfinished line is bounded.
    """
    buffer = bytearray()
    skip_lf = False  # the last chunk ended in \r: a \n starting the next one belongs to it
    for chunk in chunks:
        if not chunk:
            continue
        if skip_lf and chunk[:1] == b"\n":
            chunk = chunk[1:]
        skip_lf = False
        scanned = len(buffer)
        buffer += chunk
        start = 0
        lf, cr = buffer.find(b"\n", scanned), buffer.find(b"\r", scanned)
        while lf >= 0 or cr >= 0:
            end = lf if cr < 0 or 0 <= lf < cr else cr
            yield buffer[start:end].decode("utf-8", "replace")
            start = end + 1
            if end == cr:
                if start == len(buffer):
                    skip_lf = True
                elif buffer[start : start + 1] == b"\n":
                    start += 1
            if 0 <= lf < start:
                lf = buffer.find(b"\n", start)
            if 0 <= cr < start:
                cr = buffer.find(b"\r", start)
        del buffer[:start]
        if len(buffer) > max_line:
            raise ReplyTooLarge(max_line, "line")
    if buffer:
        yield buffer.decode("utf-8", "replace")


def openai_chunks(chunks: Iterable[bytes]) -> Iterator[Chunk]:
    """Decode ``data:`` lines; ``[DONE]`` ends the stream, comments and other fields are skipped."""
    for line in sse_lines(chunks):
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        if not data:
            continue
        try:
            event = json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise _malformed(f"undecodable event: {data[:80]!r}") from exc
        yield parse_event(event)


def parse_event(event: Any) -> Chunk:
    """One decoded event as a ``Chunk``; raises ``HttpFailure`` for an in-band error and
    ``NetworkFailure("malformed")`` for anything that is not a chat-completion chunk."""
    if not isinstance(event, dict):
        raise _malformed(f"event is {type(event).__name__}")
    if event.get("error") is not None:  # llama-server / vLLM report late errors in-band
        raise _in_band_error(event["error"])
    choices = event.get("choices")
    if choices is None:
        choices = []
    if not isinstance(choices, list):
        raise _malformed(f"choices is {type(choices).__name__}")
    text, finish = "", None
    for choice in choices:
        if not isinstance(choice, dict):
            raise _malformed(f"a choice is {type(choice).__name__}")
        delta = choice.get("delta")
        if delta is None:
            delta = choice.get("message")  # a whole answer in one event (non-streaming shape)
        if delta is None:
            delta = {}
        if not isinstance(delta, dict):
            raise _malformed(f"delta is {type(delta).__name__}")
        text += _content_text(delta.get("content"))
        reason = choice.get("finish_reason")
        if reason is not None and not isinstance(reason, str):
            raise _malformed(f"finish_reason is {type(reason).__name__}")
        finish = reason or finish
    usage = event.get("usage")
    if not isinstance(usage, dict) or not usage:
        return Chunk(text, finish)
    details = usage.get("prompt_tokens_details")
    cached = _count(details.get("cached_tokens")) if isinstance(details, dict) else None
    prompt = _count(usage.get("prompt_tokens"))
    if prompt is None:  # unknown counts are left to the estimate, not sent as zero
        return Chunk(text, finish)
    return Chunk(text, finish, prompt, _count(usage.get("completion_tokens")), cached or 0)


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out = []
        for part in content:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, dict):
                value = part.get("text")
                if part.get("type", "text") == "text" and isinstance(value, str):
                    out.append(value)
                # other part types (images, reasoning) carry no answer text
            else:
                raise _malformed(f"a content part is {type(part).__name__}")
        return "".join(out)
    raise _malformed(f"content is {type(content).__name__}")


def _count(value: Any) -> int | None:
    """A token count as servers send it: an int, a float with no fraction, or digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value.is_integer() and 0 <= value < 2**53:
        return int(value)
    digits = value.strip() if isinstance(value, str) else ""
    if digits.isascii() and digits.isdigit() and len(digits) <= 18:
        return int(digits)
    return None


def _in_band_error(error: Any) -> HttpFailure:
    code = _count(error.get("code")) if isinstance(error, dict) else None
    status = code if code is not None and 400 <= code <= 599 else 500
    try:
        body = json.dumps(error)
    except (TypeError, ValueError, RecursionError):
        body = "unreadable error object"
    return HttpFailure(status, body)


def _malformed(detail: str) -> NetworkFailure:
    return NetworkFailure("malformed", f"{MALFORMED} {detail}")
