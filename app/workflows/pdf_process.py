"""The app's side of the PDF process: start it, ask it one thing at a time, end it.

Why a process: pdfium is C++ reading files from anywhere. A small PDF can ask for gigabytes
or minutes (a content stream that inflates to 200 MB of drawing operators: 58 s, 3.7 GB), and
when an allocation fails pdfium aborts the whole process. So it runs in ``pdf_child`` under a
memory ceiling (an address-space limit, or a watch where the OS enforces none), every request
has a wall-clock deadline after which the process is killed, and a process that dies or is
killed becomes a ``PdfFailure`` the caller words for people.
The next request starts a fresh process.

Why ``forkserver`` where the platform has it: measured on the 2-core Linux dev box (Python
3.11), a ``spawn`` child answers its first request 0.06-0.15 s after it is asked for (a fresh
interpreter importing pypdfium2 and Pillow), for every document opened and again after every
failure; a fork server, preloaded with ``pdf_child``, costs ~0.09 s once per app run and each
child then answers in ~5 ms and shares the server's memory pages. Forking the app itself
(``fork``) would be unsafe: the app runs Qt and pool threads, and a forked copy of a threaded
process may deadlock; the fork server is a fresh single-threaded interpreter, so its forks are
safe (PyInstaller's multiprocessing hook starts it in frozen builds). Windows has no fork server
and uses ``spawn``. A warm spare child is not worth its memory at these costs.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import weakref
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any, Literal

from app.core.child_process import main_script_hidden

MIB = 1024 * 1024
GIB = 1024 * MIB

MEMORY_LIMIT_BYTES = 2 * GIB
"""Address space a PDF process may use: a 1024 px page of a 500-page scan needs ~300 MB."""
OPEN_DEADLINE_S = 30.0
"""Reading the file and pdfium's first parse (cross-reference table, page tree)."""
PAGE_DEADLINE_S = 20.0
"""Drawing one page, or reading its size and text: seconds for any honest page."""
MAX_FILE_BYTES = 512 * MIB
"""Larger files are refused before they are read: the whole file is held in memory."""
CLOSE_GRACE_S = 1.0
"""How long a process asked to quit may take before it is killed."""

_CHILD_MODULE = "app.workflows.pdf_child"

Failure = Literal["time", "died"]
"""Ran past its deadline (and was killed), or ended on its own: abort, signal, MemoryError."""


@dataclass(frozen=True)
class PdfLimits:
    """The budget of one PDF process; tests pass smaller ones so hostile files fail fast."""

    memory_bytes: int | None = MEMORY_LIMIT_BYTES
    open_s: float = OPEN_DEADLINE_S
    page_s: float = PAGE_DEADLINE_S
    max_file_bytes: int = MAX_FILE_BYTES
    watch_memory_only: bool = False
    """Cap memory with the watch macOS and Windows rely on, not the address-space limit
    (``pdf_child.guard_memory``): so Linux tests exercise it too."""


DEFAULT_LIMITS = PdfLimits()


class PdfFailure(Exception):
    """The PDF process ran out of time (and was killed) or died (memory, or a crash)."""

    def __init__(self, kind: Failure, exitcode: int | None) -> None:
        super().__init__(f"PDF process failed: {kind} (exit code {exitcode})")
        self.kind = kind
        self.exitcode = exitcode


class PdfProcess:
    """One child process serving one document; ``request`` is safe from any thread."""

    def __init__(self, limits: PdfLimits = DEFAULT_LIMITS) -> None:
        from app.workflows.pdf_child import serve

        context = _context()
        parent_conn, child_conn = context.Pipe()
        self._process: BaseProcess = context.Process(
            target=serve,
            args=(child_conn, limits.memory_bytes, limits.watch_memory_only),
            name="pixtral-pdf",
            daemon=True,
        )
        with main_script_hidden():
            self._process.start()
        child_conn.close()  # only the child holds its end: its death reads as end-of-file here
        self._conn: Connection | None = parent_conn
        self._lock = threading.Lock()
        # A document dropped without close(), or still open when the app exits: reap anyway.
        self._reaper = weakref.finalize(self, _reap, self._process, parent_conn)

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def alive(self) -> bool:
        return self._conn is not None and self._process.is_alive()

    def request(self, message: tuple[Any, ...], deadline_s: float) -> tuple[Any, ...]:
        """Send ``message`` and return the reply, or kill the process and raise ``PdfFailure``.

        A dead process is noticed at once (its pipe closes), not at the deadline.
        """
        with self._lock:
            conn = self._conn
            if conn is None:
                raise PdfFailure("died", self._process.exitcode)
            try:
                conn.send(message)
                ready = wait([conn, self._process.sentinel], deadline_s)
                if conn in ready or conn.poll(0):
                    reply = conn.recv()
                    if reply[:2] != ("error", "memory"):
                        return reply
                    kind: Failure = "died"
                elif ready:
                    kind = "died"  # without a word: abort or a signal
                else:
                    kind = "time"
            except (EOFError, OSError):
                kind = "died"
            self._end(kill=True)
            raise PdfFailure(kind, self._process.exitcode)

    def close(self) -> None:
        """Ask the process to quit, kill it if it does not, and reap it (no zombie left)."""
        with self._lock:
            self._end(kill=False)

    def _end(self, kill: bool) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not kill:
            with contextlib.suppress(OSError):
                conn.send(None)
            self._process.join(CLOSE_GRACE_S)
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        if conn is not None:
            conn.close()
        self._reaper.detach()


def _reap(process: BaseProcess, conn: Connection) -> None:
    if process.is_alive():
        process.kill()
    process.join()
    conn.close()


_CONTEXT: BaseContext | None = None


def _context() -> BaseContext:
    """``forkserver`` preloaded with the child's module where available, else ``spawn``."""
    global _CONTEXT
    if _CONTEXT is None:
        if "forkserver" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([_CHILD_MODULE])
        else:
            context = multiprocessing.get_context("spawn")
        _CONTEXT = context
    return _CONTEXT
