"""Images cross the pipe to the worker once, then by hash; against the real llama.cpp.

Runs the tiny random-weight pair. What crosses the pipe is read from the backend's own
counters (``LocalBackend.wire``: pickled bytes written, images with pixels, images named by
hash, resends). Answers are compared, greedy, with a worker that was sent every image's pixels
on every call through the same sequence of requests, so its KV cache took the same path.

The random model's answers do not depend on image content (its image embeddings are tiny next
to its token embeddings: four different pairs of images gave the same answer), so the answers
alone cannot show the worker read the right image. Every image here has its own patch grid,
and ``Usage.image_tokens`` (mtmd's count, from the pixels the worker actually used, in prompt
order) must list them in order; swapped, lost or stale pixels show there.
"""

from __future__ import annotations

import dataclasses
import io
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from app.core.conversation import Message
from app.core.images import PreparedImage, prepare_image
from app.engine.base import Finished, FinishReason, GenerationRequest, Prefill, Sampling, Usage
from app.engine.local.backend import LocalBackend
from app.engine.local.protocol import Counted
from app.engine.local.wire import WireStats
from tests.engine.local.configs import tiny_config
from tests.fixtures.pixtral_gguf import GgufPair

GREEDY = Sampling(temperature=0.0, max_tokens=12, seed=1)
NAME_BYTES = 4096
"""Generous bound on what a command costs without pixels (text, control pieces, names)."""


def _image(width: int, height: int, seed: int) -> PreparedImage:
    noise = random.Random(seed).randbytes(width * height * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (width, height), noise).save(buffer, format="PNG")
    return prepare_image(buffer.getvalue(), "native", name=f"noise-{seed}.png")


A, B, C = _image(64, 48, 1), _image(40, 72, 2), _image(80, 32, 3)
TURN1 = [Message.user("Compare these two", [A, B])]


def _turn2(answer1: str) -> list[Message]:
    return [*TURN1, Message.assistant(answer1), Message.user("And this one?", [C])]


def _answer(engine: LocalBackend, messages: list[Message]) -> tuple[str, WireStats]:
    """The answer and what crossed the pipe; checks the worker read the messages' images."""
    before = engine.wire.snapshot()
    events = list(engine.generate(GenerationRequest(messages, sampling=GREEDY)))
    finished = events[-1]
    assert isinstance(finished, Finished), events[-3:]
    usages = [event for event in events if isinstance(event, Usage)]
    assert len(usages) == 1, events
    expected = tuple(image.tokens for message in messages for image in message.images)
    assert usages[0].image_tokens == expected
    return finished.text, engine.wire.since(before)


def _engine(pair: GgufPair, folder: Path, **overrides: object) -> LocalBackend:
    return LocalBackend(tiny_config(pair, **overrides), log_path=folder / "engine.log")


@pytest.fixture(scope="module")
def reference(tiny_pair: GgufPair, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """Turns 1 and 2 answered by a worker sent every image's pixels on every call."""
    engine = _engine(tiny_pair, tmp_path_factory.mktemp("reference"))
    try:
        text1, sent1 = _answer(engine, TURN1)
        engine._images.forget_all()  # the app's side forgets; the worker is the same process
        text2, sent2 = _answer(engine, _turn2(text1))
    finally:
        engine.close()
    assert (sent1.images_sent, sent2.images_sent, sent2.images_named) == (2, 3, 0)
    return text1, text2


@pytest.fixture(scope="module")
def fresh_turn2(
    tiny_pair: GgufPair, tmp_path_factory: pytest.TempPathFactory, reference: tuple[str, str]
) -> str:
    """Turn 2's whole prompt read by a new worker (what any restarted worker must answer)."""
    engine = _engine(tiny_pair, tmp_path_factory.mktemp("fresh"))
    try:
        return _answer(engine, _turn2(reference[0]))[0]
    finally:
        engine.close()


@pytest.fixture
def engine(tiny_pair: GgufPair, tmp_path: Path) -> Iterator[LocalBackend]:
    backend = _engine(tiny_pair, tmp_path)
    yield backend
    backend.close()


def test_a_follow_up_names_held_images_instead_of_sending_their_pixels(
    engine: LocalBackend, reference: tuple[str, str]
) -> None:
    text1, sent1 = _answer(engine, TURN1)
    assert (sent1.images_sent, sent1.images_named) == (2, 0)
    assert sent1.pixel_bytes_sent == len(A.rgb) + len(B.rgb)
    assert sent1.bytes_sent > sent1.pixel_bytes_sent

    text2, sent2 = _answer(engine, _turn2(text1))
    assert (sent2.images_sent, sent2.images_named, sent2.resends) == (1, 2, 0)
    assert sent2.pixel_bytes_sent == len(C.rgb)
    assert sent2.bytes_sent < len(C.rgb) + NAME_BYTES
    assert (text1, text2) == reference

    # The context meter's count of the same conversation sends no pixels at all.
    before = engine.wire.snapshot()
    counted = engine.count_tokens(GenerationRequest(_turn2(text1)))
    sent = engine.wire.since(before)
    assert isinstance(counted, Counted), counted
    assert counted.image_tokens == (A.tokens, B.tokens, C.tokens)
    assert (sent.images_sent, sent.images_named, sent.commands) == (0, 3, 1)
    assert sent.bytes_sent < NAME_BYTES


def test_the_same_image_twice_in_one_prompt_goes_with_its_pixels_once(
    engine: LocalBackend,
) -> None:
    _text, sent = _answer(engine, [Message.user("Same twice", [A, A])])
    assert (sent.images_sent, sent.images_named) == (1, 1)


def test_a_restarted_worker_is_sent_the_pixels_again(
    engine: LocalBackend, reference: tuple[str, str], fresh_turn2: str
) -> None:
    text1, _sent = _answer(engine, TURN1)
    assert engine._process is not None
    engine._process.kill()  # a crash or the OOM killer, between two turns
    engine._process.join(5)
    text2, sent = _answer(engine, _turn2(text1))
    assert (sent.images_sent, sent.images_named, sent.resends) == (3, 0, 0)
    assert text2 == fresh_turn2
    assert text1 == reference[0]
    # And the new worker's images are named again on the next call.
    _text, sent = _answer(engine, _turn2(text1))
    assert (sent.images_sent, sent.images_named) == (0, 3)


def test_a_model_change_keeps_the_worker_and_its_images(
    engine: LocalBackend, reference: tuple[str, str], fresh_turn2: str
) -> None:
    text1, _sent = _answer(engine, TURN1)
    pid = engine._process.pid if engine._process else None
    engine.config = dataclasses.replace(engine.config, image_cache_mb=64)
    text2, sent = _answer(engine, _turn2(text1))
    assert engine._process is not None and engine._process.pid == pid  # reloaded in place
    assert (sent.images_sent, sent.images_named, sent.resends) == (1, 2, 0)
    assert text2 == fresh_turn2  # a new llama.cpp session reads the whole prompt


def test_an_image_the_worker_does_not_hold_is_asked_for_and_sent(
    engine: LocalBackend, reference: tuple[str, str]
) -> None:
    text1, _sent = _answer(engine, TURN1)
    # The app believes the worker holds C, which it never received: what a lost report or any
    # bookkeeping slip would look like. The worker must say so, and get the pixels.
    engine._images.held.add(C.sha256)
    text2, sent = _answer(engine, _turn2(text1))
    assert sent.resends == 1
    assert (sent.images_sent, sent.images_named) == (1, 3 + 2)
    assert sent.commands == 2
    assert text2 == reference[1]

    # The same for the context meter's count.
    d = _image(16, 16, 9)
    engine._images.held.add(d.sha256)
    before = engine.wire.snapshot()
    counted = engine.count_tokens(GenerationRequest([Message.user("x", [A, d])]))
    sent = engine.wire.since(before)
    assert isinstance(counted, Counted), counted
    assert counted.image_tokens == (A.tokens, d.tokens)
    assert (sent.resends, sent.images_sent) == (1, 1)


def test_the_worker_keeps_pixels_within_its_budget_and_says_what_it_drops(
    tiny_pair: GgufPair, tmp_path: Path
) -> None:
    # A 0 MB budget keeps only the images of the request in hand.
    engine = _engine(tiny_pair, tmp_path, pixel_cache_mb=0)
    try:
        _text, sent = _answer(engine, [Message.user("chat one", [A])])
        assert sent.images_sent == 1
        _text, sent = _answer(engine, [Message.user("chat two", [B, C])])
        assert sent.images_sent == 2
        # A was let go and the app was told: its pixels go again with no round trip.
        _text, sent = _answer(engine, [Message.user("chat one", [A])])
        assert (sent.images_sent, sent.images_named, sent.resends) == (1, 0, 0)
        _text, sent = _answer(engine, [Message.user("chat one again", [A])])
        assert (sent.images_sent, sent.images_named) == (0, 1)
    finally:
        engine.close()


def test_cancel_while_reading_images_then_ask_again(engine: LocalBackend) -> None:
    images = [_image(256 - 16 * i, 256, 40 + i) for i in range(4)]
    request = GenerationRequest([Message.user("Look", images)], sampling=GREEDY)
    events = []
    for event in engine.generate(request):
        events.append(event)
        if isinstance(event, Prefill) and event.images_total == 4 and event.images_done < 4:
            engine.cancel()
    assert any(isinstance(event, Prefill) for event in events)
    assert isinstance(events[-1], Finished)
    assert events[-1].reason is FinishReason.CANCELLED
    killed = not engine._alive()  # the encoder did not stop within the grace period
    before = engine.wire.snapshot()
    again = list(engine.generate(request))
    sent = engine.wire.since(before)
    assert isinstance(again[-1], Finished), again[-3:]
    usage = next(event for event in again if isinstance(event, Usage))
    assert usage.image_tokens == tuple(image.tokens for image in images)
    # A new worker gets every image's pixels; the same worker holds them all already.
    expected = (4, 0) if killed else (0, 4)
    assert (sent.images_sent, sent.images_named, sent.resends) == (*expected, 0), killed
