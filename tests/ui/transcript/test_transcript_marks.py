"""What the view paints around documents: code blocks' header bar and box, the Copy icon
that copies like the word, and the caret at the end of an answer only while it streams."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QGuiApplication

from app.core.conversation import MessageStatus, Role
from app.ui.theme.tokens import TRANSCRIPT_COLOURS, Scheme
from app.ui.transcript.chat_view import ChatView
from app.ui.transcript.transcript_model import TranscriptItem
from tests.ui.transcript.settled import settle

CODE = "Before the code.\n\n```python\ndef answer():\n    return 42\n```\n\nAfter it.\n"


def _pixel(view: ChatView, point: QPoint) -> QColor:
    image = view.viewport().grab().toImage()
    return image.pixelColor(point * image.devicePixelRatio())


def test_a_code_block_has_a_header_bar_over_its_body(qtbot, view: ChatView) -> None:
    view.model().append_message(TranscriptItem(Role.ASSISTANT, CODE))
    settle(qtbot, view)
    index = view.model().index(0)
    [code] = view.delegate.layout_for(index).code_boxes
    assert code.box.top() == code.header.top() and code.header.bottom() < code.box.bottom()
    assert code.header.width() == code.box.width() and code.header.height() > 10
    top_left = view.visualRect(index).topLeft()
    colours = TRANSCRIPT_COLOURS[Scheme.LIGHT]
    # A few pixels in from the left edge, halfway down: bar, then body, in the tokens' colours.
    header = code.header.translated(top_left).toRect()
    body_y = int((code.header.bottom() + code.box.bottom()) / 2) + top_left.y()
    assert _pixel(view, QPoint(header.left() + 4, header.center().y())).name() == (
        colours.code_header
    )
    assert _pixel(view, QPoint(header.left() + 4, body_y)).name() == colours.code_body


def test_the_copy_icon_copies_the_code(qtbot, view: ChatView) -> None:
    view.model().append_message(TranscriptItem(Role.ASSISTANT, CODE))
    settle(qtbot, view)
    index = view.model().index(0)
    [code] = view.delegate.layout_for(index).code_boxes
    icon = code.copy_icon.translated(view.visualRect(index).topLeft())
    link = view.delegate.anchor_rect(index, view.visualRect(index), "copy-code:0")
    assert link is not None and link.contains(icon.center())  # the icon is part of the link
    word = QFontMetricsF(view.font()).horizontalAdvance("Copy") * 0.7  # at the caption size
    assert link.width() >= icon.width() + word  # ... in room of its own, before the word
    assert code.header.contains(code.copy_icon)  # ... and sits on the bar, at its right
    assert code.copy_icon.left() > code.header.center().x()
    QGuiApplication.clipboard().setText("something else")
    with qtbot.waitSignal(view.code_copied) as copied:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=icon.center().toPoint())
    assert copied.args == [0, 0]
    assert QGuiApplication.clipboard().text() == "def answer():\n    return 42"


def test_the_caret_shows_only_while_an_answer_streams(qtbot, view: ChatView) -> None:
    model = view.model()
    model.append_message(TranscriptItem(Role.USER, "question"))
    row = model.append_message(
        TranscriptItem(Role.ASSISTANT, "Half an", status=MessageStatus.STREAMING)
    )
    model.append_text(row, " answer")
    settle(qtbot, view)
    index = model.index(row)
    layout = view.delegate.layout_for(index)
    assert layout.caret is not None and view._caret.isActive()
    assert view.delegate.layout_for(model.index(0)).caret is None  # the question has none
    # Just after the text, on its line.
    _origin, doc = layout.docs[0]
    assert layout.caret.left() >= doc.idealWidth() - 2 + _origin.x()
    caret = view.delegate.caret_rect(index, view.visualRect(index))
    view.caret_on = True
    assert _pixel(view, caret.center()).lightness() < 100  # drawn in the text colour
    view.caret_on = False
    view.viewport().repaint()
    assert _pixel(view, caret.center()).lightness() > 200
    model.set_status(row, MessageStatus.COMPLETE)
    settle(qtbot, view)
    assert view.delegate.layout_for(index).caret is None
    qtbot.waitUntil(lambda: not view._caret.isActive(), timeout=2000)


def test_the_caret_blinks_by_repainting_only_itself(qtbot, view: ChatView, monkeypatch) -> None:
    model = view.model()
    row = model.append_message(
        TranscriptItem(Role.ASSISTANT, "Writing", status=MessageStatus.STREAMING)
    )
    model.append_text(row, "…")
    settle(qtbot, view)
    updated = []
    viewport = view.viewport()
    monkeypatch.setattr(viewport, "update", lambda *args: updated.append(args))
    before = view.caret_on
    view._on_caret_timeout()
    assert view.caret_on is not before
    caret = view.delegate.caret_rect(model.index(row), view.visualRect(model.index(row)))
    assert updated == [(caret,)]
    assert view._caret.interval() >= 500  # at most about two repaints a second
