"""Work runs on a pool thread; results, failures and everything the GUI handed over come back to
die on the GUI thread."""

from __future__ import annotations

import gc
import threading
from typing import ClassVar

from PySide6.QtCore import QObject

from app.ui.common.background import pending_jobs, run_in_background


class _Tracked:
    """Records the thread each instance dies on (no reference cycles: refcounting frees it)."""

    deaths: ClassVar[list[str]] = []

    def __del__(self) -> None:
        _Tracked.deaths.append(threading.current_thread().name)


def test_results_and_failures_arrive_on_the_gui_thread(qtbot) -> None:
    seen: list[tuple[str, object, str]] = []
    here = threading.current_thread().name

    def work() -> str:
        seen.append(("work", None, threading.current_thread().name))
        return "answer"

    def boom() -> None:
        raise ValueError("bad file")

    run_in_background(work, lambda r: seen.append(("done", r, threading.current_thread().name)))
    run_in_background(
        boom,
        lambda _r: seen.append(("wrong", None, "")),
        lambda e: seen.append(("failed", str(e), threading.current_thread().name)),
    )
    qtbot.waitUntil(lambda: len(seen) == 3 and pending_jobs() == 0, timeout=5000)
    by_kind = {kind: (value, thread) for kind, value, thread in seen}
    assert by_kind["work"][1] != here
    assert by_kind["done"] == ("answer", here)
    assert by_kind["failed"] == ("bad file", here)


def test_nothing_is_called_once_the_guard_is_deleted(qtbot) -> None:
    guard = QObject()
    started, release = threading.Event(), threading.Event()
    called: list[object] = []

    def slow() -> int:
        started.set()
        release.wait(5)
        return 1

    run_in_background(slow, called.append, called.append, guard=guard)
    assert started.wait(5)
    guard.deleteLater()
    qtbot.waitUntil(lambda: not _alive(guard), timeout=5000)
    release.set()
    qtbot.waitUntil(lambda: pending_jobs() == 0, timeout=5000)
    assert called == []


def _alive(obj: QObject) -> bool:
    import shiboken6

    return shiboken6.isValid(obj)


def test_what_the_gui_handed_over_dies_on_the_gui_thread(qtbot) -> None:
    """The caller keeps nothing: the closure's captures, the callbacks' captures, the result and
    a failure's traceback are all let go of on the GUI thread, never on the pool thread (a
    widget freed there takes QtWebEngine down)."""
    _Tracked.deaths.clear()
    delivered: list[object] = []

    def start(fail: bool) -> None:
        captured, for_callback = _Tracked(), _Tracked()

        def work() -> _Tracked:
            assert captured is not None
            if fail:
                raise RuntimeError("no")
            return _Tracked()  # the result, made on the pool thread

        def done(result: _Tracked) -> None:
            delivered.append(for_callback and type(result).__name__)

        def failed(error: Exception) -> None:
            delivered.append(for_callback and type(error).__name__)

        run_in_background(work, done, failed)

    for n in range(40):
        start(fail=n % 4 == 0)
    qtbot.waitUntil(lambda: len(delivered) == 40 and pending_jobs() == 0, timeout=10_000)
    expected = 40 * 2 + 30  # two captured per task, one result per task that succeeded
    # Cycles (if any) are freed here, on the GUI thread: only the pool thread can be wrong.
    qtbot.waitUntil(lambda: gc.collect() >= 0 and len(_Tracked.deaths) == expected, timeout=5000)
    assert set(_Tracked.deaths) == {threading.main_thread().name}
