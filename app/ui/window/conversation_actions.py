"""What the sidebar's conversation menu does: rename, move to the trash, export.

The sidebar hands over a conversation's id; this asks the user what is needed (a title, a
file to write) and hands the session the request. The per-conversation counterpart of
``TranscriptActions``, kept out of the window for the same reason: the window keeps its
layout and wiring.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QWidget

from app.ui.session.chat_session import ChatSession

FILE_NAME_LENGTH = 60


def export_file_name(title: str, suffix: str = ".md") -> str:
    """A file name people recognise as the chat's: its title in letters, digits, ``-`` and
    ``_`` only, so it is valid on every system (no ``/``, ``:`` or ``?``) and needs no quoting
    in a shell; ``conversation`` when nothing of the title is left."""
    words = re.sub(r"[^\w\-]+", " ", title, flags=re.UNICODE).split()
    stem = "-".join(words)[:FILE_NAME_LENGTH].strip("-_") or "conversation"
    return stem + suffix


class ConversationActions:
    """``say`` shows one passing line (the window's activity bar); dialogs open over
    ``parent``; ``title_of`` gives a listed conversation's title (the sidebar knows them),
    so rename and export start from it rather than from nothing."""

    def __init__(
        self,
        session: ChatSession,
        say: Callable[[str], None],
        parent: QWidget,
        title_of: Callable[[int], str] = lambda _id: "",
    ) -> None:
        self.session = session
        self.say = say
        self.parent = parent
        self.title_of = title_of

    def rename(self, conversation_id: int) -> None:
        """The box holds the current title, selected: typing replaces it, an arrow key keeps
        it for a small correction."""
        dialog = QInputDialog(self.parent)
        dialog.setWindowTitle("Rename")
        dialog.setLabelText("New title:")
        dialog.setTextValue(self.title_of(conversation_id))
        edit = dialog.findChild(QLineEdit)
        if edit is not None:
            # Wide enough to show a usual title whole, not its tail scrolled into view.
            width = edit.fontMetrics().horizontalAdvance(dialog.textValue()) + 24
            edit.setMinimumWidth(max(320, min(width, 520)))
            edit.selectAll()
        if dialog.exec() and dialog.textValue().strip():
            self.session.rename(conversation_id, dialog.textValue().strip())

    def trash(self, conversation_id: int) -> None:
        """No question asked: a conversation in the trash can be restored (the notice says how)."""
        self.session.trash(conversation_id)
        self.say(f"Moved to the trash (undo: pixtral-desk history restore {conversation_id}).")

    def export(self, conversation_id: int) -> None:
        """Markdown or JSON, by the suffix of the file chosen; the file is named after the chat
        and the status line says where it went once it is written (the write runs in the
        background, so a silent dialog would leave people wondering)."""
        path, _ = QFileDialog.getSaveFileName(
            self.parent,
            "Export conversation",
            export_file_name(self.title_of(conversation_id)),
            "Markdown (*.md);;JSON (*.json)",
        )
        if path:
            out = Path(path)
            self.session.export(conversation_id, out, lambda: self.say(f"Exported to {out}"))
