"""The composer's text box: borderless inside the card, and as tall as what is typed.

It starts at a couple of lines and grows line by line up to ``COMPOSER_EDITOR_LINES``' upper
bound, then scrolls: a short question keeps the transcript in view, a long one stays readable.
The height is the plain-text layout's line count (wrapped lines included) times the line
spacing, set only when that count changes, so typing costs no relayout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QDropEvent, QFocusEvent, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QFrame, QPlainTextEdit

from app.ui.theme.tokens import COMPOSER_EDITOR_LINES, SPACING

if TYPE_CHECKING:
    from app.ui.composer.composer import Composer


class MessageEdit(QPlainTextEdit):
    """Enter sends, Shift+Enter breaks the line, Esc stops; images pasted or dropped go up."""

    send_pressed = Signal()
    escape_pressed = Signal()
    focus_changed = Signal(bool)  # the card draws its focus ring around the box

    def __init__(self, composer: Composer) -> None:
        super().__init__(composer)
        self._composer = composer
        self._lines = 0
        self.setObjectName("composerEditor")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.document().setDocumentMargin(SPACING["xs"])
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self._fit_height()

    def height_for_lines(self, lines: int) -> int:
        """Pixels that show ``lines`` lines of text with the document's margins."""
        low, high = COMPOSER_EDITOR_LINES
        shown = min(max(lines, low), high)
        margin = self.document().documentMargin()
        frame = 2 * self.frameWidth()
        return round(shown * self.fontMetrics().lineSpacing() + 2 * margin) + frame

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self.height_for_lines(self._lines))

    def _fit_height(self, *_: object) -> None:
        lines = max(1, round(self.document().size().height()))  # plain layout: lines, not px
        if lines == self._lines:
            return
        self._lines = lines
        self.setFixedHeight(self.height_for_lines(lines))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)  # a new width rewraps: the line count may change
        self._fit_height()

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.focus_changed.emit(True)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.focus_changed.emit(False)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if mods & Qt.KeyboardModifier.ShiftModifier:
                self.textCursor().insertText("\n")  # a real newline, not U+2028
            elif not mods & ~Qt.KeyboardModifier.KeypadModifier:
                self.send_pressed.emit()
            else:
                super().keyPressEvent(event)
            return
        if key == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
            return
        super().keyPressEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._composer.dropping = True  # a dropped web link is refused; a pasted one is text
        try:
            super().dropEvent(event)
        finally:
            self._composer.dropping = False

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return self._composer.accepts_mime(source) or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        pasted = not self._composer.dropping
        if not self._composer.add_from_mime(source, pasted=pasted):
            super().insertFromMimeData(source)
