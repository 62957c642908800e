"""Every main action of the window, reached with the keyboard alone.

Someone who cannot use a mouse (or will not) must be able to do everything a mouse user does:
start a chat, search and open one, type and send, attach images, use a preset, make a page from
a screenshot, open Settings and About, make a chat private, stop an answer, and copy, edit or
regenerate a message. The window is the real one on the tiny model; the test presses keys only
(Tab to move, Space/Enter to press, arrows in menus and lists, the window's shortcuts) and
checks what each action does, not how its widget is built, so a restyled button still passes
as long as Tab reaches it and a key presses it. Only the OS file chooser is stood in for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QWidget

from app.ui.window.main_window import MainWindow
from tests.fixtures.pixtral_gguf import GgufPair
from tests.ui.window.test_main_window import TIMEOUT_MS, _close, _open, _settings

CTRL = Qt.KeyboardModifier.ControlModifier
TAB_LIMIT = 80  # more stops than the window has: a control Tab cannot reach fails, not hangs


@pytest.fixture
def window(qtbot, tmp_path: Path, tiny_pair: GgufPair) -> Iterator[MainWindow]:
    opened = _open(qtbot, _settings(tmp_path, tiny_pair), tmp_path / "data")
    opened.resize(1100, 760)
    opened.activateWindow()
    qtbot.waitExposed(opened)
    back_to(qtbot, opened)
    yield opened
    _close(opened)


# ----------------------------------------------------------------------------- the keyboard
def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def key(k: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """Press ``k`` where the keyboard focus is, as a person would."""
    QTest.keyClick(focused(), k, modifiers)


def type_text(text: str) -> None:
    QTest.keyClicks(focused(), text)


def _describe(widget: QWidget | None) -> str:
    if widget is None:
        return "(none)"
    name = widget.accessibleName() or getattr(widget, "text", lambda: "")() or ""
    return f"{type(widget).__name__} {name!r}"


def named(*words: str) -> Callable[[QWidget], bool]:
    """A control whose accessible name or text holds all of ``words`` (any case)."""

    def matches(widget: QWidget) -> bool:
        text = getattr(widget, "text", None)
        said = f"{widget.accessibleName()} {text() if callable(text) else ''}".lower()
        return all(word.lower() in said for word in words)

    return matches


def called(name: str) -> Callable[[QWidget], bool]:
    """A control whose accessible name is exactly ``name``."""
    return lambda widget: widget.accessibleName() == name


def tab_to(matches: Callable[[QWidget], bool], backwards: bool = False) -> QWidget:
    """Press Tab (Shift+Tab) until the focus is on a control that ``matches``."""
    seen = []
    for _ in range(TAB_LIMIT):
        widget = focused()
        if matches(widget) and widget.isVisible() and widget.isEnabled():
            return widget
        seen.append(_describe(widget))
        if backwards:
            key(Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
        else:
            key(Qt.Key.Key_Tab)
    pytest.fail("Tab never reached the control; it went: " + " → ".join(dict.fromkeys(seen)))


def choose_in_popup(words: str, seen: list[str]) -> None:
    """Once a menu pops up: arrow down to the item holding ``words``, press Enter."""

    def pick() -> None:
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(20, pick)
            return
        texts = [a.text().replace("&", "") for a in menu.actions() if a.isVisible()]
        seen.extend(texts)
        for _ in range(len(menu.actions()) + 1):
            active = menu.activeAction()
            if active is not None and words.lower() in active.text().replace("&", "").lower():
                QTest.keyClick(menu, Qt.Key.Key_Return)
                return
            QTest.keyClick(menu, Qt.Key.Key_Down)
        QTest.keyClick(menu, Qt.Key.Key_Escape)  # not there: close it, the caller fails

    QTimer.singleShot(0, pick)


def close_modal_with_escape(seen: list[str]) -> None:
    """Once a dialog opens modally: note which, and close it with Escape."""

    def close() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, close)
            return
        seen.append(type(dialog).__name__)
        QTest.keyClick(dialog, Qt.Key.Key_Escape)

    QTimer.singleShot(0, close)


def back_to(qtbot, window: MainWindow) -> None:
    """Give the window the focus back after a dialog or another window closed: the window
    manager's job, which the offscreen platform leaves undone."""
    window.activateWindow()
    qtbot.waitUntil(
        lambda: (
            QApplication.focusWidget() is not None and QApplication.focusWidget().window() is window
        ),
        timeout=5_000,
    )


def send_by_keyboard(qtbot, window: MainWindow, text: str) -> None:
    tab_to(named("message"))
    type_text(text)
    with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS):
        key(Qt.Key.Key_Return)


# ------------------------------------------------------------------------------------ tests
def test_window_shortcuts_reach_new_chat_search_settings_and_about(qtbot, window: MainWindow):
    send_by_keyboard(qtbot, window, "Hello")
    assert window.session.info is not None
    key(Qt.Key.Key_N, CTRL)  # New chat
    assert window.session.info is None and window.transcript.rowCount() == 0
    assert named("message")(focused())  # ready to type

    key(Qt.Key.Key_F, CTRL)  # Find
    assert named("search")(focused())

    for shortcut, dialog in (
        ((Qt.Key.Key_Comma, CTRL), "SettingsDialog"),
        ((Qt.Key.Key_F1, Qt.KeyboardModifier.NoModifier), "AboutDialog"),
    ):
        seen: list[str] = []
        close_modal_with_escape(seen)
        key(*shortcut)
        assert seen == [dialog]
        back_to(qtbot, window)
    # The header's buttons for them are on the Tab path too, and Space presses them.
    for words, dialog in ((("settings",), "SettingsDialog"), (("about",), "AboutDialog")):
        tab_to(named(*words))
        seen = []
        close_modal_with_escape(seen)
        key(Qt.Key.Key_Space)
        assert seen == [dialog], words
        back_to(qtbot, window)


def test_searching_and_choosing_a_chat_by_keyboard(qtbot, window: MainWindow):
    send_by_keyboard(qtbot, window, "About apples")
    first = window.session.info.id
    key(Qt.Key.Key_N, CTRL)
    send_by_keyboard(qtbot, window, "About pears")
    second = window.session.info.id
    assert first != second

    key(Qt.Key.Key_F, CTRL)
    type_text("apples")
    qtbot.waitUntil(lambda: window.sidebar.list.model().rowCount() == 1, timeout=5_000)
    tab_to(called("Conversations"))
    key(Qt.Key.Key_Home)
    key(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.session.info is not None and window.session.info.id == first)
    assert window.transcript.rowCount() == 2  # its question and answer are shown


def test_attach_presets_make_html_send_and_stop_by_keyboard(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch
):
    shot = tmp_path / "shot.png"
    Image.new("RGB", (64, 48), (200, 40, 40)).save(shot)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(shot)], ""))

    tab_to(named("attach"))
    offered: list[str] = []
    choose_in_popup("Add images", offered)
    key(Qt.Key.Key_Space)
    assert "Add images…" in offered
    back_to(qtbot, window)  # from the closed menu
    qtbot.waitUntil(lambda: len(window.composer.pending_images()) == 1, timeout=10_000)

    tab_to(named("presets"))
    offered = []
    choose_in_popup("Describe", offered)
    key(Qt.Key.Key_Space)
    assert window.composer.text().startswith("Describe"), offered
    back_to(qtbot, window)
    tab_to(named("make html"))
    made: list[bool] = []
    window.composer.make_html_button.make_requested.connect(lambda: made.append(True))
    with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS):
        key(Qt.Key.Key_Space)  # the page is asked for, and the studio opens beside the chat
    assert made == [True]
    back_to(qtbot, window)  # from the studio's window: the OS's Alt+Tab, not the app's

    # Type and send, then stop the answer with Escape as its first token arrives.
    tab_to(named("message"))
    key(Qt.Key.Key_A, CTRL)
    key(Qt.Key.Key_Delete)
    type_text("Tell me a long story")
    stops: list[int] = []

    def escape_once(_token: str) -> None:
        if not stops:
            stops.append(1)
            QTest.keyClick(window.composer.editor, Qt.Key.Key_Escape)

    window.session.token_received.connect(escape_once)
    with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS) as finished:
        key(Qt.Key.Key_Return)
    assert stops and finished.args[0].reason.name == "CANCELLED"


def test_private_toggle_and_message_actions_by_keyboard(qtbot, window: MainWindow):
    send_by_keyboard(qtbot, window, "Hello there")
    info = window.session.info
    assert info is not None and not info.private

    private = tab_to(named("private"))
    key(Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.session.info.private, timeout=5_000)
    assert private.isVisible()

    view = window.chat_view
    tab_to(lambda w: w is view)
    key(Qt.Key.Key_Home)  # the question
    clipboard = QGuiApplication.clipboard()
    clipboard.clear()
    key(Qt.Key.Key_C, CTRL)
    assert clipboard.text() == "Hello there"

    def pick(action: str) -> None:
        """Right until the row's highlighted button is ``action`` (what the eye sees)."""
        for _ in range(8):
            key(Qt.Key.Key_Right)
            if view.action_state(view.currentIndex().row()).focused == action:
                return
        pytest.fail(f"Left/Right never reach {action!r} on row {view.currentIndex().row()}")

    pick("edit")
    with qtbot.waitSignal(view.edit_requested, timeout=5_000) as edit:
        key(Qt.Key.Key_Return)
    assert edit.args == [0]
    key(Qt.Key.Key_Escape)  # leave the edit unsent, as a keyboard user would
    tab_to(lambda w: w is view)
    key(Qt.Key.Key_End)  # the answer
    pick("regenerate")
    with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS):
        key(Qt.Key.Key_Return)
