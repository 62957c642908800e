"""Where a message is written: one rounded card holding the attachments, the text box, the
attach menu, presets, Make HTML, the context meter and a round Send/Stop.

Images come in by drop (files from a file manager, image data from a browser), by paste
(clipboard images and copied files) and by the file picker; what a drop or paste holds is read
by ``image_mime`` (web links are refused, never fetched), and refusals are listed in a
``RefusedNotice`` above the card.

Nothing is cleared when Send is pressed: the window clears the composer with
``clear_after_send()`` once the turn is really under way, so a failure loses nothing.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from PySide6.QtCore import QMimeData, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QVBoxLayout,
    QWidget,
)

from app.core.budget import TurnBudget
from app.core.composition import Composition
from app.core.conversation import Part
from app.core.document_marks import labelled_pages
from app.core.images import Detail, PreparedImage
from app.ui.composer.composer_tools import ComposerTools
from app.ui.composer.context_meter import ContextMeter, alert_colour, over_budget_text
from app.ui.composer.document_chips import AttachedDocument, DocumentChips
from app.ui.composer.document_files import split_documents
from app.ui.composer.image_mime import IMAGE_FORMATS, sources_from_mime
from app.ui.composer.make_html_button import MakeHtmlButton
from app.ui.composer.message_edit import MessageEdit
from app.ui.composer.pending_images import ImageSource, PendingImagesModel
from app.ui.composer.pending_strip import PendingImagesStrip
from app.ui.composer.refused_notice import RefusedNotice
from app.ui.composer.send_button import SendButton
from app.ui.theme.dialog_parts import StatusNote
from app.ui.theme.tokens import READING_WIDTH, SPACING

_IMAGE_GLOBS = "*.png *.jpg *.jpeg *.webp *.gif *.bmp *.tif *.tiff"
FILE_FILTER = (
    f"Images and PDFs ({_IMAGE_GLOBS} *.pdf);;Images ({_IMAGE_GLOBS});;PDF documents (*.pdf);;"
    "All files (*)"
)
_KEYS_HINT = "  (Enter sends, Shift+Enter: new line)"


class Composer(QWidget):
    """Notices above one rounded card: pending images and documents, the message box, and a
    row with the attach menu, Presets, Make HTML, the context meter and Send/Stop."""

    send_requested = Signal(object)  # Composition: exactly what the meter counts
    stop_requested = Signal()
    document_requested = Signal()  # "Attach PDF…": the window runs the page picker
    document_dropped = Signal(str)  # a PDF dropped, pasted or picked: the window opens the picker
    composition_changed = Signal()  # text or images changed: recompute the meter
    images_refused = Signal(list)  # list[str], each naming a file

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self.setAcceptDrops(True)
        self.default_detail = Detail.NATIVE
        self.composition_detail: Detail | None = None  # a preset's, until this message is sent
        self.dropping = False
        self._generating = False
        self._unavailable = ""  # why nothing can be sent at all (no model): the window says
        self.images = PendingImagesModel(self)
        self.images.images_changed.connect(self._on_images_images_changed)
        self.images.image_refused.connect(self._on_images_image_refused)
        self.images.document_found.connect(self.document_dropped)
        self.notice = RefusedNotice(self)
        self.card = QFrame(self)
        self.card.setObjectName("composerCard")
        self.strip = PendingImagesStrip(self.images, self.card)
        self.strip.accepts_drop = self.accepts_mime
        self.strip.drop = self.add_from_mime
        self.editor = MessageEdit(self)
        self.editor.setAccessibleName("Message")
        self.editor.setToolTip("Your message. Enter sends, Shift+Enter adds a line, Esc stops.")
        self.editor.setTabChangesFocus(True)
        self.editor.textChanged.connect(self._on_editor_text_changed)
        self.editor.send_pressed.connect(self._on_editor_send_pressed)
        self.editor.escape_pressed.connect(self.stop_requested)
        self.editor.focus_changed.connect(self._on_editor_focus_changed)
        self.document_parts: list[Part] = []
        self._documents: dict[str, tuple[list[Part], int]] = {}  # name → its parts, tokens
        self.document_tokens = 0
        self.document_chips = DocumentChips(self.card)
        self.document_chips.remove_requested.connect(self.detach_document)
        self.meter = ContextMeter(self.card)
        self.meter.budget_changed.connect(self._on_meter_budget_changed)
        self.budget_line = StatusNote("budgetLine", self.card)
        self.budget_line.setAccessibleName("Why the message cannot be sent")
        self.send_button = SendButton(self.card)
        self.send_button.clicked.connect(self._on_send_button_clicked)
        self.tools = ComposerTools(self)
        self.tools.images_requested.connect(self.choose_images)
        self.tools.document_requested.connect(self.document_requested)
        self.make_html_button = MakeHtmlButton(self.card)
        self._lay_out()
        self._update_placeholder()
        self._update_send()

    def _lay_out(self) -> None:
        """Notices above one card: attachments, the text box, then the tools, meter and Send.

        The card keeps the transcript's reading width, centred, so the box sits under what it
        answers; a narrower window gets all of it.
        """
        s = SPACING
        row = QHBoxLayout()
        row.setSpacing(s["xs"])
        for tool in (self.tools.attach_button, self.tools.presets_button, self.make_html_button):
            row.addWidget(tool)
        row.addStretch(1)
        row.addWidget(self.meter)
        row.addSpacing(s["sm"])
        row.addWidget(self.send_button)
        inside = QVBoxLayout(self.card)
        inside.setContentsMargins(s["sm"], s["sm"], s["sm"], s["sm"])
        inside.setSpacing(s["xs"])
        inside.addWidget(self.strip)
        inside.addWidget(self.document_chips)
        inside.addWidget(self.editor)
        inside.addWidget(self.budget_line)
        inside.addLayout(row)
        column = QWidget(self)
        column.setMaximumWidth(READING_WIDTH)
        stack = self._column = QVBoxLayout(column)
        stack.setContentsMargins(0, 0, 0, 0)
        stack.setSpacing(s["xs"])
        stack.addWidget(self.notice)
        stack.addWidget(self.card)
        centred = QHBoxLayout(self)
        centred.setContentsMargins(s["lg"], s["xs"], s["lg"], s["md"])
        centred.addStretch(1)
        centred.addWidget(column, READING_WIDTH)  # grows to its maximum before the margins do
        centred.addStretch(1)
        self.strip.synced.connect(self._chain_focus)
        self._chain_focus()

    def _chain_focus(self) -> None:
        """Tab goes through the card top to bottom: images, documents, the box, its tools."""
        chain = (
            self.notice.close_button,
            *self.strip.focus_chain(),
            *(chip.remove_button for chip in self.document_chips.chips),
            self.editor,
            self.tools.attach_button,
            self.tools.presets_button,
            self.make_html_button,
            self.send_button,
        )
        for first, second in itertools.pairwise(chain):
            self.setTabOrder(first, second)

    # ------------------------------------------------------------------ the window's API
    def text(self) -> str:
        return self.editor.toPlainText()

    def pending_images(self) -> list[PreparedImage]:
        return self.images.images()

    def composition(self) -> Composition:
        """The question as it would be sent now: text trimmed, ready images, document pages.

        The meter counts this value and Send hands over this value, so the two cannot differ.
        """
        return Composition(self.text().strip(), self.images.images(), self.document_parts)

    def pending_image_tokens(self) -> int:
        return self.images.total_tokens

    def set_generating(self, generating: bool) -> None:
        """While an answer streams, Send becomes Stop (typing the next message still works)."""
        self._generating = generating
        self._update_send()

    def set_unavailable(self, reason: str) -> None:
        """``reason`` why nothing can be sent (no model chosen yet), or "" once something can
        answer: Send waits, and the empty box's placeholder and Send's tooltip say what to do
        (the line under the box too, once something is typed)."""
        self._unavailable = reason
        self._update_placeholder()
        self._update_send()

    def add_caption(self, caption: QWidget) -> None:
        """Put the window's one-line caption (what the engine is doing, what the last turn
        cost) just above the card, in the card's column: it reads as part of the composer,
        not as a stray label at the window's edge."""
        self._column.insertWidget(self._column.indexOf(self.card), caption)

    def attach_document(self, name: str, parts: list[Part], tokens: int) -> None:
        """Pages chosen in the page picker; they go with the next message.

        Several documents may go together (PDFs dropped at once, to compare them); choosing
        pages of a document already attached replaces its earlier choice.
        """
        self._documents.pop(name, None)
        if parts:
            self._documents[name] = (list(parts), tokens)
        self._documents_changed()

    def detach_document(self, name: str) -> None:
        """Take document ``name`` back (its chip's ×): its pages no longer go with the message."""
        if self._documents.pop(name, None) is not None:
            self._documents_changed()

    def attached_documents(self) -> list[AttachedDocument]:
        """The documents waiting to be sent, in the order they were attached."""
        return [
            AttachedDocument(name, labelled_pages(parts), tokens)
            for name, (parts, tokens) in self._documents.items()
        ]

    def _documents_changed(self) -> None:
        self.document_parts = [part for kept, _ in self._documents.values() for part in kept]
        self.document_tokens = sum(count for _, count in self._documents.values())
        self.document_chips.show_documents(self.attached_documents())
        self._chain_focus()
        self._update_placeholder()
        self.composition_changed.emit()

    @property
    def new_image_detail(self) -> Detail:
        """Detail for images added now: a chosen preset's for this message, else the setting."""
        return self.composition_detail or self.default_detail

    def document_tokens_of(self, name: str) -> int:
        """Tokens of the pages of document ``name`` waiting to be sent (0 if none)."""
        return self._documents.get(name, ([], 0))[1]

    def pending_document_tokens(self) -> int:
        return self.document_tokens if self.document_parts else 0

    def clear_after_send(self) -> None:
        """The window accepted the turn: now the text, images and document may go."""
        self.editor.clear()
        self.images.clear()
        self.document_parts = []
        self._documents.clear()
        self.document_tokens = 0
        self.document_chips.show_documents([])
        self._update_placeholder()
        self.composition_detail = None
        self.notice.dismiss()

    def take_composition(self) -> tuple[str, list[ImageSource]]:
        """Text and image sources (with their detail), e.g. to keep a draft per chat."""
        return self.text(), self.images.sources()

    def restore_composition(self, text: str, sources: list[ImageSource]) -> None:
        self.editor.setPlainText(text)
        self.images.clear()
        self.images.add(sources)

    def add_files(self, paths: list[str | Path]) -> None:
        sources = [ImageSource(Path(p), Path(p).name, self.new_image_detail) for p in paths]
        self.images.add(self._route_documents(sources))

    def add_image(self, image: QImage, name: str) -> None:
        """An image made in the app (a screen capture): added like a pasted one, encoded to
        PNG on the pool."""
        self.images.add([ImageSource(image, name, self.new_image_detail)])

    def accepts_mime(self, mime: QMimeData) -> bool:
        """True when a drop of ``mime`` holds images (or web urls we must explain refusing)."""
        return bool(mime.hasUrls() or mime.hasImage() or any(map(mime.hasFormat, IMAGE_FORMATS)))

    def add_from_mime(self, mime: QMimeData, *, pasted: bool = False) -> bool:
        """Add what ``mime`` holds; False when it held no images (a paste of plain text)."""
        found = sources_from_mime(mime, self.new_image_detail, pasted=pasted)
        if found is None:
            return False
        sources, refused = found
        self.images.add(self._route_documents(sources))
        if refused:
            self._refuse(refused)
        return True

    def _route_documents(self, sources: list[ImageSource]) -> list[ImageSource]:
        """Send PDFs (by name; by header later, see ``document_files``) to the page picker and
        keep the images: a mixed drop fills the strip and opens the picker."""
        images, documents = split_documents(sources)
        for path in documents:
            self.document_dropped.emit(str(path))
        return images

    # ------------------------------------------------------------------------- drops
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.accepts_mime(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragEnterEvent) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        if self.add_from_mime(event.mimeData()):
            event.acceptProposedAction()

    # ------------------------------------------------------------------------- slots
    def _on_editor_send_pressed(self) -> None:
        if self.send_button.isEnabled() and not self._generating:
            self.send_requested.emit(self.composition())

    def _on_send_button_clicked(self) -> None:
        if self._generating:
            self.stop_requested.emit()
        else:
            self._on_editor_send_pressed()

    def _on_editor_text_changed(self) -> None:
        self._update_send()
        self.composition_changed.emit()

    def choose_images(self) -> None:
        """The attach menu's "Add images…": pick files (PDFs go to the page picker)."""
        paths, _ = QFileDialog.getOpenFileNames(self, "Add images", "", FILE_FILTER)
        self.add_files(paths)

    def _on_editor_focus_changed(self, focused: bool) -> None:
        """The card, not the borderless box, shows where typing goes."""
        self.card.setProperty("focused", focused)
        self.card.style().unpolish(self.card)
        self.card.style().polish(self.card)

    def _on_images_images_changed(self) -> None:
        self._update_placeholder()
        self._update_send()
        self.composition_changed.emit()

    def _on_images_image_refused(self, message: str) -> None:
        self._refuse([message])

    def _on_meter_budget_changed(self, budget: TurnBudget) -> None:
        self._update_send()

    def _refuse(self, messages: list[str]) -> None:
        self.notice.add(messages)
        self.images_refused.emit(messages)

    def _update_placeholder(self) -> None:
        """The empty box names what the question is about: the documents attached (by name),
        else images; people should not be asked about images they never added. While
        nothing can answer, it says what to do instead, in one line."""
        if self._unavailable:
            self.editor.setPlaceholderText(self._unavailable)
            return
        about = list(self._documents)
        if about and self.images.rowCount():
            about.append("your images")
        if not about:
            subject = "your images"
        elif len(about) == 1:
            subject = about[0]
        else:
            subject = ", ".join(about[:-1]) + " and " + about[-1]
        self.editor.setPlaceholderText(f"Ask about {subject}…{_KEYS_HINT}")

    def _update_send(self) -> None:
        """Send is enabled only when there is something to send and it fits; the tooltip and
        the inline line say why not."""
        button, budget = self.send_button, self.meter.budget
        over = budget is not None and not budget.fits
        empty = not self.text().strip() and not self.images.rowCount()
        if self._unavailable and not self._generating and not empty:
            self.budget_line.setText(self._unavailable)  # typed in vain: say why, by the box
            style = ""  # a step to take, not an error
        else:
            self.budget_line.setText(over_budget_text(budget) if over and budget else "")
            style = f"color: {alert_colour(self)};"
        if self.budget_line.styleSheet() != style:  # each set restyles it: ~0.4 ms
            self.budget_line.setStyleSheet(style)
        if self._generating:
            button.show_stop()
            return
        if self._unavailable:
            reason = self._unavailable
        elif over and budget is not None:
            reason = "Cannot send: " + over_budget_text(budget)
        elif self.images.preparing:
            reason = f"Preparing {self.images.preparing} image(s)…"
        elif empty:
            reason = "Type a message or add images to send"
        else:
            reason = ""
        button.show_send(reason)
