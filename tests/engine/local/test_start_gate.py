"""The start gate, through the real backend on the tiny pair: a backend built by a model switch
(``start_after``) and replaced before it started never starts a worker, and whatever waited
for one ends at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from app.core.conversation import Message
from app.engine.base import EngineError, Finished, FinishReason, GenerationRequest, Sampling
from app.engine.local.backend import LocalBackend
from app.engine.local.protocol import Loaded
from app.engine.local.start_gate import SWITCHED
from tests.engine.local.configs import tiny_config
from tests.fixtures.pixtral_gguf import GgufPair

REQUEST = GenerationRequest([Message.user("hello")], sampling=Sampling(0.0, 1.0, 4, 0))


def _in_thread(work) -> tuple[threading.Thread, list[object]]:
    events: list[object] = []
    thread = threading.Thread(target=lambda: events.extend(work()), daemon=True)
    thread.start()
    return thread, events


def _switched_in(pair: GgufPair, tmp_path: Path) -> tuple[LocalBackend, threading.Event]:
    backend = LocalBackend(tiny_config(pair), log_path=tmp_path / "engine.log")
    predecessor_gone = threading.Event()  # the predecessor's worker is still ending
    backend.start_after(predecessor_gone)
    return backend, predecessor_gone


def test_a_superseded_backend_ends_its_waiting_load_and_turn_and_never_starts(
    tiny_pair: GgufPair, tmp_path: Path
) -> None:
    backend, predecessor_gone = _switched_in(tiny_pair, tmp_path)
    loading, loaded = _in_thread(lambda: list(backend.load()))
    turn, answered = _in_thread(lambda: list(backend.generate(REQUEST)))
    time.sleep(0.3)
    assert loading.is_alive() and turn.is_alive()  # both wait for the predecessor
    began = time.monotonic()
    assert backend.supersede()
    loading.join(2.0)
    turn.join(2.0)
    assert not loading.is_alive() and not turn.is_alive()
    assert time.monotonic() - began < 1.0  # at once, not when the predecessor ends
    assert loaded[-1] == Finished(FinishReason.CANCELLED, "")  # a preload ends quietly
    assert isinstance(answered[-1], EngineError) and answered[-1].message == SWITCHED.message
    predecessor_gone.set()
    assert list(backend.load())[-1] == Finished(FinishReason.CANCELLED, "")  # still nothing
    assert backend._process is None
    backend.close()


def test_a_running_backend_is_not_superseded(tiny_pair: GgufPair, tmp_path: Path) -> None:
    backend, predecessor_gone = _switched_in(tiny_pair, tmp_path)
    predecessor_gone.set()
    try:
        assert isinstance(list(backend.load())[-1], Loaded)
        assert not backend.supersede()  # its worker runs: closing it is close's work
        assert backend._process.is_alive()  # type: ignore[union-attr]
        assert isinstance(list(backend.generate(REQUEST))[-1], Finished)
    finally:
        backend.close()


def test_closing_a_waiting_backend_ends_its_wait_at_once_and_it_never_starts(
    tiny_pair: GgufPair, tmp_path: Path
) -> None:
    """Quitting while the new model waits for the old one: nothing is left to start."""
    waiting, predecessor_gone = _switched_in(tiny_pair, tmp_path)
    loading, loaded = _in_thread(lambda: list(waiting.load()))
    time.sleep(0.3)
    waiting.close()  # quitting while it waits
    loading.join(2.0)
    assert not loading.is_alive() and loaded[-1] == Finished(FinishReason.CANCELLED, "")
    predecessor_gone.set()
    answer = list(waiting.generate(REQUEST))[-1]
    assert isinstance(answer, EngineError) and answer.message == SWITCHED.message
    assert waiting._process is None
