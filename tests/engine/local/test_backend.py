"""The local backend against the real llama.cpp, on a tiny random-weight Pixtral pair.

Answers are gibberish; what is asserted is structure: events, counts from the engine's own
counters, cache reuse, cancel latency, crash isolation.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest

from app.core.conversation import Message
from app.core.images import Detail, PreparedImage, prepare_image
from app.engine.base import (
    EngineError,
    ErrorKind,
    Finished,
    FinishReason,
    GenerationRequest,
    Loading,
    Prefill,
    Sampling,
    Token,
    Usage,
)
from app.engine.local import backend as backend_module
from app.engine.local.backend import LocalBackend
from app.engine.local.protocol import CacheStats, Counted, Loaded
from tests.engine.local.configs import tiny_config
from tests.fixtures.pixtral_gguf import CRASHING_TENSOR, GgufPair, write_pixtral_pair

GREEDY = Sampling(temperature=0.0, max_tokens=12, seed=1)


def _image(width: int, height: int, seed: int = 0, detail: str = "native") -> PreparedImage:
    import random

    from PIL import Image

    rng = random.Random(seed)
    img = Image.new("RGB", (width, height))
    img.putdata(
        [
            (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            for _ in range(width * height)
        ]
    )
    import io

    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return prepare_image(buffer.getvalue(), detail, name=f"{width}x{height}.png")


def _run(engine: LocalBackend, request: GenerationRequest) -> list[object]:
    return list(engine.generate(request))


def _usage(events: list[object]) -> Usage:
    usages = [e for e in events if isinstance(e, Usage)]
    assert len(usages) == 1, events
    return usages[0]


def _stats(engine: LocalBackend) -> CacheStats:
    stats = engine.stats()
    assert isinstance(stats, CacheStats), stats
    return stats


def test_streams_an_answer_about_two_images_of_different_shapes(backend: LocalBackend) -> None:
    wide, tall = _image(120, 40, 1), _image(30, 100, 2)
    request = GenerationRequest([Message.user("Compare these", [wide, tall])], sampling=GREEDY)
    events = _run(backend, request)
    tokens = [e for e in events if isinstance(e, Token)]
    finished = events[-1]
    assert isinstance(finished, Finished), events[-3:]
    assert finished.reason in (FinishReason.STOP, FinishReason.LENGTH)
    assert finished.text == "".join(t.text for t in tokens)
    usage = _usage(events)
    assert usage.image_tokens == (wide.tokens, tall.tokens)
    assert usage.images_encoded == 2
    assert usage.backend == "local" and usage.device == "CPU"
    assert usage.prompt_tokens == usage.cached_tokens + usage.evaluated_tokens
    assert 0 < usage.generated_tokens <= GREEDY.max_tokens
    assert any(isinstance(e, Prefill) and e.images_total == 2 for e in events)


def test_same_request_twice_gives_the_same_answer(backend: LocalBackend) -> None:
    request = GenerationRequest(
        [Message.user("Say something", [_image(48, 48, 3)])], sampling=GREEDY
    )
    first = _run(backend, request)[-1]
    second = _run(backend, request)[-1]
    assert isinstance(first, Finished) and isinstance(second, Finished)
    assert first.text == second.text


def test_follow_up_turn_evaluates_only_what_is_new(backend: LocalBackend) -> None:
    images = [_image(64, 32, 10), _image(32, 80, 11)]
    turn1 = [Message.user("First question", images)]
    events1 = _run(backend, GenerationRequest(turn1, sampling=GREEDY))
    answer = events1[-1]
    assert isinstance(answer, Finished)
    before = _stats(backend)

    turn2 = [
        *turn1,
        Message.assistant(answer.text),
        Message.user("And a follow-up?", [_image(40, 40, 12)]),
    ]
    events2 = _run(backend, GenerationRequest(turn2, sampling=GREEDY))
    usage = _usage(events2)
    after = _stats(backend)
    # Everything up to the end of the first turn's prompt is reused; the two old images are not
    # encoded again, only the new one.
    first_prompt = _usage(events1).prompt_tokens
    assert usage.cached_tokens >= first_prompt
    assert usage.images_encoded == 1
    assert after.images_encoded - before.images_encoded == 1
    assert after.tokens_evaluated - before.tokens_evaluated == usage.evaluated_tokens
    assert usage.evaluated_tokens < usage.prompt_tokens // 2


def test_regenerate_reuses_all_but_the_last_prompt_token(backend: LocalBackend) -> None:
    request = GenerationRequest(
        [Message.user("Regenerate me", [_image(50, 50, 20)])], sampling=Sampling(0.8, 0.9, 8, 5)
    )
    _run(backend, request)
    again = _run(backend, GenerationRequest(request.messages, sampling=Sampling(0.8, 0.9, 8, 6)))
    usage = _usage(again)
    assert usage.cached_tokens == usage.prompt_tokens - 1
    assert usage.evaluated_tokens == 1
    assert usage.images_encoded == 0


def test_editing_an_earlier_turn_reuses_the_common_prefix(backend: LocalBackend) -> None:
    photo = _image(64, 64, 30)
    original = [
        Message.user("Describe", [photo]),
        Message.assistant("It is noise."),
        Message.user("Why?"),
    ]
    _run(backend, GenerationRequest(original, sampling=GREEDY))
    edited = [
        Message.user("Describe", [photo]),
        Message.assistant("It is noise."),
        Message.user("How come?"),
    ]
    usage = _usage(_run(backend, GenerationRequest(edited, sampling=GREEDY)))
    # BOS, [INST], the image block and its [IMG_END], "Describe", [/INST], the answer, </s>, [INST]
    assert usage.cached_tokens >= 2 + photo.tokens + 1
    assert usage.images_encoded == 0
    # An edit before the image invalidates its KV positions, but the encoder output is kept.
    later = [Message.user("Hi"), Message.assistant("Hello"), Message.user("Describe", [photo])]
    _run(backend, GenerationRequest(later, sampling=GREEDY))
    edited_first = [
        Message.user("Yo"),
        Message.assistant("Hello"),
        Message.user("Describe", [photo]),
    ]
    usage = _usage(_run(backend, GenerationRequest(edited_first, sampling=GREEDY)))
    assert usage.images_encoded == 0
    assert usage.cached_tokens == 2  # <s>[INST]
    assert usage.evaluated_tokens == usage.prompt_tokens - 2


def test_predicted_image_tokens_equal_the_engines_count(backend: LocalBackend) -> None:
    import random

    rng = random.Random(7)
    sizes = [
        (1, 1),
        (15, 15),
        (16, 16),
        (17, 16),
        (17, 3000),
        (3000, 17),
        (4000, 3000),
        (3000, 4000),
        (1023, 1025),
        (1025, 1023),
        (1024, 1024),
        (1024, 1),
        (5000, 100),
        (100, 5000),
        (31, 33),
        (640, 480),
        (1920, 1080),
        (1080, 1920),
        (2560, 1440),
        (800, 600),
        (333, 777),
        (48, 2000),
        (12000, 300),
        (300, 12000),
        (513, 511),
        (255, 257),
        (1, 4000),
        (4000, 1),
        (1500, 1500),
        (999, 1),
    ]
    sizes += [(rng.randint(1, 3000), rng.randint(1, 3000)) for _ in range(14)]
    import io

    from PIL import Image

    prepared = []
    for width, height in sizes:
        buffer = io.BytesIO()
        Image.new("RGB", (width, height), (9, 99, 199)).save(buffer, format="PNG")
        detail = rng.choice(list(Detail))
        prepared.append(prepare_image(buffer.getvalue(), detail, name=f"{width}x{height}"))
    counted = backend.count_tokens(GenerationRequest([Message.user("count", prepared)]))
    assert isinstance(counted, Counted), counted
    assert len(sizes) >= 40
    assert list(counted.image_tokens) == [image.tokens for image in prepared]
    # And a real generation reports the same counts in its usage.
    subset = prepared[:4]
    usage = _usage(
        _run(
            backend, GenerationRequest([Message.user("go", subset)], sampling=Sampling(0, 1, 1, 0))
        )
    )
    assert list(usage.image_tokens) == [image.tokens for image in subset]


# Cancel within 300 ms is two mechanisms, tested as such rather than timed (a wall-clock limit
# on a busy 2-core machine measures the machine): the worker checks the shared flag between
# tokens, batches and images and answers with what it has; and where it is inside a C call that
# does not look (loading), the backend kills it after CANCEL_GRACE_S.


@pytest.fixture
def flag_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No kill to fall back on: a cancel that ends the turn came from the worker seeing the
    flag, however slow the machine is."""
    monkeypatch.setattr(backend_module, "CANCEL_GRACE_S", 600.0)


def test_the_kill_after_the_grace_ends_a_cancel_within_300_ms() -> None:
    assert backend_module.CANCEL_GRACE_S + backend_module.POLL_S < 0.3


def test_cancel_during_decode_keeps_the_partial_answer(
    backend: LocalBackend, flag_only: None
) -> None:
    request = GenerationRequest(
        [Message.user("Talk for a long time")], sampling=Sampling(0.7, 0.95, 3000, 1)
    )
    worker = _loaded_worker(backend)
    seen: list[str] = []
    finished: Finished | None = None
    for event in backend.generate(request):
        if isinstance(event, Token):
            seen.append(event.text)
            if len(seen) == 5:
                backend.cancel()
        elif isinstance(event, Finished):
            finished = event
    assert finished is not None and finished.reason is FinishReason.CANCELLED
    assert finished.text == "".join(seen)  # the worker's own answer: it saw the flag
    assert len(seen) < 3000
    assert backend._process is worker and worker.is_alive()  # nobody killed it


def _loaded_worker(backend: LocalBackend) -> object:
    """The worker process, after making sure the model is loaded in it."""
    assert isinstance(backend._last(backend.load()), Loaded)
    return backend._process


def _cancel_when(
    backend: LocalBackend, request: GenerationRequest, trigger
) -> tuple[Finished, float]:
    cancelled_at = None
    finished = None
    for event in backend.generate(request):
        if cancelled_at is None and trigger(event):
            cancelled_at = time.monotonic()
            backend.cancel()
        if isinstance(event, (Finished, EngineError)):
            finished = event
    assert cancelled_at is not None, "the phase to cancel in never came"
    assert isinstance(finished, Finished), finished
    return finished, time.monotonic() - cancelled_at


def test_cancel_during_prefill(backend: LocalBackend, flag_only: None) -> None:
    long_text = " ".join(f"word{i}" for i in range(500))
    request = GenerationRequest([Message.user(long_text)], sampling=GREEDY)
    worker = _loaded_worker(backend)
    finished, _latency = _cancel_when(
        backend, request, lambda e: isinstance(e, Prefill) and 0 < e.tokens_done < e.tokens_total
    )
    assert finished.reason is FinishReason.CANCELLED and finished.text == ""
    assert backend._process is worker and worker.is_alive()  # the worker stopped by itself
    # The engine is usable right after, and what was prefilled before the cancel is reused.
    usage = _usage(_run(backend, request))
    assert usage.cached_tokens > 0


def test_cancel_during_image_encoding(backend: LocalBackend, flag_only: None) -> None:
    images = [_image(256, 256, 40 + i) for i in range(4)]
    request = GenerationRequest([Message.user("Look", images)], sampling=GREEDY)
    worker = _loaded_worker(backend)
    finished, _latency = _cancel_when(
        backend,
        request,
        lambda e: isinstance(e, Prefill) and e.images_total == 4 and e.images_done < 4,
    )
    assert finished.reason is FinishReason.CANCELLED
    assert backend._process is worker and worker.is_alive()  # it looked between images
    assert isinstance(_run(backend, request)[-1], Finished)


def test_cancel_during_model_load(
    tiny_pair: GgufPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading does not look at the flag: the worker is killed after the grace, and the next
    message starts a new one.

    The tiny model loads in ~0.3 s, barely longer than the grace: once (CI), it loaded within
    it, the cancel ended the turn that followed and nothing was killed. With no grace the kill
    comes at the next poll (10 ms), long before a spawned worker can have loaded anything."""
    monkeypatch.setattr(backend_module, "CANCEL_GRACE_S", 0.0)
    engine = LocalBackend(tiny_config(tiny_pair), log_path=tmp_path / "engine.log")
    loading: list[object] = []

    def starting(event: object) -> bool:
        if isinstance(event, Loading):
            loading.append(engine._process)
        return bool(loading)

    try:
        request = GenerationRequest([Message.user("hi")], sampling=GREEDY)
        finished, _latency = _cancel_when(engine, request, starting)
        assert finished.reason is FinishReason.CANCELLED
        worker = loading[0]
        assert worker is not None
        worker.join(timeout=10)  # killed; its exit status is there once it has been reaped
        assert worker.exitcode == -signal.SIGKILL
        assert isinstance(_run(engine, request)[-1], Finished)
    finally:
        engine.close()


def test_cancel_from_another_thread(backend: LocalBackend) -> None:
    request = GenerationRequest(
        [Message.user("Go on")], sampling=Sampling(0.7, 0.95, 100_000 // 40, 3)
    )
    timer = threading.Timer(0.05, backend.cancel)
    timer.start()
    events = _run(backend, request)
    timer.join()
    assert isinstance(events[-1], Finished)


def test_a_crashing_mmproj_kills_the_worker_not_the_app(
    tiny_pair: GgufPair, tmp_path: Path
) -> None:
    broken = write_pixtral_pair(tmp_path / "broken", corrupt_tensor=CRASHING_TENSOR)
    engine = LocalBackend(tiny_config(broken), log_path=tmp_path / "engine.log")
    try:
        request = GenerationRequest([Message.user("look", [_image(32, 32, 50)])], sampling=GREEDY)
        events = _run(engine, request)
        error = events[-1]
        assert isinstance(error, EngineError), events
        assert error.kind is ErrorKind.CRASH
        assert "crashed" in error.message and "conversation is safe" in error.message
        assert "SIGABRT" in error.message
        assert "GGML_ASSERT" in error.detail
        # The next request starts a fresh worker; with good files it answers.
        engine.config = tiny_config(tiny_pair)
        assert isinstance(_run(engine, request)[-1], Finished)
    finally:
        engine.close()


def test_a_killed_worker_is_reported_as_out_of_memory_and_restarted(
    tiny_pair: GgufPair, tmp_path: Path
) -> None:
    engine = LocalBackend(tiny_config(tiny_pair), log_path=tmp_path / "engine.log")
    try:
        request = GenerationRequest([Message.user("hi")], sampling=Sampling(0.7, 0.95, 3000, 1))
        events = []
        for event in engine.generate(request):
            events.append(event)
            if isinstance(event, Token) and len(events) > 3 and engine._process is not None:
                engine._process.kill()  # what the kernel's OOM killer does
        error = events[-1]
        assert isinstance(error, EngineError) and error.kind is ErrorKind.OUT_OF_MEMORY
        assert error.text  # the partial answer is kept
        assert isinstance(
            _run(engine, GenerationRequest([Message.user("again")], sampling=GREEDY))[-1], Finished
        )
    finally:
        engine.close()


def test_context_overflow_is_refused_with_the_numbers(tiny_pair: GgufPair, tmp_path: Path) -> None:
    engine = LocalBackend(tiny_config(tiny_pair, n_ctx=512), log_path=tmp_path / "engine.log")
    try:
        big = _image(1024, 1024, 60)  # 64 × 65 = 4,160 tokens
        events = _run(engine, GenerationRequest([Message.user("too big", [big])], sampling=GREEDY))
        error = events[-1]
        assert isinstance(error, EngineError) and error.kind is ErrorKind.CONTEXT_OVERFLOW
        assert "tokens over" in error.message and "lower the image detail" in error.message
        assert not any(isinstance(e, Token) for e in events)
    finally:
        engine.close()


def test_images_without_an_mmproj_are_refused(tiny_pair: GgufPair, tmp_path: Path) -> None:
    config = tiny_config(tiny_pair, mmproj_path=None)
    engine = LocalBackend(config, log_path=tmp_path / "engine.log")
    try:
        events = _run(
            engine, GenerationRequest([Message.user("see", [_image(16, 16)])], sampling=GREEDY)
        )
        assert isinstance(events[-1], EngineError) and "mmproj" in events[-1].message
        # Text-only chat still works with a text-only model.
        assert isinstance(
            _run(engine, GenerationRequest([Message.user("hi")], sampling=GREEDY))[-1], Finished
        )
    finally:
        engine.close()


def test_quantized_kv_cache_turns_on_flash_attention_and_answers(
    tiny_pair: GgufPair, tmp_path: Path
) -> None:
    from app.core.budget import KvType

    log = tmp_path / "engine.log"
    engine = LocalBackend(tiny_config(tiny_pair, kv_type=KvType.Q8_0, n_ctx=1024), log_path=log)
    try:
        events = _run(
            engine, GenerationRequest([Message.user("hi", [_image(32, 48, 70)])], sampling=GREEDY)
        )
        assert isinstance(events[-1], Finished)
        assert _usage(events).n_ctx == 1024
        assert "flash attention is enabled" in log.read_text(errors="replace")
    finally:
        engine.close()
