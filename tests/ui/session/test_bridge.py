"""Engine events arrive as signals on the GUI thread; slow work runs off it."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QThread

from app.core.conversation import Message
from app.engine.base import Finished, FinishReason, GenerationRequest, Sampling
from app.engine.local.backend import LocalBackend
from app.engine.local.protocol import LocalEngineConfig
from app.ui.common.background import run_in_background
from app.ui.session.bridge import EngineBridge
from tests.fixtures.pixtral_gguf import GgufPair


def _backend(pair: GgufPair, tmp_path: Path) -> LocalBackend:
    config = LocalEngineConfig(str(pair.model), str(pair.mmproj), n_ctx=4096, n_threads=2)
    return LocalBackend(config, log_path=tmp_path / "engine.log")


def test_a_generation_streams_into_gui_thread_signals(
    qtbot, tiny_pair: GgufPair, tmp_path: Path
) -> None:
    backend = _backend(tiny_pair, tmp_path)
    bridge = EngineBridge()
    tokens: list[str] = []
    threads: set[bool] = set()

    def on_token(text: str) -> None:
        tokens.append(text)
        threads.add(QThread.currentThread() is bridge.thread())

    bridge.token_received.connect(on_token)
    rates: list[float] = []
    bridge.decode_rate_changed.connect(rates.append)
    request = GenerationRequest([Message.user("hello")], sampling=Sampling(0.0, 1.0, 200, 0))
    try:
        with qtbot.waitSignal(bridge.reply_finished, timeout=30_000) as finished:
            bridge.start(backend, request)
        result: Finished = finished.args[0]
        assert result.text == "".join(tokens)
        assert threads == {True}
        assert bridge.wait()
        assert all(rate > 0 for rate in rates)
    finally:
        backend.close()


def test_stop_keeps_the_partial_answer(qtbot, tiny_pair: GgufPair, tmp_path: Path) -> None:
    backend = _backend(tiny_pair, tmp_path)
    bridge = EngineBridge()
    bridge.token_received.connect(lambda _t: bridge.stop())
    request = GenerationRequest([Message.user("go on")], sampling=Sampling(0.8, 0.95, 3000, 1))
    try:
        with qtbot.waitSignal(bridge.reply_finished, timeout=30_000) as finished:
            bridge.start(backend, request)
        assert finished.args[0].reason is FinishReason.CANCELLED
        assert finished.args[0].text
    finally:
        bridge.wait()
        backend.close()


def test_run_in_background_calls_back_on_the_gui_thread(qtbot) -> None:
    worker_threads: list[int] = []
    results: list[tuple[int, bool]] = []

    def work() -> int:
        worker_threads.append(threading.get_ident())
        return 42

    def done(value: int) -> None:
        results.append((value, threading.get_ident() == main_thread))

    main_thread = threading.get_ident()
    run_in_background(work, done)
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    assert results == [(42, True)]
    assert worker_threads and worker_threads[0] != main_thread

    errors: list[Exception] = []
    run_in_background(lambda: 1 / 0, lambda _r: None, errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0], ZeroDivisionError)


def test_a_preload_asked_for_while_one_runs_loads_only_the_last_backend_asked_for(
    qtbot, tiny_pair: GgufPair, tmp_path: Path
) -> None:
    """A quick switch: B's load is still waiting (here for a predecessor that never ends) when
    C, then D, are asked for; once B's ends, only D loads: C never starts a worker."""
    b, c, d = (_backend(tiny_pair, tmp_path) for _ in range(3))
    b.start_after(threading.Event())  # its predecessor is still ending
    bridge = EngineBridge()
    loaded: list[object] = []
    bridge.model_loaded.connect(loaded.append)
    try:
        with qtbot.waitSignal(bridge.loading_progressed, timeout=5000):
            bridge.preload(b)
        bridge.preload(c)
        bridge.preload(d)
        qtbot.wait(200)
        assert not loaded and c._process is None and d._process is None
        assert b.supersede()  # B is switched away from: its waiting load ends quietly
        qtbot.waitUntil(lambda: bool(loaded), timeout=30_000)
        assert bridge.wait()
        qtbot.wait(100)
        assert len(loaded) == 1 and d._process.is_alive()  # type: ignore[union-attr]
        assert b._process is None and c._process is None
    finally:
        bridge.wait()
        for backend in (b, c, d):
            backend.close()


def test_a_queued_preload_of_a_backend_being_closed_never_runs(
    qtbot, tiny_pair: GgufPair, tmp_path: Path
) -> None:
    waiting, closing = _backend(tiny_pair, tmp_path), _backend(tiny_pair, tmp_path)
    waiting.start_after(threading.Event())
    bridge = EngineBridge()
    try:
        with qtbot.waitSignal(bridge.loading_progressed, timeout=5000):
            bridge.preload(waiting)
        bridge.preload(closing)  # queued behind the waiting one...
        bridge.forget(closing)  # ...and dropped: its backend is being closed
        assert waiting.supersede()
        assert bridge.wait()
        qtbot.wait(200)
        assert closing._process is None and bridge.wait()
    finally:
        bridge.wait()
        waiting.close()
        closing.close()


def test_a_turn_started_as_the_last_one_finishes_keeps_running(
    qtbot, tiny_pair: GgufPair, tmp_path: Path
) -> None:
    """The last turn's final event arrives before its thread's ``finished``: a turn started
    from ``reply_finished`` (a job's next step) was taken for the old thread, and deleted while
    it ran ("QThread: Destroyed while thread is still running": the process aborts)."""
    backend = _backend(tiny_pair, tmp_path)
    bridge = EngineBridge()
    request = GenerationRequest([Message.user("hi")], sampling=Sampling(0.0, 1.0, 8, 0))
    finished: list[Finished] = []

    def on_finished(result: Finished) -> None:
        finished.append(result)
        if len(finished) == 1:
            bridge.start(backend, request)  # at once, as a chained job does

    bridge.reply_finished.connect(on_finished)
    try:
        bridge.start(backend, request)
        qtbot.waitUntil(lambda: len(finished) == 2, timeout=30_000)
        qtbot.wait(200)  # the first thread's ``finished`` and any deletion it asks for
        assert bridge._thread is None or bridge._thread.isFinished()
        assert bridge.wait()
    finally:
        backend.close()
