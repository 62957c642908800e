"""Python's cycle collector, run on the GUI thread only.

CPython runs its cyclic garbage collector on whichever thread happens to allocate when a
generation fills up. In this app that is often a pool thread (image decoding, history writes,
document pages). If the cycle it breaks holds the Python wrapper of a Qt object — a closed
studio's web view, say — the C++ object is destroyed on that pool thread, which Qt does not
allow: QtWebEngine stops the whole process (SIGTRAP, seen when a studio was closed and a later
background task collected it).

So automatic collection is switched off and a timer on the GUI thread collects each generation
when its threshold has been passed, the same work at the same thresholds, on the one thread
where Qt objects may die. Reference counting, which frees most objects, is untouched.

A full collection walks every tracked object: once the window is up that is ~90,000 (modules,
classes, functions, widgets), 30–40 ms on the 2-core development machine, a dropped frame
every few seconds while an answer streams or a long chat opens (profiled in the UI stall
benchmarks). What start-up built lives as long as the app, so ``freeze_startup`` moves it
out of the collector's sight (``gc.freeze``); later collections walk only what came after.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_INTERVAL_MS = 500
"""How often the thresholds are checked: often enough that garbage never piles up."""


class GuiThreadCollector(QObject):
    """Install once, on the GUI thread, for the life of the application."""

    def __init__(self, parent: QObject, interval_ms: int = CHECK_INTERVAL_MS) -> None:
        super().__init__(parent)
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start()

    def collect_due(self) -> int:
        """Collect the oldest generation whose threshold was passed (and the younger ones)."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        due = [g for g in range(3) if thresholds[g] and counts[g] > thresholds[g]]
        return gc.collect(max(due)) if due else 0

    def freeze_startup(self) -> None:
        """Call once the main window is shown: what exists now is never walked again (a
        cycle among it that turns into garbage later is kept, not freed)."""
        gc.freeze()

    def stop(self) -> None:
        """Back to Python's own collection (tests; the app keeps it for its whole life)."""
        self._timer.stop()
        gc.enable()
