"""OpenAI-compatible backend against a loopback server speaking OpenAI's SSE flavour."""

from __future__ import annotations

import time

import pytest

from app.core.conversation import Message
from app.engine.base import EngineError, Finished, FinishReason, GenerationRequest, Token, Usage
from app.engine.openai_compat import OpenAICompatBackend, RemoteServerError, server_host
from tests.engine.fake_servers import (
    SLOW_S,
    FakeChatServer,
    Reply,
    cancel_once_asked,
    decode_uri,
    free_port,
    sent_images,
    solid_image,
)


@pytest.fixture
def server():
    with FakeChatServer("openai") as srv:
        yield srv


def backend(srv: FakeChatServer, key: str | None = None, **kw) -> OpenAICompatBackend:
    kw.setdefault("max_wait_s", 0.2)
    return OpenAICompatBackend(srv.url + "/v1", "pixtral-12b", key, **kw)


def ask(text: str = "hi", images=()) -> GenerationRequest:
    return GenerationRequest([Message.user(text, list(images))], system_prompt="sys")


def test_stream_usage_and_images_intact(server):
    image = solid_image(64, 48)
    events = list(backend(server).generate(ask(images=[image])))
    assert "".join(e.text for e in events if isinstance(e, Token)) == "Hello, world."
    usage, finished = events[-2:]
    assert isinstance(usage, Usage) and usage.backend == "openai"
    assert usage.device == server_host(server.url) and usage.prompt_tokens == 42
    assert finished == Finished(FinishReason.STOP, "Hello, world.")
    body = server.chat_requests()[0]
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"][0] == {"role": "system", "content": "sys"}
    (uri,) = sent_images(body)
    assert decode_uri(uri) == ("image/png", image.size, image.rgb)
    assert "authorization" not in server.requests[0].headers  # no key, no header


def test_optional_key_is_sent_as_bearer(server):
    list(backend(server, key="secret-123").generate(ask()))
    assert server.requests[0].headers["authorization"] == "Bearer secret-123"


def test_list_models(server):
    assert "pixtral-large-latest" in backend(server).list_models()
    server.script(Reply(status=401))
    with pytest.raises(RemoteServerError, match="API key"):
        backend(server).list_models()


def test_length_finish(server):
    server.script(Reply(finish_reason="length"))
    assert list(backend(server).generate(ask()))[-1].reason is FinishReason.LENGTH


@pytest.mark.parametrize(
    ("reply", "phrase"),
    [
        (Reply(status=401), "refused the API key"),
        (Reply(status=403), "refused the API key"),
        (Reply(status=413), "too large"),
        (Reply(status=422), "rejected the request"),
        (Reply(status=500, body={"error": "image input is not supported"}), "not accept images"),
        (Reply(status=502), "problem on its side"),
        (Reply(status=429, headers={"retry-after": "1"}), "rate-limiting"),
    ],
)
def test_errors(server, reply, phrase):
    server.script(*[reply] * 4)
    (event,) = list(backend(server, max_retries=1, max_wait_s=0.01).generate(ask()))
    assert isinstance(event, EngineError) and phrase in event.message


def test_429_then_success(server):
    server.script(Reply(status=429, headers={"retry-after": "0.05"}))
    b = backend(server)
    assert isinstance(list(b.generate(ask()))[-1], Finished)
    assert "retrying" in b.notices[0]


def test_cut_mid_stream_keeps_partial(server):
    server.script(Reply(tokens=("a", "b", "c"), cut_after=1))
    error = list(backend(server).generate(ask()))[-1]
    assert isinstance(error, EngineError) and error.text == "a" and "cut" in error.message


def test_timeout_and_offline(server):
    server.script(Reply(stall_s=1.0))
    (event,) = list(backend(server, timeout_s=0.2).generate(ask()))
    assert "did not answer in time" in event.message
    offline = OpenAICompatBackend(f"http://127.0.0.1:{free_port()}/v1", "m")
    (event,) = list(offline.generate(ask()))
    assert "Cannot reach 127.0.0.1" in event.message


@pytest.mark.parametrize(
    "reply", [Reply(tokens=tuple("abcdef"), delay_s=SLOW_S), Reply(stall_s=SLOW_S)]
)
def test_cancel_ends_the_turn_without_waiting_for_the_server(server, reply):
    """Cancelled once the server has the request; it would take 30 s to say more."""
    server.script(reply)
    b = backend(server)
    cancel_once_asked(server, b)
    start = time.monotonic()
    events = list(b.generate(ask()))
    assert time.monotonic() - start < SLOW_S / 3
    assert events[-1].reason is FinishReason.CANCELLED
