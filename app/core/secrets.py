"""Secrets out of every text the app keeps: error messages in the history, logs, crash reports.

Why one function in core: texts are kept in three places that live in different layers — the
engine builds error messages (``remote_errors``), ``app.logs`` writes the log file and
``app.crash_report`` writes crash reports — and a key that slips past one of them ends up in a
bug report or an export. All three call ``redact`` at the one place their text enters, so the
rule is written once and cannot drift.

Two kinds of secret are removed:

* **Known secrets**: every API key the app has handed to a backend (``remember_secret``; the
  key store and the remote backends call it when they read a key). A server that echoes the
  key back in an error body ("invalid key sk-abc…") is caught whatever the key looks like.
* **Shapes**: ``Bearer <token>``, an ``Authorization:`` header value of any scheme, ``sk-…`` and
  ``hf_…`` keys, bare 32-character Mistral-style keys, and ``api_key=…`` / ``token: …``
  assignments — for keys this process never held (a server echoing someone else's header, an
  environment dump in a traceback).

The known set is process state on purpose, like the logging configuration: the logging filter
and the crash hook run where no key store can be passed in.
"""

from __future__ import annotations

import re
import threading

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

_lock = threading.Lock()
_known: set[str] = set()
_known_pattern: re.Pattern[str] | None = None


def remember_secret(value: str | None) -> None:
    """Redact ``value`` from every text from now on (an API key the app is about to use)."""
    global _known_pattern
    value = (value or "").strip()
    if len(value) < MIN_SECRET_LENGTH:
        return
    with _lock:
        if value in _known:
            return
        _known.add(value)
        # Longest first, so a key that contains another known key is replaced whole.
        ordered = sorted(_known, key=len, reverse=True)
        _known_pattern = re.compile("|".join(re.escape(v) for v in ordered))


def forget_secrets() -> None:
    """Drop every remembered secret (tests; the shapes still apply)."""
    global _known_pattern
    with _lock:
        _known.clear()
        _known_pattern = None


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
    known = _known_pattern
    if known is not None:
        text = known.sub(REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    text = _AUTH_SCHEME.sub(lambda m: m.group(1) + REDACTED, text)
    text = _ASSIGNED.sub(lambda m: m.group(1) + REDACTED, text)
    text = _SK.sub(REDACTED, text)
    return _BARE_KEY.sub(_bare_key, text)
