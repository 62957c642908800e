"""The engine's owner: one backend per set of engine settings, rebuilt exactly when one of them
changes, and what the model reported remembered in one place.

Backends are fakes built through a patched ``make_backend``, so nothing loads or connects.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from app.core.conversation import Message
from app.core.errors import UserFacingError
from app.engine.base import EngineError, Finished, FinishReason, GenerationRequest, Sampling
from app.engine.local.backend import LocalBackend
from app.engine.local.protocol import Loaded
from app.engine.local.start_gate import SWITCHED
from app.settings import ENGINE_KEYS, SETTINGS, Settings
from app.ui.session.engine_owner import DEFAULT_CONTEXT, EngineOwner


class FakeBackend:
    """Named like an OpenAI-compatible server, which loads no model: nothing starts."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.name = "openai"
        self.base_url = "http://gpu-box:8000/v1"
        self.values = values
        self.closed = False

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def owner(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EngineOwner:
    built: list[FakeBackend] = []

    def fake_make_backend(values: dict[str, Any], **_kwargs: Any) -> FakeBackend:
        if not values["openai_base_url"]:
            raise UserFacingError("No server given.")
        built.append(FakeBackend(values))
        return built[-1]

    monkeypatch.setattr("app.ui.session.engine_owner.make_backend", fake_make_backend)
    settings = Settings(tmp_path / "settings.ini")
    settings["backend"] = "openai"
    settings["openai_base_url"] = "http://gpu-box:8000/v1"
    engine = EngineOwner(settings)
    engine.built = built  # type: ignore[attr-defined]
    return engine


def _changed(key: str, value: Any) -> Any:
    """A valid value of setting ``key`` other than ``value``."""
    setting = next(s for s in SETTINGS if s.key == key)
    if setting.choices:
        return next(c for c in setting.choices if c != value)
    if setting.kind is str:
        return f"{value}x"
    low, high = setting.bounds or (0, 10)
    return value + 1 if value + 1 <= high else low


def test_the_backend_is_built_once_and_kept_while_nothing_it_reads_changes(
    owner: EngineOwner, qtbot
) -> None:
    first = owner.backend()
    assert first is not None and owner.backend() is first
    with qtbot.assertNotEmitted(owner.backend_changed):
        owner.settings["temperature"] = 0.9  # read per turn, not by the engine
        owner.settings["detail"] = "low"
        owner.settings_changed()
    assert owner.backend() is first and not first.closed


@pytest.mark.parametrize("key", [k for k in ENGINE_KEYS if k not in ("backend", "openai_base_url")])
def test_changing_any_engine_setting_rebuilds_the_backend_and_says_so(
    owner: EngineOwner, qtbot, key: str
) -> None:
    first = owner.backend()
    owner.set_loaded("CUDA", 32_768)
    owner.settings[key] = _changed(key, owner.settings[key])
    with qtbot.waitSignals([owner.backend_changed, owner.model_unloaded], timeout=1000):
        owner.settings_changed()
    second = owner.backend()
    assert second is not first and first.closed and len(owner.built) == 2
    assert second.values[key] == owner.settings[key]
    assert owner.device == ""  # what the old engine reported is forgotten
    with qtbot.assertNotEmitted(owner.backend_changed):
        owner.settings_changed()  # told twice, rebuilt once
    assert owner.backend() is second


def test_a_forced_rebuild_happens_with_the_same_settings(owner: EngineOwner, qtbot) -> None:
    """A model's own overrides live outside the settings; choosing the same files retries."""
    first = owner.backend()
    with qtbot.waitSignals([owner.backend_changed, owner.model_unloaded], timeout=1000):
        owner.settings_changed(force=True)
    assert owner.backend() is not first and first.closed


def test_a_backend_that_cannot_be_built_says_why(owner: EngineOwner, qtbot) -> None:
    assert owner.backend() is not None and owner.problem == ""
    owner.settings["openai_base_url"] = ""
    with qtbot.waitSignal(owner.problem_changed, timeout=1000) as said:
        owner.settings_changed()
    assert said.args == ["No server given."]
    assert owner.backend() is None and owner.problem == "No server given."
    owner.settings["openai_base_url"] = "http://other:8000/v1"
    with qtbot.waitSignal(owner.problem_changed, timeout=1000) as said:
        owner.settings_changed()
    assert said.args == [""] and owner.backend() is not None


def test_what_the_model_reports_is_kept_here(owner: EngineOwner, qtbot) -> None:
    assert owner.context_size() == DEFAULT_CONTEXT and owner.device == ""
    owner.settings["n_ctx"] = 8192
    assert owner.context_size() == 8192
    loaded = Loaded(device="CUDA", n_ctx=16_384, n_ctx_train=131_072, backends=("CUDA",))
    with qtbot.waitSignal(owner.model_loaded, timeout=1000):
        owner.bridge.model_loaded.emit(loaded)
    assert (owner.device, owner.context_size()) == ("CUDA", 16_384)


def test_where_it_runs_comes_from_the_registry(owner: EngineOwner) -> None:
    assert owner.target().remote and owner.target().label == "gpu-box:8000 (your server)"
    assert owner.configured() and owner.model_name() == ""
    owner.settings["backend"] = "local"
    assert not owner.target().remote and not owner.configured()  # no model chosen yet
    owner.settings["model"] = "/models/pixtral.gguf"
    assert owner.configured() and owner.model_name() == "/models/pixtral.gguf"


def test_unload_stops_the_real_worker_and_load_brings_it_back(
    qtbot, tmp_path: Path, tiny_pair
) -> None:
    """The tiny real model: Unload ends the worker process (its memory goes with it); Load,
    or the next turn, starts a new one."""
    settings = Settings(tmp_path / "settings.ini")
    settings["model"], settings["mmproj"] = str(tiny_pair.model), str(tiny_pair.mmproj)
    settings["n_ctx"], settings["threads"] = 4096, 2
    owner = EngineOwner(settings, log_path=tmp_path / "engine.log")
    try:
        with qtbot.waitSignal(owner.model_loaded, timeout=60_000):
            owner.start()
        assert owner.loaded() and not owner.loading
        backend = owner.backend()
        worker = backend._process  # type: ignore[union-attr]
        assert worker is not None and worker.is_alive()
        with qtbot.waitSignal(owner.model_unloaded, timeout=10_000):
            assert owner.unload()
        assert not worker.is_alive() and worker.exitcode is not None
        assert not owner.loaded() and owner.device == ""
        assert not owner.unload()  # nothing left to unload
        with qtbot.waitSignal(owner.model_loaded, timeout=60_000):
            owner.start()
        again = owner.backend()
        assert again is not backend and again._process.is_alive()  # type: ignore[union-attr]
    finally:
        owner.bridge.wait(5000)
        owner.close()


def test_unload_waits_while_the_model_loads(qtbot, tmp_path: Path, tiny_pair) -> None:
    settings = Settings(tmp_path / "settings.ini")
    settings["model"], settings["mmproj"] = str(tiny_pair.model), str(tiny_pair.mmproj)
    settings["n_ctx"], settings["threads"] = 4096, 2
    owner = EngineOwner(settings, log_path=tmp_path / "engine.log")
    try:
        tried: list[bool] = []  # the load owns the worker until it is done
        owner.bridge.loading_progressed.connect(lambda _event: tried.append(owner.unload()))
        with qtbot.waitSignal(owner.model_loaded, timeout=60_000):
            owner.start()
        assert tried and not any(tried) and owner.loaded()
        with qtbot.waitSignal(owner.model_unloaded, timeout=10_000):
            assert owner.unload()
    finally:
        owner.bridge.wait(5000)
        owner.close()


def _tiny_owner(tmp_path: Path, tiny_pair) -> EngineOwner:
    settings = Settings(tmp_path / "settings.ini")
    settings["model"], settings["mmproj"] = str(tiny_pair.model), str(tiny_pair.mmproj)
    settings["n_ctx"], settings["threads"] = 4096, 2
    return EngineOwner(settings, log_path=tmp_path / "engine.log")


def test_a_settings_change_closes_the_old_worker_off_the_gui_thread_before_the_new_starts(
    qtbot, tmp_path: Path, tiny_pair
) -> None:
    """The tiny real model: the old backend's close (its worker writes the open chat's state,
    seconds for a long chat) is held here until released. The settings change returns to the
    event loop while it is held, the window sees the engine as loading, the new worker does
    not start meanwhile, and a message sent meanwhile waits and is answered by the new one."""
    owner = _tiny_owner(tmp_path, tiny_pair)
    try:
        with qtbot.waitSignal(owner.model_loaded, timeout=60_000):
            owner.start()
        old = owner.backend()
        old_worker = old._process  # type: ignore[union-attr]
        release, close_threads = threading.Event(), []
        real_close = old.close  # type: ignore[union-attr]

        def held_close() -> None:
            close_threads.append(threading.current_thread())
            release.wait(10)  # on the GUI thread (the old way) this would freeze the window
            real_close()

        old.close = held_close  # type: ignore[union-attr, method-assign]
        owner.settings["threads"] = 1
        owner.settings_changed()
        qtbot.waitUntil(lambda: bool(close_threads), timeout=5000)
        assert close_threads[0] is not threading.main_thread()
        assert not release.is_set() and old_worker.is_alive() and owner.loading
        new = owner.backend()
        assert new is not old and new.config.n_threads == 1  # type: ignore[union-attr]
        request = GenerationRequest([Message.user("hello")], sampling=Sampling(0.0, 1.0, 8, 0))
        answers: list[object] = []
        owner.bridge.reply_finished.connect(answers.append)
        owner.bridge.reply_failed.connect(answers.append)
        owner.bridge.start(new, request)  # sent while switching: it waits for the new model
        qtbot.wait(500)
        assert new._process is None and not answers  # type: ignore[union-attr]
        with qtbot.waitSignal(owner.model_unloaded, timeout=40_000):
            release.set()
        assert old_worker.exitcode is not None
        qtbot.waitUntil(lambda: bool(answers), timeout=60_000)
        assert isinstance(answers[0], Finished)
        assert answers[0].reason in (FinishReason.STOP, FinishReason.LENGTH)
        assert owner.backend() is new and new._process.is_alive()  # type: ignore[union-attr]
        assert not owner.loading
    finally:
        owner.bridge.wait(5000)
        owner.close()


def test_quitting_waits_for_a_backend_still_being_closed(qtbot, tmp_path: Path, tiny_pair) -> None:
    """The worker of a backend switched away from just before quitting still gets to end on
    its own terms (writing the open chat's state) before the app exits."""
    owner = _tiny_owner(tmp_path, tiny_pair)
    with qtbot.waitSignal(owner.model_loaded, timeout=60_000):
        owner.start()
    old_worker = owner.backend()._process  # type: ignore[union-attr]
    owner.bridge.wait(5000)
    qtbot.wait(50)  # the first load's thread has said it finished
    owner.settings["threads"] = 1
    with qtbot.waitSignal(owner.bridge.loading_progressed, timeout=5000):
        owner.settings_changed()  # the new model's load waits for the old worker to end
    new = owner.backend()
    owner.close()  # quit at once
    assert old_worker.exitcode == 0  # it shut down itself, not killed at exit
    assert owner.bridge.wait(10_000)
    assert new._process is None  # type: ignore[union-attr]  # the waiting load started nothing


class WorkerStarts:
    """Each local worker process started, in order, by the backend that started it; and
    whether any earlier worker was still running at that moment (two models in memory)."""

    def __init__(self) -> None:
        self.by: list[object] = []
        self.overlapped = False
        self._workers: list[Any] = []

    def record(self, backend: LocalBackend) -> None:
        self.overlapped |= any(worker.is_alive() for worker in self._workers)
        self.by.append(backend)
        self._workers.append(backend._process)


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch) -> WorkerStarts:
    """The real ``LocalBackend._start``, noting each start: the processes are real."""
    seen, real_start = WorkerStarts(), LocalBackend._start

    def start(backend: LocalBackend) -> None:
        real_start(backend)
        seen.record(backend)

    monkeypatch.setattr(LocalBackend, "_start", start)
    return seen


def _hold_close(backend: Any) -> tuple[threading.Event, list[threading.Thread]]:
    """Hold ``backend``'s close (as a long chat's state being written would) until released."""
    release, close_threads = threading.Event(), []
    real_close = backend.close

    def held_close() -> None:
        close_threads.append(threading.current_thread())
        release.wait(20)
        real_close()

    backend.close = held_close
    return release, close_threads


def _first_load_ended(owner: EngineOwner, qtbot) -> None:
    """Until the first preload's thread has said it finished (its last signal comes first)."""
    assert owner.bridge.wait(5000)
    qtbot.wait(50)


def _second_start_loaded(owner: EngineOwner, qtbot, starts: WorkerStarts, last: Any) -> None:
    """Until a second worker has started, which must be the last choice's, and has loaded."""
    qtbot.waitUntil(lambda: len(starts.by) >= 2, timeout=30_000)
    assert starts.by[1] is last, "a worker started for a backend switched away from"
    qtbot.waitUntil(owner.loaded, timeout=60_000)


def _switch(owner: EngineOwner, **values: Any) -> Any:
    """The model menu's way: save the choice, rebuild now (``BackendSwitcher.use_backend``)."""
    for key, value in values.items():
        owner.settings[key] = value
    owner.settings_changed(force=True)
    return owner.backend()


def test_a_quick_a_b_c_switch_never_starts_b(
    qtbot, tmp_path: Path, tiny_pair, starts: WorkerStarts
) -> None:
    """The tiny real model. A is loaded; B is chosen, then C, while A's worker is still ending
    (held here): B's preload was waiting for A and ends quietly, B's worker never starts, and C
    starts once A is gone, never beside it."""
    owner = _tiny_owner(tmp_path, tiny_pair)
    failures: list[object] = []
    owner.bridge.load_failed.connect(failures.append)
    try:
        with qtbot.waitSignal(owner.model_loaded, timeout=60_000):
            owner.start()
        _first_load_ended(owner, qtbot)
        a = owner.backend()
        release, close_threads = _hold_close(a)
        with qtbot.waitSignal(owner.bridge.loading_progressed, timeout=5000):
            b = _switch(owner, threads=1)  # B's preload waits for A's worker to end
        qtbot.waitUntil(lambda: bool(close_threads), timeout=5000)
        c = _switch(owner, n_ctx=2048)
        assert len({id(a), id(b), id(c)}) == 3 and owner.loading
        qtbot.wait(300)  # B's preload has ended by now; nothing may start while A is held
        assert starts.by == [a] and b._process is None and c._process is None
        release.set()
        _second_start_loaded(owner, qtbot, starts, c)
        assert starts.by == [a, c] and not starts.overlapped
        assert b._process is None and c._process.is_alive()
        assert owner.context_size() == 2048
        assert not failures and not owner.loading
    finally:
        release.set()
        owner.bridge.wait(10_000)
        owner.close()


def test_a_message_waiting_for_b_gets_one_message_when_c_is_chosen_and_c_answers_the_next(
    qtbot, tmp_path: Path, tiny_pair, starts: WorkerStarts
) -> None:
    """A message sent while B waits for A's worker, then C chosen: the message ends at once
    with one human message instead of loading B for it; C loads on its own and answers."""
    owner = _tiny_owner(tmp_path, tiny_pair)
    answers: list[object] = []
    owner.bridge.reply_finished.connect(answers.append)
    owner.bridge.reply_failed.connect(answers.append)
    request = GenerationRequest([Message.user("hello")], sampling=Sampling(0.0, 1.0, 8, 0))
    try:
        with qtbot.waitSignal(owner.model_loaded, timeout=60_000):
            owner.start()
        _first_load_ended(owner, qtbot)
        a = owner.backend()
        release, close_threads = _hold_close(a)
        b = _switch(owner, threads=1)
        qtbot.waitUntil(lambda: bool(close_threads), timeout=5000)
        owner.bridge.start(b, request)  # the session's turn, for the backend chosen then
        qtbot.wait(200)
        assert owner.bridge.busy and not answers
        c = _switch(owner, n_ctx=2048)
        assert c is not b
        qtbot.waitUntil(lambda: bool(answers), timeout=5000)  # A is still held meanwhile
        assert len(answers) == 1 and isinstance(answers[0], EngineError)
        assert answers[0].message == SWITCHED.message
        release.set()
        _second_start_loaded(owner, qtbot, starts, c)
        assert starts.by == [a, c] and not starts.overlapped and b._process is None
        owner.bridge.start(owner.backend(), request)
        qtbot.waitUntil(lambda: len(answers) == 2, timeout=60_000)
        assert isinstance(answers[1], Finished) and starts.by == [a, c]
    finally:
        release.set()
        owner.bridge.wait(10_000)
        owner.close()


def test_a_switch_through_a_remote_backend_and_back_starts_only_the_last_local_model(
    qtbot, tmp_path: Path, tiny_pair, starts: WorkerStarts
) -> None:
    """A → B (local) → a server → C (local), all while A's worker is ending: B never starts,
    the server loads nothing, and C starts once A is gone. Then to the server alone: nothing
    is left loading."""
    owner = _tiny_owner(tmp_path, tiny_pair)
    failures: list[object] = []
    owner.bridge.load_failed.connect(failures.append)
    server = {"backend": "openai", "openai_base_url": "http://127.0.0.1:9/v1"}
    try:
        with qtbot.waitSignal(owner.model_loaded, timeout=60_000):
            owner.start()
        _first_load_ended(owner, qtbot)
        a = owner.backend()
        release, close_threads = _hold_close(a)
        b = _switch(owner, threads=1)
        qtbot.waitUntil(lambda: bool(close_threads), timeout=5000)
        remote = _switch(owner, **server)
        assert remote.name == "openai" and owner.problem == ""
        c = _switch(owner, backend="local", n_ctx=2048)
        qtbot.wait(300)
        assert starts.by == [a] and owner.loading
        release.set()
        _second_start_loaded(owner, qtbot, starts, c)
        assert starts.by == [a, c] and not starts.overlapped and b._process is None
        b2 = _switch(owner, threads=1)  # C is running: B2 waits for C's worker to end...
        with qtbot.waitSignals([owner.model_unloaded] * 2, timeout=40_000):
            _switch(owner, **server)  # ...and is dropped for the server before it starts
        owner.bridge.wait(10_000)
        qtbot.wait(100)
        assert starts.by == [a, c] and b2._process is None and not c._process
        assert not failures and not owner.loading and not owner.loaded()
    finally:
        release.set()
        owner.bridge.wait(10_000)
        owner.close()
