"""What the sidebar's conversation menu does: rename, move to the trash, export.

The sidebar hands over a conversation's id; this asks the user what is needed (a title, a
file to write) and hands the session the request. The per-conversation counterpart of
``TranscriptActions``, kept out of the window for the same reason: the window keeps its
layout and wiring.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QWidget

from app.ui.session.chat_session import ChatSession


class ConversationActions:
    """``say`` shows one passing line (the window's activity bar); dialogs open over
    ``parent``."""

    def __init__(self, session: ChatSession, say: Callable[[str], None], parent: QWidget) -> None:
        self.session = session
        self.say = say
        self.parent = parent

    def rename(self, conversation_id: int) -> None:
        title, ok = QInputDialog.getText(self.parent, "Rename", "New title:")
        if ok and title.strip():
            self.session.rename(conversation_id, title.strip())

    def trash(self, conversation_id: int) -> None:
        """No question asked: a conversation in the trash can be restored (the notice says how)."""
        self.session.trash(conversation_id)
        self.say(f"Moved to the trash (undo: pixtral-desk history restore {conversation_id}).")

    def export(self, conversation_id: int) -> None:
        """Markdown or JSON, by the suffix of the file chosen."""
        path, _ = QFileDialog.getSaveFileName(
            self.parent,
            "Export conversation",
            "conversation.md",
            "Markdown (*.md);;JSON (*.json)",
        )
        if path:
            self.session.export(conversation_id, Path(path))
