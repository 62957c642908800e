"""The crash hook: a report file with versions and traceback, keys redacted, and the dialog."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from app import __version__
from app.crash_report import KEEP_REPORTS, install_excepthook, summary_line, write_report

MISTRAL_KEY = "Xk3pQ9vL2mN7rT4wZ8yB1cD6fG5hJ0sA"


@pytest.fixture
def quiet_hooks(monkeypatch) -> None:
    """Previous hooks that print nothing, restored after the test."""
    monkeypatch.setattr(sys, "excepthook", lambda *a: None)
    monkeypatch.setattr(threading, "excepthook", lambda args: None)


def _raise(message: str) -> tuple:
    try:
        raise ValueError(message)
    except ValueError:
        return sys.exc_info()


def test_sys_hook_writes_a_report_and_calls_show(tmp_path: Path, quiet_hooks) -> None:
    shown: list[tuple[str, Path]] = []
    hook = install_excepthook(tmp_path / "crashes", lambda s, p: shown.append((s, p)))
    try:
        sys.excepthook(*_raise(f"failed with api_key={MISTRAL_KEY}"))
    finally:
        hook.uninstall()
    assert len(shown) == 1
    summary, path = shown[0]
    assert summary.startswith("ValueError: failed with api_key=")
    assert MISTRAL_KEY not in summary
    text = path.read_text(encoding="utf-8")
    assert path.parent == tmp_path / "crashes" and path.name.startswith("crash-")
    for expected in (__version__, "Python", "PySide6", "llama-cpp-python", "Platform",
                     "Traceback", "ValueError", "_raise"):  # fmt: skip
        assert expected in text
    assert MISTRAL_KEY not in text and "[REDACTED]" in text


def test_thread_exceptions_are_reported(tmp_path: Path, quiet_hooks) -> None:
    shown: list[tuple[str, Path]] = []
    hook = install_excepthook(tmp_path, lambda s, p: shown.append((s, p)))

    def work() -> None:
        raise RuntimeError("Bearer Abc123secretvalue")

    try:
        thread = threading.Thread(target=work, name="engine-worker")
        thread.start()
        thread.join()
    finally:
        hook.uninstall()
    assert len(shown) == 1 and "Abc123secretvalue" not in shown[0][0]
    text = shown[0][1].read_text(encoding="utf-8")
    assert "Thread: engine-worker" in text and "Abc123secretvalue" not in text


def test_hook_never_raises(tmp_path: Path, quiet_hooks) -> None:
    def broken_show(summary: str, path: Path) -> None:
        raise OSError("no display")

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    hook = install_excepthook(tmp_path, broken_show)
    try:
        sys.excepthook(*_raise("first"))  # show fails: swallowed, report still written
        assert len(hook.reports) == 1
        hook.report_dir = blocker / "sub"  # cannot create a folder under a file
        sys.excepthook(*_raise("second"))
    finally:
        hook.uninstall()
    assert len(hook.reports) == 1


def test_keyboard_interrupt_is_not_a_crash(tmp_path: Path, quiet_hooks) -> None:
    shown: list = []
    hook = install_excepthook(tmp_path, lambda s, p: shown.append(s))
    try:
        sys.excepthook(KeyboardInterrupt, KeyboardInterrupt(), None)
    finally:
        hook.uninstall()
    assert shown == [] and not list(tmp_path.glob("crash-*"))


def test_uninstall_restores_previous_hooks(tmp_path: Path, quiet_hooks) -> None:
    before = (sys.excepthook, threading.excepthook)
    install_excepthook(tmp_path).uninstall()
    assert (sys.excepthook, threading.excepthook) == before


def test_old_reports_are_pruned(tmp_path: Path) -> None:
    for _ in range(KEEP_REPORTS + 5):
        write_report(tmp_path, *_raise("again"))
    assert len(list(tmp_path.glob("crash-*.txt"))) == KEEP_REPORTS


def test_summary_is_one_short_line() -> None:
    assert summary_line(ValueError, ValueError("a\nb")) == "ValueError: a"
    assert len(summary_line(ValueError, ValueError("x" * 1000))) == 300
    assert summary_line(KeyError, None) == "KeyError"
