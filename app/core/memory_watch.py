"""A memory ceiling for a child process where the OS will not enforce one.

The PDF process caps its address space (``RLIMIT_AS``) so a hostile file that asks pdfium for
gigabytes ends that process long before the computer swaps. Linux enforces the cap; Windows has
no ``setrlimit`` and macOS accepts it without enforcing it (or refuses it). There a thread of the
child samples the process's own memory and ends the process once it passes the ceiling: the app
sees the same death as under the cap and says the same thing. pdfium is called through ctypes,
which lets go of the GIL during each call, so the watch runs while a page is being drawn.

What is sampled: the resident set on Linux (``/proc/self/statm``, for the tests), the peak
resident set on macOS (``ru_maxrss``, in bytes there), committed private memory on Windows
(``PagefileUsage``: memory it asked for, whether or not it is resident).
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time

WATCH_INTERVAL_S = 0.05
"""pdfium allocates at most ~0.5 GB/s (measured on a bomb page): the ceiling is passed by
tens of MB at most before the watch sees it."""

EXIT_OVER_MEMORY = 75
"""The status the watched process ends with: an exit code of its own, not a signal."""


def process_memory_bytes() -> int | None:
    """This process's memory as the platform's watch counts it; None where it cannot."""
    try:
        if sys.platform.startswith("linux"):
            with open("/proc/self/statm", "rb") as statm:
                return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        if sys.platform == "darwin":
            import resource

            return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        if sys.platform == "win32":
            return _windows_committed_bytes()
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return None


def watch_memory(ceiling_bytes: int, interval_s: float = WATCH_INTERVAL_S) -> bool:
    """End this process (``EXIT_OVER_MEMORY``) once its memory passes ``ceiling_bytes``.

    False, and no watch, where the memory cannot be read. Only for a child process that holds
    nothing of the user's: it ends without unwinding.
    """
    if process_memory_bytes() is None:
        return False
    watch = threading.Thread(
        target=_watch, args=(ceiling_bytes, interval_s), name="memory-watch", daemon=True
    )
    watch.start()
    return True


def _watch(ceiling_bytes: int, interval_s: float) -> None:
    while True:
        used = process_memory_bytes()
        if used is not None and used > ceiling_bytes:
            os._exit(EXIT_OVER_MEMORY)
        time.sleep(interval_s)


class _ProcessMemoryCounters(ctypes.Structure):
    _fields_ = [
        ("cb", ctypes.c_uint32),
        ("PageFaultCount", ctypes.c_uint32),
        ("PeakWorkingSetSize", ctypes.c_size_t),
        ("WorkingSetSize", ctypes.c_size_t),
        ("QuotaPeakPagedPoolUsage", ctypes.c_size_t),
        ("QuotaPagedPoolUsage", ctypes.c_size_t),
        ("QuotaPeakNonPagedPoolUsage", ctypes.c_size_t),
        ("QuotaNonPagedPoolUsage", ctypes.c_size_t),
        ("PagefileUsage", ctypes.c_size_t),
        ("PeakPagefileUsage", ctypes.c_size_t),
    ]


def _windows_committed_bytes() -> int | None:
    """``K32GetProcessMemoryInfo`` (kernel32 since Windows 7) on this process."""
    kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined]
    kernel32.GetCurrentProcess.restype = ctypes.c_void_p
    counters = _ProcessMemoryCounters()
    counters.cb = ctypes.sizeof(counters)
    ok = kernel32.K32GetProcessMemoryInfo(
        ctypes.c_void_p(kernel32.GetCurrentProcess()), ctypes.byref(counters), counters.cb
    )
    return int(counters.PagefileUsage) if ok else None
