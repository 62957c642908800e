"""The studio's changes pane colours its diff from the theme, and re-colours it on a switch."""

from __future__ import annotations

from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication

from app.ui.studio.studio_panes import ChangesPane
from app.ui.theme.theme import Theme
from app.ui.theme.tokens import COLOURS, Scheme
from app.workflows.html_versions import PageVersion


def _colour_of(pane: ChangesPane, prefix: str) -> str:
    document = pane.text.document()
    block = document.begin()
    while block.isValid() and not block.text().startswith(prefix):
        block = block.next()
    assert block.isValid(), prefix
    cursor = QTextCursor(block)
    cursor.movePosition(QTextCursor.MoveOperation.Right)
    return cursor.charFormat().foreground().color().name()


def test_diff_lines_take_the_scheme_colours_and_follow_a_switch(
    qtbot, unthemed_afterwards: QApplication
) -> None:
    theme = Theme.install(unthemed_afterwards, "light")
    pane = ChangesPane()
    qtbot.addWidget(pane)
    old, new = PageVersion(1, "<p>one</p>\n<p>two</p>"), PageVersion(2, "<p>one</p>\n<p>2</p>")
    pane.show_for([old, new], new)
    light, dark = COLOURS[Scheme.LIGHT], COLOURS[Scheme.DARK]
    assert _colour_of(pane, "+ ") == light.success and _colour_of(pane, "- ") == light.danger
    assert _colour_of(pane, "@@") == light.accent
    theme.set_appearance("dark")
    assert _colour_of(pane, "+ ") == dark.success and _colour_of(pane, "- ") == dark.danger
