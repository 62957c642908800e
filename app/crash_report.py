"""Unhandled exceptions become a crash report file and a dialog, not a vanished window.

Why: a GUI started from a launcher has no terminal, so Python's default hook prints a traceback
nobody sees (and for a worker thread the feature silently stops). ``install_excepthook`` hooks
``sys.excepthook`` (the main thread, and exceptions PySide6 reports from slots) and
``threading.excepthook`` (worker threads): each writes ``crash-<time>.txt`` with what a bug
report needs — app, Python, Qt and llama-cpp-python versions, platform, traceback — scrubbed of
API keys by ``app.core.secrets.redact`` (the one redaction the logs and error messages use
too), then calls ``show(summary, path)`` so the GUI can tell the user. The hook never raises:
any failure of its own falls back to the previous hook.

``show`` may be called from any thread; the GUI passes ``app.ui.setup.about_dialog.CrashNotifier``,
which hops to the GUI thread before it opens the dialog.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import platform
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import TracebackType

from app import __version__
from app.core.secrets import redact

ShowCrash = Callable[[str, Path], None]
KEEP_REPORTS = 20
"""Older crash reports are deleted, so a crash loop cannot fill the disk."""

log = logging.getLogger(__name__)


def _dist_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment() -> dict[str, str]:
    """Versions and platform, read without importing Qt or llama.cpp (the CLI may have neither
    loaded, and a crash report must not start loading native libraries)."""
    qt_runtime = "not loaded"
    qtcore = sys.modules.get("PySide6.QtCore")
    if qtcore is not None:
        with contextlib.suppress(Exception):
            qt_runtime = qtcore.qVersion()
    return {
        "Pixtral Desk": __version__,
        "Python": f"{platform.python_version()} ({sys.executable})",
        "PySide6": _dist_version("PySide6"),
        "Qt runtime": qt_runtime,
        "llama-cpp-python": _dist_version("llama_cpp_python"),
        "Platform": platform.platform(),
        "Machine": platform.machine(),
    }


def summary_line(exc_type: type[BaseException], exc: BaseException | None) -> str:
    """One line for the dialog: the exception type and its (redacted, shortened) message."""
    text = redact(str(exc)) if exc is not None else ""
    line = f"{exc_type.__name__}: {text}" if text else exc_type.__name__
    line = line.splitlines()[0] if line else exc_type.__name__
    return line if len(line) <= 300 else line[:297] + "..."


def write_report(
    report_dir: Path,
    exc_type: type[BaseException],
    exc: BaseException | None,
    tb: TracebackType | None,
    thread_name: str | None = None,
    now: dt.datetime | None = None,
) -> Path:
    """Write one crash report and return its path (older reports beyond KEEP_REPORTS go)."""
    now = now or dt.datetime.now().astimezone()
    report_dir.mkdir(parents=True, exist_ok=True)
    lines = [
        "Pixtral Desk crash report",
        f"Time: {now.isoformat(timespec='seconds')}",
        f"Thread: {thread_name or threading.current_thread().name}",
    ]
    lines += [f"{name}: {value}" for name, value in environment().items()]
    lines += ["", "Traceback:", "".join(traceback.format_exception(exc_type, exc, tb))]
    path = report_dir / f"crash-{now:%Y%m%d-%H%M%S-%f}.txt"
    path.write_text(redact("\n".join(lines)), encoding="utf-8")
    _prune(report_dir)
    return path


def _prune(report_dir: Path) -> None:
    reports = sorted(report_dir.glob("crash-*.txt"))
    for old in reports[:-KEEP_REPORTS]:
        with contextlib.suppress(OSError):
            old.unlink()


@dataclass
class CrashHook:
    """The installed hooks; ``uninstall`` puts the previous ones back (tests, shutdown)."""

    report_dir: Path
    show: ShowCrash | None
    previous_sys: Callable[..., object] = field(default=sys.__excepthook__)
    previous_threading: Callable[..., object] = field(default=threading.__excepthook__)
    reports: list[Path] = field(default_factory=list)
    _busy: threading.local = field(default_factory=threading.local)

    def handle(
        self,
        exc_type: type[BaseException],
        exc: BaseException | None,
        tb: TracebackType | None,
        thread_name: str | None = None,
    ) -> Path | None:
        """Report one exception; returns the report path, or None if none could be written."""
        if getattr(self._busy, "active", False):  # the hook itself failed: do not loop
            return None
        self._busy.active = True
        try:
            path = write_report(self.report_dir, exc_type, exc, tb, thread_name)
            self.reports.append(path)
            with contextlib.suppress(Exception):
                log.critical("unhandled %s; crash report: %s", exc_type.__name__, path)
            if self.show is not None:
                try:
                    self.show(summary_line(exc_type, exc), path)
                except Exception:
                    with contextlib.suppress(Exception):
                        log.exception("could not show the crash dialog")
            return path
        except Exception:
            return None
        finally:
            self._busy.active = False

    def sys_hook(
        self,
        exc_type: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
    ) -> None:
        with contextlib.suppress(Exception):
            self.previous_sys(exc_type, exc, tb)  # still print it, for terminal users
        if issubclass(exc_type, KeyboardInterrupt):
            return
        self.handle(exc_type, exc, tb)

    def thread_hook(self, args: threading.ExceptHookArgs) -> None:
        with contextlib.suppress(Exception):
            self.previous_threading(args)
        if args.exc_type is SystemExit:  # threading ignores it too
            return
        name = args.thread.name if args.thread is not None else None
        self.handle(args.exc_type, args.exc_value, args.exc_traceback, name)

    def uninstall(self) -> None:
        if sys.excepthook == self.sys_hook:
            sys.excepthook = self.previous_sys
        if threading.excepthook == self.thread_hook:
            threading.excepthook = self.previous_threading


def install_excepthook(report_dir: Path, show: ShowCrash | None = None) -> CrashHook:
    """Hook unhandled exceptions on every thread: write a report to ``report_dir`` (usually the
    log folder, so "Open folder" in About finds it) and call ``show(summary, path)``."""
    hook = CrashHook(Path(report_dir), show, sys.excepthook, threading.excepthook)
    sys.excepthook = hook.sys_hook
    threading.excepthook = hook.thread_hook
    return hook
