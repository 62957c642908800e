"""The window's dialogs: settings, About, and attaching a PDF's pages.

Each opens a dialog, waits for the user, and applies the outcome to the settings (telling the
engine's owner, which rebuilds the engine when one it is built from changed), the session and
the composer; kept out of the window so its layout and wiring stay readable.

The page picker opens without blocking (``open()``, not ``exec()``) and on the next turn of
the event loop: a drop handler that ran a nested event loop would keep the file manager's
drag waiting on some platforms, and the benchmark and tests can watch it fill in. It shows
only once its document has opened: a PDF that cannot be opened is refused in the composer's
notice, as a broken image is, not in a dialog holding one line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QFileDialog, QTabWidget, QWidget

from app.core.images import Detail
from app.ui.composer.composer import Composer
from app.ui.documents.page_picker import PagePickerDialog  # at start-up, not on the first drop
from app.ui.session.chat_session import ChatSession
from app.ui.session.engine_owner import EngineOwner
from app.ui.setup.settings_dialog import SettingsDialog
from app.ui.theme.theme import Theme


class WindowDialogs:
    """``data_dir`` and ``log_dir`` are where the history and the logs are kept (the About
    dialog shows them); ``say`` shows one passing line; dialogs open over ``parent``."""

    def __init__(
        self,
        engine: EngineOwner,
        session: ChatSession,
        composer: Composer,
        say: Callable[[str], None],
        places: tuple[Path, Path],
        parent: QWidget,
    ) -> None:
        self.engine = engine
        self.session = session
        self.composer = composer
        self.say = say
        self.data_dir, self.log_dir = places
        self.parent = parent
        self.picker: PagePickerDialog | None = None  # the page picker open now, if any
        self._queue: list[Path] = []  # PDFs waiting for their picker, in the order given

    def attach_document(self, path: str | Path | None = None) -> None:
        """Pick pages of the PDF at ``path`` (or of PDFs chosen in a file dialog); they go with
        the next message, in a private chat.

        Several PDFs (dropped together, or chosen at once) each get their picker in turn, in
        the order given, and the pages of all of them go with the message: people who drop two
        contracts mean to ask about both. Cancelling one picker skips only that document.
        """
        if path is None:
            paths, _ = QFileDialog.getOpenFileNames(
                self.parent, "Attach PDFs", "", "PDF documents (*.pdf);;All files (*)"
            )
        else:
            paths = [str(path)]
        self._queue.extend(Path(p) for p in paths if p)
        QTimer.singleShot(0, self._open_next_picker)

    def _open_next_picker(self) -> None:
        if self.picker is not None or not self._queue:
            return
        path = self._queue.pop(0)
        budget = self.composer.meter.budget
        free = budget.n_ctx - budget.needed if budget is not None else self.engine.context_size()
        # Choosing pages of a document already attached replaces that choice: its pages are
        # not taken from the room left for the new choice.
        free += self.composer.document_tokens_of(path.name)
        dialog = PagePickerDialog(path, max(free, 0), self.parent)
        dialog.finished.connect(lambda result: self._on_picker_finished(dialog, result))
        dialog.refused.connect(lambda message: self.composer.notice.add([message]))
        self.picker = dialog
        dialog.open_when_ready()

    def _on_picker_finished(self, dialog: PagePickerDialog, result: int) -> None:
        self.picker = None
        if result == QDialog.DialogCode.Accepted and dialog.selected_parts():
            self.composer.attach_document(
                dialog.path.name, dialog.selected_parts(), dialog.total_tokens()
            )
            if self.session.info is None:
                self.say("Document chats are private: this one will stay on this computer.")
        dialog.deleteLater()
        QTimer.singleShot(0, self._open_next_picker)

    def open_about(self) -> None:
        """Version, licences, and where history, settings, models and logs are kept (F1)."""
        from app.ui.setup.about_dialog import AboutDialog

        settings_path = self.engine.settings.path
        AboutDialog(self.data_dir, self.log_dir, settings_path, self.parent).exec()

    def open_models(self) -> None:
        """Settings on its Models page: the model menu's "Manage models…"."""
        self.open_settings(page="Models")

    def open_settings(self, page: str = "") -> None:
        """``page`` is the title of the tab to open on ("" for the first)."""
        settings, info = self.engine.settings, self.session.info
        dialog = SettingsDialog(settings, info.system_prompt if info else None, self.parent)
        tabs = dialog.findChild(QTabWidget)
        if tabs is not None and page:
            titles = [tabs.tabText(i).replace("&", "") for i in range(tabs.count())]
            if page in titles:
                tabs.setCurrentIndex(titles.index(page))
        # A model's own overrides are saved at once, outside the settings: rebuild for them.
        dialog.overrides_changed.connect(lambda: self.engine.settings_changed(force=True))
        if dialog.exec():
            dialog.apply()
            if info is not None and dialog.system_prompt.toPlainText() != info.system_prompt:
                self.session.update_settings(system_prompt=dialog.system_prompt.toPlainText())
            self.engine.settings_changed()
            self.composer.default_detail = Detail.parse(settings["detail"])
            theme = Theme.of()
            if theme is not None:  # the look follows a changed appearance at once
                theme.set_appearance(settings["appearance"])
