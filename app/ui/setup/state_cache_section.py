"""Settings → Engine → Resuming chats: how much disk the saved chat states use, and Clear.

The local engine saves what it has read of a chat (its llama.cpp state) in the user cache
folder, so a chat reopened after a restart answers at once. Those files can be large (the KV
cache of a long chat), so the section says how much they take and lets the user delete them.
Measuring walks a folder and clearing deletes files, so both run off the GUI thread; the
section shows "Measuring…" / "Clearing…" meanwhile.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from app.engine.local import state_folder
from app.engine.local.state_files import default_state_dir
from app.ui.common.background import run_in_background
from app.ui.setup.setting_words import RESUME_HEADING
from app.ui.theme.tokens import SPACING


def describe_usage(used: int) -> str:
    """The size in words, as people read a disk: MB below a gigabyte, GB above."""
    if used <= 0:
        return "No chats saved."
    if used < 1e9:
        return f"Saved chats use {max(used / 1e6, 0.1):,.1f} MB."
    return f"Saved chats use {used / 1e9:,.2f} GB."


class StateCacheUsage(QWidget):
    """The size of the saved chat states and a button that deletes them."""

    def __init__(self, folder: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = folder or default_state_dir()
        self.usage = QLabel("Measuring…")
        self.usage.setObjectName("dialogNote")
        self.usage.setAccessibleName("Disk space used by saved chats")
        self.usage.setToolTip(f"Saved in {self.folder}")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setAccessibleName("Clear saved chats")
        self.clear_button.setToolTip(
            "Delete the saved chat states; chats are read again the next time they are used. "
            "Conversations themselves are not touched."
        )
        self.clear_button.clicked.connect(self._on_clear_button_clicked)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(SPACING["md"])
        row.addWidget(self.usage, 1)
        row.addWidget(self.clear_button)
        self.refresh()

    def refresh(self) -> None:
        """Measure the folder again, off the GUI thread."""
        folder = self.folder
        self.clear_button.setEnabled(False)
        run_in_background(
            lambda: state_folder.used_bytes(folder), self._on_measured, self._on_failed, guard=self
        )

    def _on_clear_button_clicked(self) -> None:
        folder = self.folder
        self.clear_button.setEnabled(False)
        self.usage.setText("Clearing…")
        run_in_background(
            lambda: state_folder.clear(folder), lambda _freed: self.refresh(), self._on_failed,
            guard=self,
        )  # fmt: skip

    def _on_measured(self, used: int) -> None:
        self.usage.setText(describe_usage(used))
        self.clear_button.setEnabled(used > 0)

    def _on_failed(self, error: Exception) -> None:
        self.usage.setText(f"Could not read the saved chats folder: {error}")
        self.clear_button.setEnabled(True)


def add_state_cache_usage(sections: dict, folder: Path | None = None) -> StateCacheUsage | None:
    """Put the usage row under the "Resuming chats" section of a settings dialog, if shown."""
    section = sections.get(RESUME_HEADING)
    if section is None:
        return None
    usage = StateCacheUsage(folder)
    section.add_wide(usage)
    return usage
