"""A line edit for a file or folder path that keeps both ends in view.

A plain ``QLineEdit`` scrolled to its cursor shows the tail of a long path and cuts its start,
so two models in different folders look alike. While not being edited this one draws the path
elided in the middle ("/home/…/pixtral-12b-Q4_K_M.gguf") and gives the whole path as its
tooltip; with the focus it is an ordinary line edit, so typing and pasting work as usual.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLineEdit, QStyle, QStyleOptionFrame, QWidget


class PathEdit(QLineEdit):
    """``note`` (what the setting is for) follows the path in the tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None, note: str = "") -> None:
        super().__init__(text, parent)
        self._note = note
        self.textChanged.connect(self._refresh_tooltip)
        self._refresh_tooltip()

    def set_note(self, note: str) -> None:
        self._note = note
        self._refresh_tooltip()

    def shown_text(self) -> str:
        """The text drawn when the box is not being edited."""
        room = self._text_rect().width()
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideMiddle, room)

    def _refresh_tooltip(self) -> None:
        parts = [part for part in (self.text(), self._note) if part]
        self.setToolTip("\n\n".join(parts))

    def _text_rect(self) -> QRect:
        option = QStyleOptionFrame()
        self.initStyleOption(option)
        rect = self.style().subElementRect(QStyle.SubElement.SE_LineEditContents, option, self)
        return rect.adjusted(2, 0, -2, 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.hasFocus() or self.shown_text() == self.text():
            super().paintEvent(event)
            return
        option = QStyleOptionFrame()
        self.initStyleOption(option)
        painter = QPainter(self)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_PanelLineEdit, option, painter, self)
        painter.setPen(self.palette().text().color())
        painter.drawText(
            self._text_rect(),
            int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
            self.shown_text(),
        )
