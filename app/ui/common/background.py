"""Slow work off the GUI thread, its result back on it: the small Anki-style helper.

Image decoding, thumbnails, history writes, model scans: ``run_in_background`` runs the
function on a pool thread and calls back on the GUI thread, or not at all when the widget that
asked was deleted meanwhile (``guard``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Delivery(QObject):
    """Lives on the GUI thread; its slots run there because the signals cross threads (queued)."""

    done = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        on_done: Callable[[Any], None],
        on_failed: Callable[[Exception], None] | None,
        guard: QObject | None = None,
    ):
        super().__init__()
        self._on_done = on_done
        self._on_failed = on_failed
        self._guard = guard
        self.done.connect(self._deliver_done)
        self.failed.connect(self._deliver_failed)

    def _gone(self) -> bool:
        """The widget that asked has been deleted meanwhile: its result has nowhere to go."""
        return self._guard is not None and not shiboken6.isValid(self._guard)

    def _deliver_done(self, result: object) -> None:
        _PENDING.discard(self)
        if not self._gone():
            self._on_done(result)

    def _deliver_failed(self, error: object) -> None:
        _PENDING.discard(self)
        if self._on_failed is not None and not self._gone():
            self._on_failed(error)  # type: ignore[arg-type]


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], delivery: _Delivery) -> None:
        super().__init__()
        self.fn = fn
        self.delivery = delivery

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:
            self._deliver(self.delivery.failed, exc)
        else:
            self._deliver(self.delivery.done, result)

    @staticmethod
    def _deliver(signal: Any, value: object) -> None:
        # At shutdown Qt may have deleted the receiver already: nothing is left to tell.
        with contextlib.suppress(RuntimeError):
            signal.emit(value)


_PENDING: set[_Delivery] = set()


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
    delivery = _Delivery(on_done, on_failed, guard)
    _PENDING.add(delivery)  # keep it alive until it has delivered
    (pool or QThreadPool.globalInstance()).start(_Task(fn, delivery))
