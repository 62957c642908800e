"""What the transcript's message buttons do: regenerate, continue a cut answer, edit, switch
version, delete, and open an image or a cited page.

The transcript hands over a row; this turns it into the stored message's id, asks the user
where an action needs it (whether to delete), lets a question be edited in place over its
bubble (``InlineMessageEditor``: words and images), and hands the session the request. Kept
out of the window, the way ``WindowDialogs`` and ``BackendSwitcher`` are, so the window keeps
its layout and wiring. No action starts while an answer is being written.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QAbstractItemView, QWidget

from app.core.conversation import Role
from app.core.images import Detail
from app.ui.common.image_viewer import ImageViewerDialog
from app.ui.session.chat_session import ChatSession
from app.ui.session.question_edit import user_images
from app.ui.theme.dialog_parts import confirm_destructive
from app.ui.transcript.message_editor import InlineMessageEditor
from app.ui.transcript.transcript_model import TranscriptModel
from app.workflows.citations import question_words


class TranscriptActions:
    """``say`` shows one passing line (the window's activity bar); dialogs open over
    ``parent``; a question is edited in place over its bubble in ``view``."""

    def __init__(
        self,
        session: ChatSession,
        transcript: TranscriptModel,
        say: Callable[[str], None],
        parent: QWidget,
        view: QAbstractItemView | None = None,
        detail: Callable[[], Detail] = lambda: Detail.NATIVE,
    ) -> None:
        self.session = session
        self.transcript = transcript
        self.say = say
        self.parent = parent
        self.view = view  # where a question is edited in place
        self.detail = detail  # how images added while editing are prepared
        self.editor: InlineMessageEditor | None = None  # the edit open now

    def message_id(self, row: int) -> int | None:
        """The stored id of the message in ``row``; None for a row that is not there."""
        transcript = self.transcript
        if 0 <= row < transcript.rowCount():
            value = transcript.item(row).message_id
            return int(value) if value is not None else None
        return None

    def regenerate(self, row: int) -> None:
        """A new answer; on a question, a new version of the answer that follows it."""
        transcript, session = self.transcript, self.session
        item_id = self.message_id(row)
        if item_id is None or session.generating:
            return
        if transcript.item(row).role is Role.USER:
            next_id = self.message_id(row + 1)
            if next_id is None:
                return
            item_id = next_id
        session.regenerate(item_id)

    def continue_answer(self, row: int) -> None:
        """Write on from the last answer, stopped at the answer limit, into the same answer."""
        item_id = self.message_id(row)
        last = row == self.transcript.rowCount() - 1
        if item_id is None or self.session.generating or not last:
            return
        if not self.transcript.item(row).limit_reached:
            return
        self.session.continue_answer(item_id)

    def edit(self, row: int) -> None:
        """Edit the question in place, over its bubble: what was typed (not the document's
        pages sent with it) and the attached images. Saving sends a new version; the earlier
        one is kept."""
        transcript, session = self.transcript, self.session
        item_id = self.message_id(row)
        if item_id is None or session.generating or transcript.item(row).role is not Role.USER:
            return
        if self.view is None:
            return
        messages = session.messages
        if row < len(messages) and messages[row].stored.id == item_id:
            parts = messages[row].core.parts
            typed, images = question_words(parts), user_images(parts)
        else:
            typed, images = transcript.item(row).text, []
        if self.editor is not None:
            self.editor.cancel()
        editor = InlineMessageEditor(self.view, row, typed, images, self.detail())
        self.editor = editor

        def save(text: str, new_images: list) -> None:
            self.editor = None
            if not session.generating:
                session.edit(item_id, text, new_images)

        def cancelled() -> None:
            if self.editor is editor:
                self.editor = None

        editor.saved.connect(save)
        editor.cancelled.connect(cancelled)

    def switch_branch(self, row: int, delta: int) -> None:
        item_id = self.message_id(row)
        if item_id is not None and not self.session.generating:
            self.session.show_sibling(item_id, delta)

    def delete(self, row: int) -> None:
        """Asks first: the messages after it in this branch go too."""
        item_id = self.message_id(row)
        if item_id is None or self.session.generating:
            return
        later = self.transcript.rowCount() - row - 1
        question = "Delete this message"
        if later:
            question += f" and the {later} message{'s' if later > 1 else ''} after it"
        if confirm_destructive(
            self.parent,
            "Delete message",
            f"{question}? Other versions of it are kept. This cannot be undone.",
            "Delete",
        ):
            self.session.delete_message(item_id)

    def show_image(self, row: int, index: int) -> None:
        images = self.transcript.item(row).images
        if 0 <= index < len(images):
            ImageViewerDialog(images[index], self.parent).exec()

    def show_cited_page(self, row: int, pages: list) -> None:
        """A page citation in an answer: show that page as sent, or say it was not sent."""
        from app.ui.documents.page_citations import open_cited_page

        sent = self.transcript.sent_pages_before(row)
        shown = open_cited_page(self.parent, sent, pages)
        if isinstance(shown, str):
            self.say(shown)
