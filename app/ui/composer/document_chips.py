"""The documents waiting to go with the next message, one chip each: "lease.pdf · pp. 1–3  ×".

A chip rather than a line of text, so an attached document looks like a thing that can be
taken back: its × removes it (named for screen readers, reachable by Tab), and its tooltip
gives what the chosen pages cost. The composer owns which documents are attached; the chips
only show them and ask for a removal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QStyle, QToolButton, QWidget

from app.core.document_marks import page_span

_STYLE = """
#documentChip { background: palette(base); border: 1px solid palette(mid); border-radius: 12px; }
#documentChipRemove { border: none; padding: 0 4px; }
#documentChipRemove:hover { color: palette(highlight); }
"""


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
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon)
        self.icon.setPixmap(icon.pixmap(16, 16))
        self.label = QLabel(document.caption, self)
        summary = f"{document.caption}: about {document.tokens:,} tokens, sent with your message"
        self.label.setToolTip(summary)
        self.setAccessibleName(f"Attached document {document.caption}")
        self.setAccessibleDescription(summary)
        self.remove_button = QToolButton(self)
        self.remove_button.setObjectName("documentChipRemove")
        self.remove_button.setText("×")
        self.remove_button.setAutoRaise(True)
        self.remove_button.setAccessibleName(f"Remove {document.name}")
        self.remove_button.setToolTip(f"Remove {document.name}: its pages will not be sent")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 2, 4, 2)
        row.setSpacing(4)
        row.addWidget(self.icon)
        row.addWidget(self.label)
        row.addWidget(self.remove_button)


class DocumentChips(QWidget):
    """A row of chips, hidden while no document is attached."""

    remove_requested = Signal(str)  # the document's name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(_STYLE)
        self.setAccessibleName("Attached documents")
        self.chips: list[DocumentChip] = []
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(6)
        self._row.addStretch(1)
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
            self.chips.append(chip)
        self.setVisible(bool(self.chips))

    def captions(self) -> list[str]:
        return [chip.document.caption for chip in self.chips]
