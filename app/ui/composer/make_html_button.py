"""The composer's "Make HTML" button: turn the screenshot in the box into a page, in the studio.

A split button: the click makes HTML from the waiting screenshot; its menu opens the studio on
the chat already shown (to look at, compare and refine pages made earlier).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from app.ui.theme.icons import set_icon


class MakeHtmlButton(QToolButton):
    make_requested = Signal()  # make a page from the screenshot waiting in the composer
    open_requested = Signal()  # open the studio on the chat shown

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        make = QAction("Make HTML", self)
        make.setToolTip(
            "Turn the screenshot or sketch in the box into a web page, shown live in the HTML "
            "studio beside the original"
        )
        make.triggered.connect(self.make_requested)
        set_icon(make, "html")
        self.setDefaultAction(make)
        self.setProperty("composerTool", True)  # a quiet tool of the composer card's row
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Tab reaches it
        self.setAccessibleName("Make HTML from the screenshot")
        menu = QMenu(self)
        menu.addAction(make)
        menu.addAction("Open the HTML studio for this chat", self.open_requested)
        self.setMenu(menu)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
