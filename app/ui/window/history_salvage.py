"""Recovering a damaged history's conversations on a pool thread, the window usable meanwhile.

A big damaged history (thousands of chats, their attachments) takes minutes to copy; on the GUI
thread that was minutes of a frozen app with no window. Here the copy runs through
``run_in_background``: the sidebar says "Recovering conversations…" with how far it got, the
list fills in as chats arrive, and the result is shown once at the end. The user may start a
chat meanwhile: salvage writes each conversation in a short transaction of its own through the
store's lock, so the two take turns instead of colliding. Quitting stops the copy between two
conversations (waiting for the one being written): what was copied is whole, and salvaging the
moved-aside file again (the app's offer or ``pixtral-desk history salvage``) copies the rest.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QThreadPool, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from app.storage.errors import StorageError
from app.storage.history import HistoryStore
from app.storage.salvage import SalvageReport, salvage
from app.ui.common.background import run_in_background
from app.ui.session.chat_session import ChatSession
from app.ui.window.sidebar import Sidebar

RECOVERING = "Recovering conversations…"
PROGRESS_EVERY = 25
"""Conversations between two progress reports (and list refreshes): often enough to see it
move, rarely enough that thousands of chats do not flood the GUI thread."""
STOP_WAIT_S = 30.0
"""How long quitting waits for the conversation being written (its transaction is short)."""


class HistorySalvage(QObject):
    """One salvage of ``damaged`` into ``store``; ``finished`` carries the one message to show
    (what was copied, or why it failed)."""

    progressed = Signal(int, int)  # conversations done, of how many
    finished = Signal(str)

    def __init__(
        self,
        store: HistoryStore,
        damaged: Path,
        parent: QObject | None = None,
        pool: QThreadPool | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.damaged = Path(damaged)
        self.result: str | None = None
        self._pool = pool
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)

    @property
    def running(self) -> bool:
        return not self._idle.is_set()

    def start(self) -> None:
        self._idle.clear()
        run_in_background(self._work, self._on_done, self._on_failed, self._pool, guard=self)

    def stop(self) -> None:
        """Stop between two conversations and wait for the one being written to commit."""
        self._stop.set()
        self._idle.wait(STOP_WAIT_S)

    def _work(self) -> SalvageReport:  # on a pool thread
        try:
            return salvage(
                self.store, self.damaged, progress=self._progress, cancelled=self._stop.is_set
            )
        finally:
            self._idle.set()

    def _progress(self, done: int, total: int) -> None:  # on the pool thread: a queued signal
        if done % PROGRESS_EVERY == 0 or done == total:
            with contextlib.suppress(RuntimeError):  # the window was closed meanwhile
                self.progressed.emit(done, total)

    def _on_done(self, report: SalvageReport) -> None:
        self.result = report.describe()
        self.finished.emit(self.result)

    def _on_failed(self, error: Exception) -> None:
        if isinstance(error, StorageError):
            text = str(error)
        else:
            text = (
                f"Recovering the conversations stopped on an unexpected error ({error}). What "
                f"was copied is kept; to try again: pixtral-desk history salvage '{self.damaged}'."
            )
        self.result = text
        self.finished.emit(text)


def start_salvage(
    window: QWidget, store: HistoryStore, session: ChatSession, sidebar: Sidebar
) -> HistorySalvage:
    """Start recovering the moved-aside history into ``store``, shown in the sidebar."""
    assert store.db.recovered_from is not None
    run = HistorySalvage(store, store.db.recovered_from, window)
    sidebar.show_note(RECOVERING)

    def on_progress(done: int, total: int) -> None:
        sidebar.show_note(f"{RECOVERING} {done:,} of {total:,}")
        session.refresh_list()  # the chats copied so far appear as they come

    def on_finished(text: str) -> None:
        sidebar.hide_note()
        session.refresh_list()
        box = QMessageBox(QMessageBox.Icon.Information, "Pixtral Desk", text, parent=window)
        box.setObjectName("salvageResult")
        box.open()  # not exec(): the window stays usable behind it

    run.progressed.connect(on_progress)
    run.finished.connect(on_finished)
    run.start()
    return run
