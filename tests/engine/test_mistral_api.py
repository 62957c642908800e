"""La Plateforme backend: the real ``mistralai`` SDK against a loopback SSE server."""

from __future__ import annotations

import time

import pytest

from app.core.conversation import Message
from app.engine.base import (
    EngineError,
    ErrorKind,
    Finished,
    FinishReason,
    GenerationRequest,
    Token,
    Usage,
)
from app.engine.mistral_api import MistralBackend, RemoteError, RemoteModel, default_model
from tests.engine.fake_servers import (
    SLOW_S,
    FakeChatServer,
    Reply,
    cancel_once_asked,
    decode_uri,
    free_port,
    noisy_image,
    sent_images,
    solid_image,
)


@pytest.fixture
def server():
    with FakeChatServer("mistral") as srv:
        yield srv


def backend(srv: FakeChatServer, **kw) -> MistralBackend:
    kw.setdefault("max_wait_s", 0.2)
    return MistralBackend("sk-test-key", "pixtral-large-latest", server_url=srv.url, **kw)


def ask(text: str = "hi", images=()) -> GenerationRequest:
    return GenerationRequest([Message.user(text, list(images))])


def test_stream_with_images_system_prompt_and_usage(server):
    images = [solid_image(100, 60), solid_image(40, 40, (10, 200, 30))]
    b = backend(server)
    events = list(b.generate(GenerationRequest([Message.user("what?", images)], "Be brief.")))
    # Joined: a character that may begin a piece of the key waits for the next one
    # (``app.core.secrets.StreamRedactor``), so chunk edges can move.
    assert "".join(e.text for e in events if isinstance(e, Token)) == "Hello, world."
    usage, finished = events[-2], events[-1]
    assert isinstance(usage, Usage) and isinstance(finished, Finished)
    assert finished == Finished(FinishReason.STOP, "Hello, world.")
    assert usage.backend == "mistral" and usage.device == "La Plateforme"
    assert usage.prompt_tokens == 42 and usage.generated_tokens == 4
    assert usage.image_tokens == tuple(i.api_billed_tokens for i in images)
    assert usage.images_encoded == 2 and usage.ttft_s > 0
    body = server.chat_requests()[0]
    assert body["stream"] is True and body["model"] == "pixtral-large-latest"
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert server.requests[0].headers["authorization"] == "Bearer sk-test-key"
    # Images arrive intact: decode them server-side and compare the pixels.
    uris = sent_images(body)
    for uri, image in zip(uris, images, strict=True):
        mime, size, rgb = decode_uri(uri)
        assert (mime, size, rgb) == ("image/png", image.size, image.rgb)


def test_model_list_filters_vision_and_prefers_pixtral(server):
    b = backend(server)
    models = b.list_models()
    assert [m.id for m in b.vision_models()] == ["mistral-small-latest", "pixtral-large-latest"]
    assert default_model(models) == "pixtral-large-latest"
    assert default_model(models, remembered="mistral-small-latest") == "mistral-small-latest"
    assert default_model(models, remembered="retired-model") == "pixtral-large-latest"
    assert default_model([RemoteModel("ministral-8b-latest", True)]) == "ministral-8b-latest"
    assert default_model([RemoteModel("codestral", False)]) == ""


def test_model_list_with_bad_key_is_a_readable_error(server):
    server.script(Reply(status=401))
    with pytest.raises(RemoteError) as err:
        backend(server).list_models()
    assert "API key" in str(err.value)


def test_text_only_model_refuses_images_before_sending(server):
    b = backend(server)
    b.list_models()
    b.model = "codestral-latest"
    (event,) = list(b.generate(ask(images=[solid_image(32, 32)])))
    assert isinstance(event, EngineError) and event.kind is ErrorKind.BAD_INPUT
    assert "does not accept images" in event.message
    assert server.chat_requests() == []


def test_server_side_no_vision_error(server):
    body = {"message": "Image input is not supported by this model", "type": "invalid_request"}
    server.script(Reply(status=400, body=body))
    (event,) = list(backend(server).generate(ask(images=[solid_image(32, 32)])))
    assert "does not accept images" in event.message


def test_more_than_eight_images_sends_the_most_recent_eight(server):
    colors = [(i * 20, 0, 0) for i in range(10)]
    history = [
        Message.user("first", [solid_image(32, 32, c) for c in colors[:6]]),
        Message.assistant("ok"),
        Message.user("second", [solid_image(32, 32, c) for c in colors[6:]]),
    ]
    b = backend(server)
    events = list(b.generate(GenerationRequest(history)))
    assert isinstance(events[-1], Finished)
    uris = sent_images(server.chat_requests()[0])
    assert len(uris) == 8
    first_sent = decode_uri(uris[0])[2]
    assert first_sent == solid_image(32, 32, colors[2]).rgb  # the two oldest were dropped
    texts = str(server.chat_requests()[0]["messages"][0]["content"])
    assert texts.count("omitted") == 2
    assert "8 most recent" in b.notices[0]
    assert events[-2].images_encoded == 8


def test_one_message_with_too_many_images_is_refused(server):
    images = [solid_image(16, 16, (i, 0, 0)) for i in range(9)]
    (event,) = list(backend(server).generate(ask(images=images)))
    assert event.kind is ErrorKind.BAD_INPUT and "at most 8" in event.message
    assert server.chat_requests() == []


def test_image_over_the_size_limit_is_reencoded_with_a_notice(server):
    image = noisy_image(256, 256)
    notices: list[str] = []
    b = backend(server, max_image_bytes=60_000, on_notice=notices.append)
    list(b.generate(ask(images=[image])))
    (uri,) = sent_images(server.chat_requests()[0])
    mime, _size, _ = decode_uri(uri)
    assert mime == "image/jpeg" and len(uri) * 3 / 4 <= 60_000 + 4
    assert notices and "re-encoded" in notices[0]


@pytest.mark.parametrize(
    ("status", "phrase", "kind_name"),
    [
        (401, "refused the API key", "AUTH"),
        (403, "refused the API key", "AUTH"),
        (413, "too large", None),
        (422, "rejected the request", None),
        (500, "problem on its side", "SERVER"),
        (503, "problem on its side", "SERVER"),
    ],
)
def test_error_statuses_have_their_own_messages(server, status, phrase, kind_name):
    body = {"detail": [{"msg": "bad"}]} if status == 422 else None
    server.script(Reply(status=status, body=body))
    (event,) = list(backend(server).generate(ask()))
    assert isinstance(event, EngineError) and phrase in event.message
    assert str(status) in event.detail
    if kind_name and hasattr(ErrorKind, kind_name):
        assert event.kind is getattr(ErrorKind, kind_name)


def test_429_honours_retry_after_then_succeeds(server):
    server.script(Reply(status=429, headers={"Retry-After": "0.15"}))
    b = backend(server)
    start = time.monotonic()
    events = list(b.generate(ask()))
    assert isinstance(events[-1], Finished)
    assert time.monotonic() - start >= 0.15
    assert "retrying in 0.1 s" in b.notices[0] or "retrying in 0.2 s" in b.notices[0]
    assert len(server.chat_requests()) == 2


def test_429_gives_up_after_bounded_retries_and_says_how_long_it_waited(server):
    server.script(*[Reply(status=429, headers={"retry-after": "0.05"})] * 3)
    (event,) = list(backend(server, max_retries=2).generate(ask()))
    assert "rate-limiting" in event.message and "waited" in event.message
    assert len(server.chat_requests()) == 3


def test_cut_mid_stream_keeps_the_partial_answer(server):
    server.script(Reply(tokens=("one ", "two ", "three"), cut_after=2))
    events = list(backend(server).generate(ask()))
    error = events[-1]
    assert isinstance(error, EngineError) and error.text == "one two "
    assert "cut" in error.message


def test_timeout(server):
    server.script(Reply(stall_s=1.5))
    (event,) = list(backend(server, timeout_s=0.3).generate(ask()))
    assert "did not answer in time" in event.message


def test_offline_connection_refused():
    b = MistralBackend("k", "pixtral-large-latest", server_url=f"http://127.0.0.1:{free_port()}")
    (event,) = list(b.generate(ask()))
    assert "Cannot reach La Plateforme" in event.message


@pytest.mark.parametrize(
    # "a\n": a text ending in a character of no form of the key is not held back.
    "reply",
    [Reply(tokens=("a\n", *"bcdefgh"), delay_s=SLOW_S), Reply(stall_s=SLOW_S)],
)
def test_cancel_ends_the_turn_without_waiting_for_the_server(server, reply):
    """The caller's loop looks at the flag every ``remote_common.POLL_S`` (50 ms, the README's
    300 ms bound) whatever the stream does; here the server would take 30 s to say more."""
    server.script(reply)
    b = backend(server)
    events = b.generate(ask())
    if reply.delay_s:
        assert next(events) == Token("a\n")
    start = time.monotonic()
    cancel_once_asked(server, b)
    rest = list(events)
    assert time.monotonic() - start < SLOW_S / 3
    assert rest[-1].reason is FinishReason.CANCELLED
    assert isinstance(rest[-2], Usage)


def test_cancel_during_rate_limit_wait(server):
    server.script(Reply(status=429, headers={"retry-after": str(int(SLOW_S))}))
    b = backend(server, max_wait_s=SLOW_S)
    cancel_once_asked(server, b)
    start = time.monotonic()
    events = list(b.generate(ask()))
    assert time.monotonic() - start < SLOW_S / 3  # the wait was cut short, not waited out
    assert events[-1].reason is FinishReason.CANCELLED
    assert len(server.chat_requests()) == 1  # and nothing was retried
