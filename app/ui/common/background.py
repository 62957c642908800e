"""Slow work off the GUI thread, its result back on it: the small Anki-style helper.

Image decoding, thumbnails, history writes, model scans: ``run_in_background`` runs the
function on a pool thread and calls back on the GUI thread, or not at all when the widget that
asked was deleted meanwhile (``guard``).

Whatever the GUI handed over dies on the GUI thread. A task's function is usually a closure
over a widget (``self``), and its callbacks certainly are. Had the pool thread held the last
reference to one of them, the widget would have been destroyed there, which Qt forbids: a
closed HTML studio whose result arrived while its task was still unwinding took QtWebEngine
down with it ("Must be called on Chrome_UIThread", SIGTRAP, seen in CI). So the GUI thread
keeps the function and the callbacks until the result has been delivered; the pool thread lets
go of the function before it reports, and reports through one long-lived object, so it never
holds the last reference to anything the GUI made. Its result travels in a box the GUI empties,
so a result (or an exception whose traceback reaches the closure) is let go of there too.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThread, QThreadPool, Signal


@dataclass
class _Job:
    """What the GUI thread keeps alive until a task's result is delivered."""

    fn: Callable[[], Any] | None
    on_done: Callable[[Any], None]
    on_failed: Callable[[Exception], None] | None
    guard: QObject | None

    def gone(self) -> bool:
        """The widget that asked has been deleted meanwhile: its result has nowhere to go."""
        return self.guard is not None and not shiboken6.isValid(self.guard)


class _Hub(QObject):
    """The one object pool threads report to; it lives on the GUI thread, so its slot runs there
    (the signal crosses threads: queued)."""

    finished = Signal(int, object)  # the job's key, a box holding (succeeded, value)

    def __init__(self) -> None:
        super().__init__()
        self.jobs: dict[int, _Job] = {}
        self.finished.connect(self._deliver)

    def _deliver(self, key: int, box: list[tuple[bool, Any]]) -> None:
        job = self.jobs.pop(key, None)
        if job is None or not box:
            return
        succeeded, value = box.pop()
        if job.gone():
            return
        if succeeded:
            job.on_done(value)
        elif job.on_failed is not None:
            job.on_failed(value)


_hub: _Hub | None = None
_keys = itertools.count()


def _the_hub() -> _Hub:
    global _hub
    if _hub is None or not shiboken6.isValid(_hub):
        _hub = _Hub()
        app = QCoreApplication.instance()
        if app is not None and QThread.currentThread() is not app.thread():
            _hub.moveToThread(app.thread())
    return _hub


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], key: int, hub: _Hub) -> None:
        super().__init__()
        self._fn: Callable[[], Any] | None = fn
        self._key = key
        self._hub = hub

    def run(self) -> None:
        fn, self._fn = self._fn, None
        box: list[tuple[bool, Any]] = []
        try:
            box.append((True, fn()))  # type: ignore[misc]
        except Exception as exc:
            box.append((False, exc))
        del fn  # the GUI thread's job still holds it: it is let go of there
        # At shutdown Qt may have deleted the hub already: nothing is left to tell.
        with contextlib.suppress(RuntimeError):
            self._hub.finished.emit(self._key, box)


def run_in_background(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_failed: Callable[[Exception], None] | None = None,
    pool: QThreadPool | None = None,
    guard: QObject | None = None,
) -> None:
    """Run ``fn`` on a pool thread; ``on_done`` / ``on_failed`` are called on the GUI thread.

    With ``guard``, nothing is called if that object was deleted before the result arrived.
    """
    hub = _the_hub()
    key = next(_keys)
    hub.jobs[key] = _Job(fn, on_done, on_failed, guard)
    (pool or QThreadPool.globalInstance()).start(_Task(fn, key, hub))


def pending_jobs() -> int:
    """How many results have not been delivered yet (tests)."""
    return len(_hub.jobs) if _hub is not None else 0
