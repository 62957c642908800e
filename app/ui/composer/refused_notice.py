"""The composer's inline notice: files it refused, and other problems, above the message box.

Besides refused drops, the window, the presets and the studio link put their problems here
(``composer.notice.add``). Inline rather than a dialog, so it never blocks typing; messages
accumulate until the user dismisses them, so none is lost when several arrive at once.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from app.ui.theme.icons import set_icon
from app.ui.theme.tokens import SPACING


class RefusedNotice(QFrame):
    """A dismissible inline list of refused files; it grows until the user closes it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("refusedNotice")
        # Its tinted red background and border come from the app stylesheet (#refusedNotice).
        self.messages: list[str] = []
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setAccessibleName("Notices")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        set_icon(close, "close")
        close.setAutoRaise(True)
        close.setAccessibleName("Dismiss refused files")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        self.close_button = close
        layout = QHBoxLayout(self)
        s = SPACING
        layout.setContentsMargins(s["sm"], s["xs"], s["xs"], s["xs"])
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def add(self, messages: list[str]) -> None:
        self.messages.extend(messages)
        self.label.setText("\n".join(self.messages))
        self.show()

    def dismiss(self) -> None:
        self.messages.clear()
        self.label.clear()
        self.hide()
