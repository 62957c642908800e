"""Drops anywhere in the window: the empty page, the transcript and the sidebar take images and
PDFs too, not only the message box.

The empty page tells people to drop their screenshots "here", so the whole window has to mean
it. Whatever the composer itself does not catch bubbles up to the window (Qt hands a drag to
the nearest widget that accepts drops); ``WindowDrops`` watches the window for those events,
shows a translucent panel over it while a drag that holds files or images is over it, and hands
the drop to the composer (``add_from_mime``), which adds images, opens the page picker for PDFs
and refuses anything else with its inline notice, exactly as for a drop on the box.
"""

from __future__ import annotations

from typing import cast

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.ui.composer.composer import Composer
from app.ui.theme.tokens import SPACING

DROP_WORDS = "Drop images or PDFs to add them"


class DropOverlay(QWidget):
    """The translucent panel over the window while a drag is over it; it never takes the mouse,
    so the drag still reaches the widgets under it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("dropOverlay")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)  # accent tint, from the theme
        self.text = QLabel(DROP_WORDS, self)
        self.text.setObjectName("dropOverlayText")
        self.text.setAccessibleName("Drop here")
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 0, Qt.AlignmentFlag.AlignCenter)
        self.hide()

    def cover(self) -> None:
        """Show over the whole of the parent, above its other children."""
        parent = cast(QWidget, self.parentWidget())
        inset = SPACING["sm"]
        self.setGeometry(parent.rect().adjusted(inset, inset, -inset, -inset))
        self.raise_()
        self.show()


class WindowDrops(QObject):
    """Takes the drags and drops that reach ``window`` and routes them to ``composer``."""

    def __init__(self, window: QWidget, composer: Composer) -> None:
        super().__init__(window)
        self.window = window
        self.composer = composer
        self.overlay = DropOverlay(window)
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            drag = cast(QDragMoveEvent, event)
            if self.composer.accepts_mime(drag.mimeData()):
                drag.acceptProposedAction()
                if not self.overlay.isVisible():
                    self.overlay.cover()
            else:
                drag.ignore()
            return True
        if kind == QEvent.Type.DragLeave:
            self.overlay.hide()
            return True
        if kind == QEvent.Type.Drop:
            self.overlay.hide()
            drop = cast(QDropEvent, event)
            if self.composer.add_from_mime(drop.mimeData()):
                drop.acceptProposedAction()
            return True
        return super().eventFilter(watched, event)
