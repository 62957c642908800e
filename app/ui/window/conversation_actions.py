"""What the sidebar's conversation menu does: rename, move to the trash, export.

The sidebar hands over a conversation's id; this asks the user what is needed (a title, a
file to write) and hands the session the request. The per-conversation counterpart of
``TranscriptActions``, kept out of the window for the same reason: the window keeps its
layout and wiring.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QInputDialog

if TYPE_CHECKING:
    from app.ui.window.main_window import MainWindow


class ConversationActions:
    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def rename(self, conversation_id: int) -> None:
        title, ok = QInputDialog.getText(self.window, "Rename", "New title:")
        if ok and title.strip():
            self.window.session.rename(conversation_id, title.strip())

    def trash(self, conversation_id: int) -> None:
        """No question asked: a conversation in the trash can be restored (the notice says how)."""
        self.window.session.trash(conversation_id)
        self.window.activity.setText("Moved to the trash (restore it with `pixtral-desk history`).")

    def export(self, conversation_id: int) -> None:
        """Markdown or JSON, by the suffix of the file chosen."""
        path, _ = QFileDialog.getSaveFileName(
            self.window,
            "Export conversation",
            "conversation.md",
            "Markdown (*.md);;JSON (*.json)",
        )
        if path:
            self.window.session.export(conversation_id, Path(path))
