"""What the transcript's message buttons do: regenerate, edit, switch version, delete, and
open an image or a cited page.

The transcript hands over a row; this turns it into the stored message's id, asks the user
where an action needs it (the edited text, whether to delete), and hands the session the
request. Kept out of the window, the way ``WindowDialogs`` and ``BackendSwitcher`` are, so
the window keeps its layout and wiring. No action starts while an answer is being written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QInputDialog, QMessageBox

from app.core.conversation import Role
from app.ui.common.image_viewer import ImageViewerDialog
from app.workflows.citations import question_words

if TYPE_CHECKING:
    from app.ui.window.main_window import MainWindow


class TranscriptActions:
    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def message_id(self, row: int) -> int | None:
        """The stored id of the message in ``row``; None for a row that is not there."""
        transcript = self.window.transcript
        if 0 <= row < transcript.rowCount():
            value = transcript.item(row).message_id
            return int(value) if value is not None else None
        return None

    def regenerate(self, row: int) -> None:
        """A new answer; on a question, a new version of the answer that follows it."""
        transcript, session = self.window.transcript, self.window.session
        item_id = self.message_id(row)
        if item_id is None or session.generating:
            return
        if transcript.item(row).role is Role.USER:
            next_id = self.message_id(row + 1)
            if next_id is None:
                return
            item_id = next_id
        session.regenerate(item_id)

    def edit(self, row: int) -> None:
        """Offer what was typed (not the document's pages sent with it) for editing."""
        transcript, session = self.window.transcript, self.window.session
        item_id = self.message_id(row)
        if item_id is None or session.generating or transcript.item(row).role is not Role.USER:
            return
        messages = session.messages
        typed = (
            question_words(messages[row].core.parts)
            if row < len(messages) and messages[row].stored.id == item_id
            else transcript.item(row).text
        )
        text, ok = QInputDialog.getMultiLineText(
            self.window,
            "Edit message",
            "Edit and resend (the earlier version is kept; images and document pages go again):",
            typed,
        )
        if ok:
            session.edit(item_id, text)

    def switch_branch(self, row: int, delta: int) -> None:
        item_id = self.message_id(row)
        if item_id is not None and not self.window.session.generating:
            self.window.session.show_sibling(item_id, delta)

    def delete(self, row: int) -> None:
        """Asks first: the messages after it in this branch go too."""
        item_id = self.message_id(row)
        if item_id is None or self.window.session.generating:
            return
        later = self.window.transcript.rowCount() - row - 1
        question = "Delete this message"
        if later:
            question += f" and the {later} message{'s' if later > 1 else ''} after it"
        answer = QMessageBox.question(
            self.window,
            "Delete message",
            f"{question}? Other versions of it are kept. This cannot be undone.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.window.session.delete_message(item_id)

    def show_image(self, row: int, index: int) -> None:
        images = self.window.transcript.item(row).images
        if 0 <= index < len(images):
            ImageViewerDialog(images[index], self.window).exec()

    def show_cited_page(self, row: int, pages: list) -> None:
        """A page citation in an answer: show that page as sent, or say it was not sent."""
        from app.ui.documents.page_citations import open_cited_page

        sent = self.window.transcript.sent_pages_before(row)
        shown = open_cited_page(self.window, sent, pages)
        if isinstance(shown, str):
            self.window.activity.setText(shown)
