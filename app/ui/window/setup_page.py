"""The first-run page as the window hosts it: the setup assistant at its own height in a page
that scrolls, so its height never pushes the window past a small screen (1024×640)."""

from __future__ import annotations

from PySide6.QtWidgets import QScrollArea, QVBoxLayout, QWidget


class SetupPage(QScrollArea):
    """``assistant`` on the chat's surface, any room left below it (its lists do not stretch
    to fill a tall window), scrolling when the window is shorter than it."""

    def __init__(self, assistant: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("setupPage")
        self.setWidgetResizable(True)
        body = QWidget()
        body.setObjectName("setupPageBody")
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(assistant)
        column.addStretch(1)
        self.setWidget(body)
