"""How long a pool thread may keep the GIL while the GUI thread waits for it.

The window's work is Python on the GUI thread; images, history writes and document pages are
prepared on pool threads, partly in Python too. When both want the interpreter, CPython makes
the thread holding it let go after the switch interval, 5 ms by default: each time an event
arrives while a pool thread runs Python, the GUI thread can wait that long before it even
starts, on top of the work itself. At 1 ms the wait shrinks to a millisecond, for a few percent
of a pool thread's throughput (it is handed the GIL back just as quickly). Measured with the UI
stall benchmark that drops 20 photos (decoded and thumbnailed on the pool): worst stall
11.0-18.1 ms at 5 ms, 6.6-13.1 ms at 1 ms, same machine, alternating runs.
"""

from __future__ import annotations

import sys

GUI_SWITCH_INTERVAL_S = 0.001


def shorten_gil_switch() -> None:
    """Call once at start-up, before the pools start (the app and the UI benchmarks)."""
    sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)
