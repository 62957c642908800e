"""OpenAI-style replies of other shapes: the real variants are read, the rest is one error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.conversation import Message
from app.engine.base import EngineError, ErrorKind, Finished, GenerationRequest
from app.engine.openai_compat import OpenAICompatBackend
from app.engine.openai_events import openai_chunks, parse_event, sse_lines
from app.engine.remote_common import Chunk
from app.engine.remote_errors import MALFORMED, HttpFailure, NetworkFailure
from tests.engine.fake_servers import FakeChatServer, Reply


def sse(*events: Any) -> list[bytes]:
    return [b"data: " + json.dumps(event).encode() + b"\n\n" for event in events]


def read(*events: Any) -> list[Chunk]:
    return list(openai_chunks(sse(*events)))


def test_real_variants_are_read():
    parts = {"choices": [{"delta": {"content": [{"type": "text", "text": "a"}, "b"]}}]}
    assert read(parts)[0].text == "ab"
    assert read({"choices": [{"delta": None, "finish_reason": "stop"}]}) == [Chunk("", "stop")]
    assert read({"choices": [{"message": {"content": "whole"}}]})[0].text == "whole"
    assert read({"choices": None}) == read({}) == [Chunk()]
    usage = {"prompt_tokens": "12", "completion_tokens": 3.0, "prompt_tokens_details": None}
    assert read({"choices": [], "usage": usage}) == [Chunk("", None, 12, 3, 0)]
    assert read({"usage": {"prompt_tokens": "many"}}) == [Chunk()]  # unknown, not zero
    skipped = [{"type": "image_url", "image_url": "x"}, {"type": "text", "text": "c"}]
    assert read({"choices": [{"delta": {"content": skipped}}]})[0].text == "c"


@pytest.mark.parametrize(
    "event",
    [
        {"choices": "hello"},
        {"choices": ["hello"]},
        {"choices": [{"delta": "hello"}]},
        {"choices": [{"delta": {"content": 42}}]},
        {"choices": [{"delta": {"content": [42]}}]},
        {"choices": [{"finish_reason": 1}]},
        [1, 2],
        "text",
        None,
    ],
)
def test_other_shapes_are_one_clear_error(event):
    with pytest.raises(NetworkFailure) as caught:
        read(event)
    assert caught.value.reason == "malformed" and MALFORMED in caught.value.detail


def test_in_band_errors_keep_their_status():
    with pytest.raises(HttpFailure) as caught:
        parse_event({"error": {"code": "429", "message": "slow down"}})
    assert caught.value.status == 429
    with pytest.raises(HttpFailure) as caught:
        parse_event({"error": "boom"})
    assert caught.value.status == 500


def test_lines_split_on_every_ending_across_chunks():
    assert list(sse_lines([b"a\r", b"\nb\rc", b"\n\nd"])) == ["a", "b", "c", "", "d"]


def test_a_server_answering_another_shape_gives_a_message_not_a_traceback():
    def shaped(event: Any):
        return lambda: iter([*sse(event), b"data: [DONE]\n\n"])

    request = GenerationRequest([Message.user("hi")])
    with FakeChatServer("openai") as srv:
        parts = [{"type": "text", "text": "ok"}]
        srv.script(
            Reply(raw=shaped({"choices": [{"delta": {"content": parts}, "finish_reason": "stop"}]}))
        )
        backend = OpenAICompatBackend(srv.url + "/v1", "m", max_retries=0)
        assert list(backend.generate(request))[-1] == Finished("stop", "ok")
        srv.script(Reply(raw=shaped({"choices": "not a list"})))
        (error,) = list(backend.generate(request))
        assert isinstance(error, EngineError) and error.kind is ErrorKind.SERVER
        assert error.message.startswith(MALFORMED[:-1])


# -- property: anything a server sends is text or that one error ----------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
_keys = st.sampled_from(
    ["choices", "delta", "message", "content", "text", "type", "finish_reason", "usage",
     "prompt_tokens", "completion_tokens", "prompt_tokens_details", "cached_tokens", "error",
     "code"]
)  # fmt: skip
# Values shaped like chat chunks (the known keys, nested), so the deep branches are reached.
_chunkish = st.recursive(
    st.none() | st.integers() | st.text(max_size=6) | st.just("text"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=25,
)


def _outcome(chunks: Iterator[bytes]) -> list[str]:
    texts = []
    try:
        for chunk in openai_chunks(chunks):
            assert isinstance(chunk, Chunk) and isinstance(chunk.text, str)
            texts.append(chunk.text)
    except NetworkFailure as failure:
        assert failure.reason == "malformed"
    except HttpFailure as failure:  # an in-band error object
        assert 400 <= failure.status <= 599
    return texts


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_json | _chunkish, max_size=5))
def test_any_json_event_is_text_or_the_one_error(events):
    _outcome(iter(sse(*events)))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.binary(max_size=64) | st.sampled_from([b"data: ", b"\n", b"\r", b"[DONE]", b"{"]),
        max_size=12,
    )
)
def test_any_bytes_are_text_or_the_one_error(chunks):
    _outcome(iter(chunks))
