"""Edit on a question, through the real window and the tiny model: the question is edited in
place over its bubble (words and images, no dialog), Save sends a new version beside the old
one and a new answer is written, Esc leaves everything as it was."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog

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
