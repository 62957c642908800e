"""Remote failures → ErrorKind and a message a person can act on, without a server."""

from __future__ import annotations

import email.utils
import time

from app.engine.base import ErrorKind
from app.engine.remote_errors import (
    AUTH,
    NETWORK,
    HttpFailure,
    NetworkFailure,
    http_error,
    network_error,
    retry_after_s,
)


def test_retry_after_reads_seconds_milliseconds_and_dates():
    assert retry_after_s({"retry-after": "3"}) == 3.0
    assert retry_after_s({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_s({"retry-after": "-4"}) == 0.0
    date = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 < (retry_after_s({"retry-after": date}) or 0) <= 30
    assert retry_after_s({}) is None and retry_after_s(None) is None


def test_statuses_say_what_to_do():
    refused = http_error(HttpFailure(401, "nope"), "Svc", "partial")
    assert refused.kind is AUTH and "Settings → API keys" in refused.message
    assert refused.detail == "HTTP 401: nope"
    no_vision = http_error(HttpFailure(400, "Model does not support image input"), "Svc")
    assert no_vision.kind is ErrorKind.BAD_INPUT and "does not accept images" in no_vision.message
    waited = http_error(HttpFailure(429, "", {"retry-after": "7"}), "Svc", "", " (waited 1 s)")
    assert waited.message.endswith("(HTTP 429) (waited 1 s). Try again in about 7 s.")
    assert "no details given" in http_error(HttpFailure(422, "  "), "Svc").message


def test_network_failures_keep_the_partial_answer():
    cut = network_error(NetworkFailure("cut", "reset"), "Svc", "Hello")
    assert cut.kind is NETWORK and "part received is kept" in cut.message
    assert cut.text == "Hello" and cut.detail == "cut: reset"
