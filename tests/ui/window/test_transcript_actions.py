"""Edit on a question, through the real window and the tiny model: the question is edited in
place over its bubble (words and images, no dialog), Save sends a new version beside the old
one and a new answer is written, Esc leaves everything as it was."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from app.core.conversation import MessageStatus
from app.ui.transcript.message_editor import InlineMessageEditor
from app.ui.window.main_window import MainWindow
from tests.fixtures.pixtral_gguf import GgufPair
from tests.ui.window.test_main_window import TIMEOUT_MS, _close, _open, _png, _send, _settings


def _ask_with_two_images(qtbot, window: MainWindow, tmp_path: Path) -> None:
    shots = [_png(tmp_path / f"shot{i}.png", (64, 48), (200 * i, 90, 40)) for i in range(2)]
    window.composer.add_files(shots)
    qtbot.waitUntil(lambda: len(window.composer.pending_images()) == 2, timeout=10_000)
    _send(qtbot, window, "What is in these screenshots?")
    window.session.db_pool.waitForDone(10_000)


def _editors(window: MainWindow) -> list[InlineMessageEditor]:
    return window.chat_view.viewport().findChildren(InlineMessageEditor)


def _when_asked(answer: Callable[[QMessageBox], None], asked: list[str]) -> None:
    """Answer the next modal message box with ``answer``, noting what it asked."""

    def poll() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, poll)
            return
        asked.append(box.text())
        answer(box)

    QTimer.singleShot(0, poll)


def _open_editor(qtbot, window: MainWindow) -> InlineMessageEditor:
    window.chat_view.edit_requested.emit(0)
    editor = window.transcript_actions.editor
    assert editor is not None
    qtbot.waitExposed(editor)
    return editor


def test_edit_in_place_changes_words_and_images_and_esc_changes_nothing(
    qtbot, tmp_path: Path, tiny_pair: GgufPair
) -> None:
    window = _open(qtbot, _settings(tmp_path, tiny_pair), tmp_path / "data")
    try:
        window.resize(1000, 720)
        _ask_with_two_images(qtbot, window, tmp_path)
        first_answer = window.transcript.item(1).message_id

        # Esc: the editor goes, nothing is sent, the question is as it was.
        editor = _open_editor(qtbot, window)
        with qtbot.assertNotEmitted(window.session.turn_started, wait=200):
            QTest.keyClick(editor.text_box, Qt.Key.Key_Escape)
        assert window.transcript_actions.editor is None
        qtbot.waitUntil(lambda: not _editors(window))
        assert window.transcript.item(0).branch_count == 1
        assert window.transcript.item(1).message_id == first_answer

        # Edit: over the question's bubble, no dialog; the words and both images offered.
        editor = _open_editor(qtbot, window)
        row_rect = window.chat_view.visualRect(window.transcript.index(0, 0))
        assert editor.geometry().intersects(row_rect)
        assert not any(
            isinstance(w, QDialog) and w.isVisible() for w in QApplication.topLevelWidgets()
        )
        assert editor.text() == "What is in these screenshots?"
        assert [i.name for i in editor.images] == ["shot0.png", "shot1.png"]
        if shots := os.environ.get("PIXTRAL_DESK_SHOTS"):
            window.grab().save(str(Path(shots) / "inline-edit.png"))

        # Remove the first image, change the words, Save: version 2/2 and a new answer.
        qtbot.mouseClick(editor.thumb_widgets()[0].remove_button, Qt.MouseButton.LeftButton)
        editor.text_box.setPlainText("Only the second one, please")
        with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS):
            qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
        window.session.db_pool.waitForDone(10_000)
        question = window.transcript.item(0)
        assert (question.branch_index, question.branch_count) == (1, 2)
        stored = window.store.get_message(int(question.message_id))
        assert stored.text == "Only the second one, please"
        assert [p.kind for p in stored.parts].count("image") == 1
        assert [i.name for i in window.session.messages[0].core.images] == ["shot1.png"]
        answer = window.transcript.item(1)
        assert answer.message_id != first_answer and answer.status is MessageStatus.COMPLETE
    finally:
        _close(window)


def test_enter_on_the_delete_confirmation_deletes_nothing(
    qtbot, tmp_path: Path, tiny_pair: GgufPair
) -> None:
    """Delete cannot be undone: the keyboard's quickest answer (Enter) is Cancel; only the
    Delete button itself deletes."""
    window = _open(qtbot, _settings(tmp_path, tiny_pair), tmp_path / "data")
    try:
        _send(qtbot, window, "First question")
        _send(qtbot, window, "Second question")
        conversation = window.session.conversation_id
        asked: list[str] = []
        _when_asked(lambda box: QTest.keyClick(box, Qt.Key.Key_Return), asked)
        with qtbot.assertNotEmitted(window.session.conversation_opened, wait=500):
            window.chat_view.delete_requested.emit(2)
        window.session.db_pool.waitForDone(10_000)
        assert asked == [
            "Delete this message and the 1 message after it? Other versions of it are kept. "
            "This cannot be undone."
        ]
        assert window.transcript.rowCount() == 4
        assert len(window.store.load(conversation).messages) == 4

        def press_delete(box: QMessageBox) -> None:
            next(b for b in box.buttons() if b.text() == "Delete").click()

        with qtbot.waitSignal(window.session.conversation_opened, timeout=TIMEOUT_MS):
            _when_asked(press_delete, asked)
            window.chat_view.delete_requested.emit(2)
        assert window.transcript.rowCount() == 2
        assert len(window.store.load(conversation).messages) == 2
    finally:
        _close(window)
