"""Waiting until the transcript view shows what its model holds."""

from __future__ import annotations

from PySide6.QtCore import QThreadPool

from app.ui.transcript.chat_view import ChatView


def settle(qtbot, view: ChatView) -> None:
    """Thumbnails decode and long rows measure on worker threads: wait for them, let their
    results arrive, then lay the rows out again."""
    QThreadPool.globalInstance().waitForDone(2000)
    qtbot.wait(30)
    view.doItemsLayout()
