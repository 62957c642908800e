"""What is read from a server is bounded: an endless line, a flood, a huge error body or model
list, a gzip bomb — each ends in one clear error within seconds, with memory measured."""

from __future__ import annotations

import gzip
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from app.core.conversation import Message
from app.core.secrets import forget_secrets
from app.engine.base import EngineError, ErrorKind, GenerationRequest
from app.engine.mistral_api import MistralBackend, RemoteError
from app.engine.openai_compat import OpenAICompatBackend, RemoteServerError
from app.engine.reply_limits import MAX_LISTED_MODELS, MB, ReplyLimits
from tests.engine.fake_servers import FakeChatServer, Reply

TOO_LARGE = "The server sent a reply too large to be an answer (over {} MB); stopped."
BLOCK = b"a" * 65536


def endless_line() -> Iterator[bytes]:
    """``data: {"x": "aaaa…`` and never a line end."""
    yield b'data: {"choices": [{"delta": {"content": "'
    yield from itertools.repeat(BLOCK)


def endless_json() -> Iterator[bytes]:
    yield b'{"message": "'
    yield from itertools.repeat(BLOCK)


def flood() -> Iterator[bytes]:
    """Valid small events (as both APIs send them), forever: each line is short, the whole
    is not."""
    event = (
        b'data: {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m", '
        b'"choices": [{"index": 0, "delta": {"content": "' + b"x" * 200 + b'"}, '
        b'"finish_reason": null}]}\n\n'
    )
    yield from itertools.repeat(event * 64)


_BOMB: list[bytes] = []


def gzip_bomb() -> Iterator[bytes]:
    """64 MB of zeros in one line, compressed to ~64 kB, sent although we asked for identity."""
    yield _BOMB[0]


def ask() -> GenerationRequest:
    return GenerationRequest([Message.user("hi")])


def openai(srv: FakeChatServer, **kw) -> OpenAICompatBackend:
    return OpenAICompatBackend(srv.url + "/v1", "m", max_wait_s=0.01, max_retries=0, **kw)


def mistral(srv: FakeChatServer, **kw) -> MistralBackend:
    return MistralBackend("k" * 32, "pixtral-large-latest", server_url=srv.url, max_retries=0, **kw)


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measured(run: Callable[[], object]) -> tuple[object, float, int]:
    """``run()``'s result, the seconds it took, and how far the process's resident memory rose
    above where it started (sampled every 5 ms: the server thread's buffers count too)."""
    base = peak = _rss()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.005):
            peak = max(peak, _rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.monotonic()
    try:
        result = run()
    finally:
        elapsed = time.monotonic() - start
        done.set()
        sampler.join()
    return result, elapsed, max(peak, _rss()) - base


pytestmark = pytest.mark.skipif(
    not os.path.exists("/proc/self/statm"), reason="memory is measured through /proc"
)


@pytest.mark.parametrize("make", [openai, mistral], ids=["openai", "mistral"])
def test_an_endless_line_stops_at_the_line_limit(make):
    with FakeChatServer("openai") as srv:
        srv.script(Reply(raw=endless_line))
        events, elapsed, peak = measured(lambda: list(make(srv).generate(ask())))
        error = events[-1]
        assert isinstance(error, EngineError) and error.kind is ErrorKind.SERVER
        assert error.message == TOO_LARGE.format(4)
        # Bounded: stopped within seconds, at ~4 MB read, holding a few copies of it at most.
        assert elapsed < 5, elapsed
        assert peak < 32 * MB, peak / MB
        assert srv.disconnected.wait(5)  # the client hung up: the server stops sending


@pytest.mark.parametrize("make", [openai, mistral], ids=["openai", "mistral"])
def test_a_flood_of_small_events_stops_at_the_reply_limit(make):
    with FakeChatServer("openai") as srv:
        srv.script(Reply(raw=flood))
        limits = ReplyLimits(reply_bytes=2 * MB)
        events, elapsed, _ = measured(lambda: list(make(srv, limits=limits).generate(ask())))
        assert isinstance(events[-1], EngineError)
        assert events[-1].message == TOO_LARGE.format(2)
        assert events[-1].text.startswith("x" * 200)  # what came before is kept
        assert elapsed < 10


@pytest.mark.parametrize("make", [openai, mistral], ids=["openai", "mistral"])
def test_an_endless_error_body_stops_at_the_error_limit(make):
    with FakeChatServer("openai") as srv:
        srv.script(Reply(status=500, raw=endless_json, content_type="application/json"))
        events, elapsed, peak = measured(lambda: list(make(srv).generate(ask())))
        assert [e.message for e in events] == [TOO_LARGE.format(1)]
        assert elapsed < 5 and peak < 16 * MB


def test_an_endless_model_list_is_refused(tmp_path):
    with FakeChatServer("openai") as srv:
        srv.script(Reply(raw=endless_json, content_type="application/json"))
        with pytest.raises(RemoteServerError) as caught:
            openai(srv, limits=ReplyLimits(reply_bytes=4 * MB)).list_models()
        assert caught.value.error.message == TOO_LARGE.format(4)
        srv.script(Reply(raw=endless_json, content_type="application/json"))
        with pytest.raises(RemoteError) as caught:
            mistral(srv, limits=ReplyLimits(reply_bytes=4 * MB)).list_models()
        assert caught.value.error.message == TOO_LARGE.format(4)


@pytest.mark.parametrize("make", [openai, mistral], ids=["openai", "mistral"])
def test_a_gzip_bomb_is_inflated_within_the_limits(make):
    if not _BOMB:
        _BOMB.append(gzip.compress(b"data: " + bytes(64 * MB), compresslevel=9))
    with FakeChatServer("openai") as srv:
        srv.script(Reply(raw=gzip_bomb, headers={"content-encoding": "gzip"}))
        events, elapsed, peak = measured(lambda: list(make(srv).generate(ask())))
        assert events[-1].message == TOO_LARGE.format(4)
        assert elapsed < 5 and peak < 32 * MB, peak / MB
        assert srv.requests[0].headers["accept-encoding"] == "identity"


def test_a_compressed_normal_answer_still_reads():
    def answer() -> Iterator[bytes]:
        yield gzip.compress(
            b'data: {"choices": [{"delta": {"content": "ok"}, "finish_reason": "stop"}]}\n\n'
            b"data: [DONE]\n\n"
        )

    with FakeChatServer("openai") as srv:
        srv.script(Reply(raw=answer, headers={"content-encoding": "gzip"}))
        events = list(openai(srv).generate(ask()))
        assert events[-1].text == "ok" and events[-1].reason == "stop"


LIST_KEY = "pd-live.9Zq_4mw8x"


@pytest.mark.parametrize("make", [openai, mistral], ids=["openai", "mistral"])
def test_a_model_list_brings_in_only_ids_a_picker_can_show(make) -> None:
    """Ids are shown verbatim and sent back, so they cannot be redacted: one quoting the key,
    one with a line break, an empty or a 5,000-character one is left out; 2,000 are cut to
    ``MAX_LISTED_MODELS``."""
    models = (
        {"id": "pixtral-large-latest", "vision": True},
        {"id": f"echo-{LIST_KEY}", "vision": True},
        {"id": "x" * 5000, "vision": True},
        {"id": "two\nlines", "vision": True},
        {"id": "", "vision": True},
        *({"id": f"m{i}", "vision": False} for i in range(2000)),
    )
    try:
        with FakeChatServer("openai", models=models) as srv:
            if make is openai:
                ids = openai(srv, api_key=LIST_KEY).list_models()
            else:
                ids = [
                    m.id
                    for m in MistralBackend(
                        LIST_KEY, "m", server_url=srv.url, max_retries=0
                    ).list_models()
                ]
    finally:
        forget_secrets()
    assert "pixtral-large-latest" in ids and "m0" in ids
    assert len(ids) == MAX_LISTED_MODELS
    assert all(LIST_KEY[:8] not in i and "\n" not in i and 0 < len(i) <= 200 for i in ids)
