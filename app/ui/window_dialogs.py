"""The window's dialogs: settings, About, and attaching a PDF's pages.

Each opens a dialog, waits for the user, and applies the outcome to the window's settings,
session and composer; kept out of the window so its layout and wiring stay readable.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog

from app.core.images import Detail
from app.ui.settings_dialog import SettingsDialog

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


class WindowDialogs:
    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def attach_document(self) -> None:
        """Pick a PDF and its pages; they go with the next message, in a private chat."""
        from app.ui.page_picker import PagePickerDialog

        path, _ = QFileDialog.getOpenFileName(
            self.window, "Attach a PDF", "", "PDF documents (*.pdf)"
        )
        if not path:
            return
        budget = self.window.composer.meter.budget
        free = budget.n_ctx - budget.needed if budget is not None else self.window._n_ctx()
        dialog = PagePickerDialog(Path(path), max(free, 0), self.window)
        if dialog.exec():
            self.window.composer.attach_document(
                Path(path).name, dialog.selected_parts(), dialog.total_tokens()
            )
            if self.window.session.info is None:
                self.window.activity.setText(
                    "Document chats are private: this one will stay on this computer."
                )

    def open_about(self) -> None:
        """Version, licences, and where history, settings, models and logs are kept (F1)."""
        from app.logs import default_log_dir
        from app.ui.about_dialog import AboutDialog

        store = getattr(self.window, "store", None)
        data_dir = store.db.path.parent if store is not None else Path(".")
        log_dir = getattr(self.window, "log_dir", None) or default_log_dir()
        AboutDialog(data_dir, log_dir, self.window.settings.path, self.window).exec()

    def open_settings(self) -> None:
        info = self.window.session.info
        dialog = SettingsDialog(
            self.window.settings, info.system_prompt if info else None, self.window
        )
        dialog.overrides_changed.connect(self.window._engine_changed)
        if dialog.exec():
            before = {
                k: self.window.settings[k]
                for k in ("model", "mmproj", "n_ctx", "kv_type", "n_gpu_layers")
            }
            dialog.apply()
            if info is not None and dialog.system_prompt.toPlainText() != info.system_prompt:
                self.window.session.update_settings(
                    system_prompt=dialog.system_prompt.toPlainText()
                )
            if before != {k: self.window.settings[k] for k in before}:
                self.window.device = ""
                self.window._engine_changed()
            self.window.composer.default_detail = Detail.parse(self.window.settings["detail"])
            self.window.refresh_engine_label()
