"""When a local backend built by a model switch may start its worker process.

The backend a switch replaces may still be ending its worker (writing the open chat's state,
seconds at 16K tokens), and two models never share the memory: the new backend's worker starts
only once the old one's has ended. And a quick A → B → C switch must not load B (seconds of
disk, gigabytes of memory) only to close it for C: a backend superseded, or closed, before its
worker started never starts one, and whatever waited for it stops waiting at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from app.engine.base import EngineError, ErrorKind

WAIT_POLL_S = 0.05
"""How often a wait for the predecessor looks whether it was called off (off the GUI thread)."""

SWITCHED = EngineError(
    ErrorKind.INTERNAL, "The model was switched before this could start. Send it again."
)
"""What a request waiting for a superseded backend's worker ends with (a preload ends quietly)."""


class StartGate:
    """Held by one backend: whether, and from when, it may start its worker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # a start and a supersede never interleave
        self._predecessor_gone: threading.Event | None = None
        self._follows_another = False  # built by a switch
        self._shut = False  # no worker may start any more
        self._stop_waiting = threading.Event()

    def follow(self, predecessor_gone: threading.Event) -> None:
        """Let no worker start before ``predecessor_gone`` is set."""
        self._predecessor_gone = predecessor_gone
        self._follows_another = True

    @property
    def waits(self) -> bool:
        """Whether a start would first wait for the predecessor (the window shows loading)."""
        return self._predecessor_gone is not None and not self._shut

    def wait(self) -> None:
        """Until the predecessor's worker has ended, or the wait is called off."""
        gone = self._predecessor_gone
        while gone is not None and not gone.wait(WAIT_POLL_S):
            if self._stop_waiting.is_set():
                return
        self._predecessor_gone = None  # gone for good: later requests need not wait

    def start(self, start: Callable[[], None]) -> bool:
        """Run ``start`` unless the gate is shut; False (nothing run) when it is."""
        with self._lock:
            if self._shut:
                return False
            start()
            return True

    def supersede(self, started: Callable[[], bool]) -> bool:
        """Shut the gate unless ``started`` (a worker runs): True when shut, at once."""
        with self._lock:
            if started():
                return False
            self._shut = True
        self._stop_waiting.set()
        return True

    def close(self) -> None:
        """The backend is closed: one built by a switch is never used again, so it is shut
        (a request still queued for it must not bring a worker back); any wait ends."""
        with self._lock:
            if self._follows_another:
                self._shut = True
        self._stop_waiting.set()
