"""Secrets out of every text the app keeps: error messages in the history, logs, crash reports.

Why one function in core: texts are kept in three places that live in different layers — the
engine builds error messages (``remote_errors``), ``app.logs`` writes the log file and
``app.crash_report`` writes crash reports — and a key that slips past one of them ends up in a
bug report or an export. All three call ``redact`` at the one place their text enters, so the
rule is written once and cannot drift.

Two kinds of secret are removed:

* **Known secrets**: every API key the app has handed to a backend (``remember_secret``; the
  key store and the remote backends call it when they read a key). A server that echoes the
  key back in an error body ("invalid key sk-abc…") is caught whatever the key looks like —
  and so is any piece of it at least ``MIN_SECRET_LENGTH`` characters long, URL-encoded or in
  base64 (alone, or inside ``user:key`` as HTTP Basic auth sends it): a server that quotes
  "key sk-abc…xyz (truncated)" or echoes its header still hands out most of the key.
* **Shapes**: ``Bearer <token>``, an ``Authorization:`` header value of any scheme, ``sk-…`` and
  ``hf_…`` keys, bare 32-character Mistral-style keys, and ``api_key=…`` / ``token: …``
  assignments — for keys this process never held (a server echoing someone else's header, an
  environment dump in a traceback).

Streamed answers are remote text too, but they are the model's words: ``StreamRedactor``
removes only known secrets from them (never the shapes, which would eat ordinary code such as
``password = "…"``), holding back just the tail that could still be the start of a key.

The known set is process state on purpose, like the logging configuration: the logging filter
and the crash hook run where no key store can be passed in.
"""

from __future__ import annotations

import re
import threading
from base64 import b64encode, urlsafe_b64encode
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

REDACTED = "[REDACTED]"
MIN_SECRET_LENGTH = 8
"""Shorter values are not remembered: replacing every "test" or "1234" in logs helps nobody."""

_ASSIGNED = re.compile(
    r"(?i)((?:api[_-]?key|x-api-key|access[_-]?token|token|secret|password|authorization)"
    r"[\"']?\s*[:=]\s*[\"']?)(?!Bearer\b)(?=[^\s\"',;&]*[A-Za-z])([^\s\"',;&]+)"
)
_AUTH_SCHEME = re.compile(
    r"(?i)(\bauthorization[\"']?\s*[:=]\s*[\"']?(?!Bearer\b)[A-Za-z][A-Za-z0-9_-]*\s+)"
    r"[^\s\"',;&]+"
)
_BEARER = re.compile(r"(?i)(\bBearer\s+)[A-Za-z0-9._~+/=-]+")
_SK = re.compile(r"\b(?:sk-[A-Za-z0-9_-]{8,}|hf_[A-Za-z0-9]{20,})")
_BARE_KEY = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{32}(?![A-Za-z0-9])")
_LOWER_HEX = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class _Known:
    """Every form of every remembered secret, and the pattern that finds their pieces.

    A piece of at least ``MIN_SECRET_LENGTH`` characters is a run of overlapping
    ``MIN_SECRET_LENGTH``-grams of one form, so finding every gram (a lookahead, so overlaps
    count) and joining overlapping hits finds every piece in one linear pass.
    """

    forms: tuple[str, ...]
    grams: re.Pattern[str]
    longest: int


_lock = threading.Lock()
_known: set[str] = set()
_state: _Known | None = None


def _forms_of(value: str) -> set[str]:
    """``value`` as a server may echo it: as is, URL-encoded, and in base64 at each of the three
    byte alignments it can have after a prefix (``user:`` in a Basic ``Authorization``)."""
    forms = {value, quote(value, safe=""), quote_plus(value)}
    raw = value.encode()
    for lead in range(3):
        for encode in (b64encode, urlsafe_b64encode):
            text = encode(b"\0" * lead + raw).decode("ascii")
            forms.add(text[4:] if lead else text)  # the first group mixes in the prefix
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def remember_secret(value: str | None) -> None:
    """Redact ``value`` (and its pieces and encodings) from every text from now on."""
    global _state
    value = (value or "").strip()
    if len(value) < MIN_SECRET_LENGTH:
        return
    with _lock:
        if value in _known:
            return
        _known.add(value)
        forms = tuple(sorted({form for known in _known for form in _forms_of(known)}))
        n = MIN_SECRET_LENGTH
        grams = sorted({form[i : i + n] for form in forms for i in range(len(form) - n + 1)})
        pattern = re.compile("(?=(?:" + "|".join(map(re.escape, grams)) + "))")
        _state = _Known(forms, pattern, max(map(len, forms)))


def forget_secrets() -> None:
    """Drop every remembered secret (tests; the shapes still apply)."""
    global _state
    with _lock:
        _known.clear()
        _state = None


def _known_spans(text: str, state: _Known) -> list[tuple[int, int]]:
    """Where pieces of known secrets are in ``text``: sorted ``(start, end)``, overlaps joined
    (touching pieces stay apart, so a key repeated twice reads as two redactions)."""
    spans: list[tuple[int, int]] = []
    for match in state.grams.finditer(text):
        start = match.start()
        end = start + MIN_SECRET_LENGTH
        if spans and start < spans[-1][1]:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def _replace(text: str, spans: list[tuple[int, int]]) -> str:
    pieces: list[str] = []
    pos = 0
    for start, end in spans:
        pieces += (text[pos:start], REDACTED)
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)


def redact_known(text: str) -> str:
    """``text`` with every piece (``MIN_SECRET_LENGTH`` or more characters) of a remembered
    secret, in any of its forms, replaced by ``[REDACTED]``; nothing else is touched."""
    state = _state
    if not text or state is None:
        return text
    return _replace(text, _known_spans(text, state))


class StreamRedactor:
    """``redact_known`` for text that arrives in chunks, in time linear in the text.

    A piece of a key may be split across chunks, so the tail of what came so far that could
    still be the start of one (a substring of a known form) is held back until the next chunk
    or ``flush``; ordinary text holds back a character or two. A piece that starts before the
    cut is whole in the buffer, and the part of its redaction that reaches past the cut is
    carried over, so the output of any chunking equals ``redact_known`` of the whole text.
    """

    def __init__(self) -> None:
        self._held = ""
        self._carry = 0  # characters at the start of ``_held`` inside a redaction already shown

    def feed(self, text: str) -> str:
        return self._pass(self._held + text, final=False)

    def flush(self) -> str:
        return self._pass(self._held, final=True)

    def _pass(self, buffer: str, *, final: bool) -> str:
        state = _state
        if state is None:
            self._held, self._carry = "", 0
            return buffer
        spans = _known_spans(buffer, state)
        if self._carry:
            if spans and spans[0][0] < self._carry:
                spans[0] = (0, max(spans[0][1], self._carry))
            else:
                spans.insert(0, (0, self._carry))
        cut = len(buffer) if final else len(buffer) - _open_tail(buffer, state)
        pieces: list[str] = []
        pos, carry = 0, 0
        for start, end in spans:
            if start >= cut:
                break
            pieces.append(buffer[pos:start])
            if start or not self._carry:
                pieces.append(REDACTED)
            pos = min(end, cut)
            carry = max(end - cut, 0)
        pieces.append(buffer[pos:cut])
        self._held, self._carry = buffer[cut:], carry
        return "".join(pieces)


def _open_tail(buffer: str, state: _Known) -> int:
    """How long the end of ``buffer`` that may still grow into a piece of a secret is."""
    n = 0
    limit = min(len(buffer), state.longest - 1)
    while n < limit and any(buffer[-(n + 1) :] in form for form in state.forms):
        n += 1
    return n


def _bare_key(match: re.Match[str]) -> str:
    # Conversation and stream ids are uuid4().hex: 32 lowercase hex digits. A real Mistral key
    # (random mixed-case letters and digits) is all-lowercase-hex with odds ~(16/62)**32, so
    # keeping those keeps the log useful without letting keys through.
    text = match.group(0)
    return text if _LOWER_HEX.fullmatch(text) else REDACTED


def redact(text: str) -> str:
    """``text`` with every known secret and anything shaped like a key replaced by
    ``[REDACTED]``."""
    if not text:
        return text
    text = redact_known(text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    text = _AUTH_SCHEME.sub(lambda m: m.group(1) + REDACTED, text)
    text = _ASSIGNED.sub(lambda m: m.group(1) + REDACTED, text)
    text = _SK.sub(REDACTED, text)
    return _BARE_KEY.sub(_bare_key, text)
