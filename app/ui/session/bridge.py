"""Engine events to Qt signals on the GUI thread.

Backends are plain iterators that block; the window must never wait on them. ``EngineBridge``
runs one generation in a ``QThread`` and re-emits each event as a signal, which Qt delivers on
the GUI thread (queued connection). Tokens are coalesced to at most one signal per frame
(~16 ms): a fast local model produces thousands of tokens per second and the transcript
only needs to repaint at screen rate. Everything else slow goes through
``app.ui.common.background.run_in_background``.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QThread, Signal

from app.engine.base import (
    Backend,
    EngineError,
    ErrorKind,
    Finished,
    GenerationRequest,
    Loading,
    Prefill,
    Token,
    Usage,
)
from app.engine.capabilities import ModelLoader

FRAME_S = 0.016


class _GenerationThread(QThread):
    event_ready = Signal(object)
    rate_ready = Signal(float)  # tokens/s since the first token, sent with each flush

    def __init__(self, backend: Backend, request: GenerationRequest) -> None:
        super().__init__()
        self.backend = backend
        self.request = request

    def run(self) -> None:
        pending: list[str] = []
        last_flush = 0.0
        first_token_at: float | None = None
        tokens = 0
        try:
            for event in self.backend.generate(self.request):
                if isinstance(event, Token):
                    pending.append(event.text)
                    now = time.monotonic()
                    tokens += 1
                    if first_token_at is None:
                        first_token_at = now
                    if now - last_flush >= FRAME_S:
                        self.event_ready.emit(Token("".join(pending)))
                        if now > first_token_at:
                            self.rate_ready.emit((tokens - 1) / (now - first_token_at))
                        pending.clear()
                        last_flush = now
                    continue
                if pending:
                    self.event_ready.emit(Token("".join(pending)))
                    pending.clear()
                self.event_ready.emit(event)
        except Exception as exc:  # a backend bug must not kill the window
            self.event_ready.emit(EngineError(ErrorKind.INTERNAL, f"The engine failed: {exc}"))


class _LoadThread(QThread):
    event_ready = Signal(object)

    def __init__(self, backend: ModelLoader) -> None:
        super().__init__()
        self.backend = backend

    def run(self) -> None:
        try:
            for event in self.backend.load():
                self.event_ready.emit(event)
        except Exception as exc:
            self.event_ready.emit(EngineError(ErrorKind.INTERNAL, f"The engine failed: {exc}"))


class EngineBridge(QObject):
    """One generation at a time; signals name what happened."""

    loading_progressed = Signal(object)  # Loading
    prefill_progressed = Signal(object)  # Prefill
    token_received = Signal(str)
    usage_ready = Signal(object)  # Usage
    reply_finished = Signal(object)  # Finished
    reply_failed = Signal(object)  # EngineError
    decode_rate_changed = Signal(float)  # tokens/s while an answer is being written
    model_loaded = Signal(object)  # the backend's Loaded description
    load_failed = Signal(object)  # EngineError

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: _GenerationThread | None = None
        self._loader: _LoadThread | None = None
        self._backend: Backend | None = None
        self._active = False
        self._next_preload: ModelLoader | None = None

    def preload(self, backend: ModelLoader) -> None:
        """Load the model now, off the GUI thread, so the first answer starts sooner.

        While a load or an answer is running, the load waits for it to end; asked again
        meanwhile, only the last backend asked for loads (a quick switch: the last choice)."""
        if self._active or self._loader is not None:
            self._next_preload = backend
            return
        self._next_preload = None
        loader = _LoadThread(backend)
        loader.event_ready.connect(self._on_loader_event_ready)
        loader.finished.connect(lambda: self._on_loader_finished(loader))
        self._loader = loader
        loader.start()

    def _on_loader_finished(self, loader: _LoadThread) -> None:
        if self._loader is loader:
            self._loader = None
        loader.deleteLater()
        self._preload_next()

    def _on_thread_finished(self, thread: _GenerationThread) -> None:
        """``thread`` has returned. It names itself: a turn started from the last one's
        ``reply_finished`` (its final event arrives before its ``finished``) is already
        ``self._thread``, and deleting that running thread would abort the process."""
        if self._thread is thread:
            self._thread = None
        thread.deleteLater()
        self._preload_next()

    def forget(self, backend: object) -> None:
        """``backend`` is being closed: a load still waiting to start for it never starts."""
        if self._next_preload is backend:
            self._next_preload = None

    def _preload_next(self) -> None:
        if self._next_preload is not None:
            self.preload(self._next_preload)

    def _on_loader_event_ready(self, event: object) -> None:
        if isinstance(event, Loading):
            self.loading_progressed.emit(event)
        elif isinstance(event, EngineError):
            self.load_failed.emit(event)
        elif not isinstance(event, Finished):
            self.model_loaded.emit(event)

    @property
    def busy(self) -> bool:
        """True from ``start`` until the reply's final event has been delivered."""
        return self._active

    def start(self, backend: Backend, request: GenerationRequest) -> None:
        if self._active:
            raise RuntimeError("a generation is already running")
        if self._thread is not None:  # its last event is delivered; it is returning
            self._thread.wait(2000)
        self._active = True
        self._backend = backend
        thread = _GenerationThread(backend, request)
        thread.event_ready.connect(self._on_thread_event_ready)
        thread.rate_ready.connect(self.decode_rate_changed)
        thread.finished.connect(lambda: self._on_thread_finished(thread))
        self._thread = thread
        thread.start()

    def stop(self) -> None:
        if self._backend is not None and self.busy:
            self._backend.cancel()

    def wait(self, ms: int = 5000) -> bool:
        loaded = self._loader.wait(ms) if self._loader is not None else True
        return (self._thread.wait(ms) if self._thread is not None else True) and loaded

    def _on_thread_event_ready(self, event: object) -> None:
        if isinstance(event, Token):
            self.token_received.emit(event.text)
        elif isinstance(event, Prefill):
            self.prefill_progressed.emit(event)
        elif isinstance(event, Loading):
            self.loading_progressed.emit(event)
        elif isinstance(event, Usage):
            self.usage_ready.emit(event)
        elif isinstance(event, Finished):
            self._active = False
            self.reply_finished.emit(event)
        elif isinstance(event, EngineError):
            self._active = False
            self.reply_failed.emit(event)
