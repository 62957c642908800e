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

What comes after still costs: with a 2,000-message chat open, a full collection walks its
rows' layouts and wrappers, 10–15 ms (profiled as the worst stall of the benchmark that opens
one). So a full collection that falls due while the window is animating (an answer streaming,
a long chat being laid out, the view gliding) waits until it has been still for ``STILL_S``,
when no frame is being drawn, for at most ``FULL_DEFER_LIMIT_S``. The young generations are
collected as before, checked every ``CHECK_INTERVAL_MS``: they are where garbage is made.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

CHECK_INTERVAL_MS = 50
"""How often the thresholds are checked. Python's own collector runs a young collection every
700 allocations; checked only twice a second, a chat opening (thousands of rows' objects made
in a few passes) had piled up a young generation that took 5-12 ms to walk in one go, 20 ms
once (profiled). At 50 ms, 3-8 ms."""

STILL_S = 1.0
"""How long the window must have been still before a deferred full collection runs: right
after an answer ends, the next click (opening another chat) is likely."""

FULL_DEFER_LIMIT_S = 600.0
"""The longest a due full collection waits for the window to be still (a long answer at a
CPU's pace streams for minutes; the cycles that reach the oldest generation are few)."""


def due_generations() -> list[int]:
    """The generations whose threshold has been passed: what Python itself would collect now."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    return [g for g in range(3) if thresholds[g] and counts[g] > thresholds[g]]


def collect_due_now() -> int:
    """Collect at once what is due, the oldest due generation with the younger ones."""
    due = due_generations()
    return gc.collect(max(due)) if due else 0


class GuiThreadCollector(QObject):
    """Install once, on the GUI thread, for the life of the application."""

    def __init__(self, parent: QObject, interval_ms: int = CHECK_INTERVAL_MS) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start()
        self._busy: Callable[[], bool] = lambda: False
        self._full_due_since: float | None = None  # when a deferred full collection fell due
        self._still_since: float | None = None  # since when busy() has been False at each check

    def defer_full_while(self, busy: Callable[[], bool]) -> None:
        """A full collection due while ``busy()`` waits for it to be False (cheap: asked
        every check; at most ``FULL_DEFER_LIMIT_S``)."""
        self._busy = busy

    def collect_due(self) -> int:
        """Collect the oldest generation whose threshold was passed (and the younger ones),
        the oldest only once the window is still."""
        now = time.monotonic()
        still = self._still_for(now, STILL_S)
        due = due_generations()
        if not due:
            return 0
        oldest = max(due)
        if oldest == 2:
            since = self._full_due_since = self._full_due_since or now
            if now - since < FULL_DEFER_LIMIT_S and not still:
                younger = [g for g in due if g < 2]
                return gc.collect(max(younger)) if younger else 0
            self._full_due_since = None
        return gc.collect(oldest)

    def _still_for(self, now: float, seconds: float) -> bool:
        """Whether ``busy()`` has been False at every check of the last ``seconds``."""
        if self._busy():
            self._still_since = None
            return False
        self._still_since = self._still_since or now
        return now - self._still_since >= seconds

    def freeze_startup(self) -> None:
        """Call once the main window is shown: what exists now is never walked again (a
        cycle among it that turns into garbage later is kept, not freed)."""
        gc.freeze()

    def stop(self) -> None:
        """Back to how collection was before (tests; the app keeps it for its whole life)."""
        self._timer.stop()
        if self._was_enabled:
            gc.enable()
