"""The composer's text box grows with what is typed, up to a limit, then scrolls."""

from __future__ import annotations

from app.ui.composer.composer import Composer
from app.ui.theme.tokens import COMPOSER_EDITOR_LINES


def test_the_box_grows_line_by_line_up_to_its_limit(qtbot, composer: Composer) -> None:
    editor = composer.editor
    low, high = COMPOSER_EDITOR_LINES
    empty = editor.height()
    assert empty == editor.height_for_lines(low)
    editor.setPlainText("\n".join(["line"] * (low + 2)))
    qtbot.waitUntil(lambda: editor.height() == editor.height_for_lines(low + 2))
    assert editor.height() > empty
    editor.setPlainText("\n".join(["line"] * (high * 3)))
    qtbot.waitUntil(lambda: editor.height() == editor.height_for_lines(high))
    assert editor.verticalScrollBar().maximum() > 0  # the rest scrolls
    editor.clear()
    qtbot.waitUntil(lambda: editor.height() == empty)


def test_a_long_line_that_wraps_grows_the_box_too(qtbot, composer: Composer) -> None:
    editor = composer.editor
    empty = editor.height()
    editor.setPlainText("word " * 400)  # one paragraph, many wrapped lines
    qtbot.waitUntil(lambda: editor.height() > empty)
