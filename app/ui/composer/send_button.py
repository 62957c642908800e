"""The round Send/Stop button on the composer card's right edge.

One button with two faces: a paper plane on the primary colour to send, a stop square on red
while an answer streams. It is icon-only, so its text ("Send"/"Stop") is kept for tests and
screen readers alongside an accessible name and a tooltip that says why it waits, when it does.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QToolButton, QWidget

from app.ui.theme.icons import set_icon
from app.ui.theme.tokens import ICON_BUTTON, SPACING


class SendButton(QToolButton):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sendButton")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Tab reaches it
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        side = ICON_BUTTON["lg"]
        self.setFixedSize(side, side)
        self.setIconSize(QSize(side - 2 * SPACING["sm"], side - 2 * SPACING["sm"]))
        self.generating: bool | None = None
        self.show_send("Type a message or add images to send")

    def show_send(self, reason: str) -> None:
        """The Send face: enabled when ``reason`` (why it must wait) is empty."""
        self._face(generating=False)
        self.setText("Send")
        self.setAccessibleName("Send message")
        self.setEnabled(not reason)
        self.setToolTip(reason or "Send (Enter)")

    def show_stop(self) -> None:
        """The Stop face, always enabled while an answer streams."""
        self._face(generating=True)
        self.setText("Stop")
        self.setAccessibleName("Stop the answer")
        self.setToolTip("Stop the answer (Esc); what was written so far is kept")
        self.setEnabled(True)

    def _face(self, generating: bool) -> None:
        if self.generating == generating:
            return
        self.generating = generating
        set_icon(self, "stop" if generating else "send", "on_danger" if generating else "on_accent")
        self.setProperty("stop", generating)  # the stylesheet paints Stop red
        self.style().unpolish(self)
        self.style().polish(self)
