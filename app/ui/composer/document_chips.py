"""The documents waiting to go with the next message, one chip each: "lease.pdf · pp. 1–3  ×".

A chip rather than a line of text, so an attached document looks like a thing that can be
taken back: its × removes it (named for screen readers, reachable by Tab), and its tooltip
gives what the chosen pages cost. The composer owns which documents are attached; the chips
only show them and ask for a removal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QToolButton,
    QWidget,
)

from app.core.document_marks import page_span
from app.ui.theme.icons import icon, set_icon
from app.ui.theme.theme import current_scheme, on_change
from app.ui.theme.tokens import SPACING, Scheme


@dataclass(frozen=True)
class AttachedDocument:
    """One document's chosen pages as the chip shows them."""

    name: str
    pages: Sequence[int]
    tokens: int

    @property
    def caption(self) -> str:
        """ "lease.pdf · pp. 1–3", or the name alone when the pages are not known."""
        span = page_span(self.pages)
        return f"{self.name} · {span}" if span else self.name


class DocumentChip(QFrame):
    """A document's name and pages, and the × that takes it back."""

    def __init__(self, document: AttachedDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentChip")
        self.document = document
        self.icon = QLabel(self)
        self._paint_icon(current_scheme())
        on_change(self._paint_icon)  # the file icon follows light and dark
        self.label = QLabel(document.caption, self)
        summary = f"{document.caption}: about {document.tokens:,} tokens, sent with your message"
        self.label.setToolTip(summary)
        self.setAccessibleName(f"Attached document {document.caption}")
        self.setAccessibleDescription(summary)
        self.remove_button = QToolButton(self)
        self.remove_button.setObjectName("documentChipRemove")
        set_icon(self.remove_button, "close")
        self.remove_button.setAutoRaise(True)
        self.remove_button.setAccessibleName(f"Remove {document.name}")
        self.remove_button.setToolTip(f"Remove {document.name}: its pages will not be sent")
        s = SPACING
        row = QHBoxLayout(self)
        row.setContentsMargins(s["sm"], s["xxs"], s["xxs"], s["xxs"])
        row.setSpacing(s["xs"])
        row.addWidget(self.icon)
        row.addWidget(self.label)
        row.addWidget(self.remove_button)

    def _paint_icon(self, scheme: Scheme) -> None:
        side = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self.icon.setPixmap(icon("document", scheme).pixmap(QSize(side, side)))


class DocumentChips(QScrollArea):
    """A row of chips, hidden while no document is attached; it scrolls sideways when the
    chips are wider than the card, rather than widening the window."""

    remove_requested = Signal(str)  # the document's name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentChips")
        self.setAccessibleName("Attached documents")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the chips' × buttons
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.chips: list[DocumentChip] = []
        body = QWidget(self)
        body.setObjectName("documentChipsBody")  # transparent in the app stylesheet
        self._row = QHBoxLayout(body)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(SPACING["sm"] - SPACING["xxs"])
        self._row.addStretch(1)
        self.setWidget(body)
        self.hide()

    def show_documents(self, documents: Sequence[AttachedDocument]) -> None:
        """Rebuild the chips for ``documents``, in the order given."""
        for chip in self.chips:
            self._row.removeWidget(chip)
            chip.deleteLater()
        self.chips = []
        for document in documents:
            chip = DocumentChip(document, self)
            chip.remove_button.clicked.connect(
                lambda _checked=False, name=document.name: self.remove_requested.emit(name)
            )
            self._row.insertWidget(len(self.chips), chip)
            chip.show()  # now, not on the layout's next turn: the row is already visible
            chip.remove_button.installEventFilter(self)
            self.chips.append(chip)
        self.setVisible(bool(self.chips))
        self._fit_height()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A × reached by Tab scrolls its chip into view."""
        if event.type() == QEvent.Type.FocusIn and isinstance(watched, QWidget):
            self.ensureWidgetVisible(watched.parentWidget())
        return False

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_height()

    def _fit_height(self) -> None:
        """One row of chips, plus the scroll bar only while they overflow."""
        body = self.widget().sizeHint()
        overflow = body.width() > self.viewport().width()
        extent = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.setFixedHeight(body.height() + (extent if overflow else 0))

    def captions(self) -> list[str]:
        return [chip.document.caption for chip in self.chips]
