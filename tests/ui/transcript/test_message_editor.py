"""Editing a question in place: over its bubble, words and images, Enter saves, Esc cancels."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.core.conversation import Role
from app.core.images import PreparedImage, prepare_image
from app.ui.transcript import message_editor
from app.ui.transcript.chat_view import ChatView
from app.ui.transcript.message_editor import InlineMessageEditor
from app.ui.transcript.transcript_model import TranscriptItem


def _image(name: str, color: tuple[int, int, int]) -> PreparedImage:
    out = BytesIO()
    Image.new("RGB", (48, 32), color).save(out, format="PNG")
    return prepare_image(out.getvalue(), name=name)


@pytest.fixture
def view(view: ChatView) -> ChatView:
    """The shown transcript (conftest) with a question of two images and its answer."""
    images = (_image("one.png", (200, 30, 30)), _image("two.png", (30, 30, 200)))
    view.model().append_message(TranscriptItem(Role.USER, "Hello there", images=images))
    view.model().append_message(TranscriptItem(Role.ASSISTANT, "Hi."))
    return view


def _editor(view: ChatView) -> InlineMessageEditor:
    images = list(view.model().item(0).images)
    return InlineMessageEditor(view, 0, "Hello there", images)


def test_lies_over_its_row_with_a_removable_thumbnail_per_image(qtbot, view: ChatView) -> None:
    editor = _editor(view)
    qtbot.waitExposed(editor)
    assert editor.parent() is view.viewport()
    assert editor.geometry().intersects(view.visualRect(view.model().index(0)))
    assert editor.text_box.toPlainText() == "Hello there" and editor.text_box.hasFocus()
    thumbs = editor.thumb_widgets()
    assert [t.remove_button.accessibleName() for t in thumbs] == [
        "Remove image one.png",
        "Remove image two.png",
    ]
    assert "one.png" in thumbs[0].remove_button.toolTip()
    with qtbot.waitSignal(editor.saved) as saved:
        qtbot.mouseClick(thumbs[0].remove_button, Qt.MouseButton.LeftButton)
        editor.text_box.setPlainText("Only the blue one")
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    text, images = saved.args
    assert text == "Only the blue one" and [i.name for i in images] == ["two.png"]
    assert editor.isHidden()


def test_enter_saves_shift_enter_breaks_the_line_and_esc_cancels(qtbot, view: ChatView) -> None:
    editor = _editor(view)
    editor.text_box.setPlainText("")
    QTest.keyClicks(editor.text_box, "first")
    QTest.keyClick(editor.text_box, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClicks(editor.text_box, "second")
    with qtbot.waitSignal(editor.saved) as saved:
        QTest.keyClick(editor.text_box, Qt.Key.Key_Return)
    assert saved.args[0] == "first\nsecond" and len(saved.args[1]) == 2

    again = _editor(view)
    with qtbot.assertNotEmitted(again.saved), qtbot.waitSignal(again.cancelled):
        QTest.keyClick(again.text_box, Qt.Key.Key_Escape)
    assert again.isHidden()


def test_add_image_prepares_the_files_and_names_one_that_is_not_an_image(
    qtbot, view: ChatView, tmp_path: Path, monkeypatch
) -> None:
    good = tmp_path / "three.png"
    Image.new("RGB", (40, 40), (0, 160, 0)).save(good)
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    monkeypatch.setattr(message_editor, "_pick_image_files", lambda _p: [str(good), str(bad)])
    editor = _editor(view)
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    assert not editor.save_button.isEnabled()  # the images are decoded off the GUI thread
    qtbot.waitUntil(lambda: len(editor.images) == 3, timeout=10_000)
    assert editor.save_button.isEnabled()
    assert [i.name for i in editor.images] == ["one.png", "two.png", "three.png"]
    assert len(editor.thumb_widgets()) == 3
    assert not editor.notice.isHidden() and "notes.png" in editor.notice.text()


def test_save_waits_for_words_or_an_image(qtbot, view: ChatView) -> None:
    editor = _editor(view)
    editor.text_box.setPlainText("  ")
    assert editor.save_button.isEnabled()  # the images alone are a question
    editor.remove_image(0)
    editor.remove_image(0)
    assert not editor.save_button.isEnabled()


def test_covers_the_reading_column_in_a_wide_window(qtbot, view: ChatView) -> None:
    view.resize(1600 + view.width() - view.viewport().width(), 600)
    qtbot.wait(10)
    editor = _editor(view)
    qtbot.waitExposed(editor)
    bubble = view.delegate.layout_for(view.model().index(0)).bubble
    assert bubble is not None
    column = editor.geometry()
    assert column.left() <= bubble.left() and column.right() >= bubble.right() - 1
    assert abs(column.left() - (view.viewport().width() - column.right())) <= 2  # centred
