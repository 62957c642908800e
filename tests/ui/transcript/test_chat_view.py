"""The transcript view: painting, anchors, thumbnails, actions, keyboard, auto-scroll."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices, QGuiApplication, QImage

from app.core.conversation import MessageStatus, Role
from app.core.images import prepare_image
from app.ui.transcript.chat_view import ChatView
from app.ui.transcript.transcript_model import TranscriptItem
from tests.ui.transcript.settled import settle

ANSWER = """## Result

| a | b |
|---|---|
| 1 | 2 |

```python
def answer():
    return 42
```

See [the docs](https://example.com/docs) or <b>this</b>.
"""


def _click(qtbot, view: ChatView, row: int, href: str) -> None:
    index = view.model().index(row)
    rect = view.delegate.anchor_rect(index, view.visualRect(index), href)
    assert rect is not None, href
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center().toPoint())


def _distinct_colors(image: QImage, step: int = 7) -> int:
    return len(
        {
            image.pixel(x, y)
            for x in range(0, image.width(), step)
            for y in range(0, image.height(), step)
        }
    )


def test_paints_messages(qtbot, view: ChatView) -> None:
    view.model().append_message(TranscriptItem(Role.USER, "Hello there"))
    view.model().append_message(TranscriptItem(Role.ASSISTANT, ANSWER))
    settle(qtbot, view)
    image = view.grab().toImage()
    assert _distinct_colors(image) > 20  # text, code colors, bubble: not blank
    assert view.visualRect(view.model().index(1)).height() > 150


def test_copy_code_anchor_copies_the_block(qtbot, view: ChatView) -> None:
    view.model().append_message(TranscriptItem(Role.ASSISTANT, ANSWER))
    settle(qtbot, view)
    with qtbot.waitSignal(view.code_copied) as copied:
        _click(qtbot, view, 0, "copy-code:0")
    assert copied.args == [0, 0]
    assert QGuiApplication.clipboard().text() == "def answer():\n    return 42"


def test_links_open_only_on_click_and_only_http(qtbot, view: ChatView, monkeypatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toString()))
    view.model().append_message(TranscriptItem(Role.ASSISTANT, ANSWER))
    settle(qtbot, view)
    assert opened == []
    _click(qtbot, view, 0, "https://example.com/docs")
    assert opened == ["https://example.com/docs"]
    for href in ("javascript:alert(1)", "file:///etc/passwd", "ftp://x.org"):
        view.delegate.anchor_clicked.emit(0, href)  # even if one ever got painted
    assert opened == ["https://example.com/docs"]


def test_action_links_emit_requests(qtbot, view: ChatView) -> None:
    model = view.model()
    model.append_message(TranscriptItem(Role.USER, "question", branch_index=1, branch_count=3))
    model.append_message(TranscriptItem(Role.ASSISTANT, "answer"))
    model.append_message(TranscriptItem(Role.ASSISTANT, "partial"))
    model.set_error(2, "The engine crashed")
    settle(qtbot, view)
    with qtbot.waitSignal(view.edit_requested) as edit:
        _click(qtbot, view, 0, "action:edit")
    with qtbot.waitSignal(view.branch_requested) as branch:
        _click(qtbot, view, 0, "action:branch-next")
    with qtbot.waitSignal(view.regenerate_requested) as regenerate:
        _click(qtbot, view, 1, "action:regenerate")
    with qtbot.waitSignal(view.retry_requested) as retry:
        _click(qtbot, view, 2, "action:retry")
    with qtbot.waitSignal(view.delete_requested) as delete:
        _click(qtbot, view, 1, "action:delete")
    with qtbot.waitSignal(view.message_copied):
        _click(qtbot, view, 1, "action:copy")
    assert (edit.args, branch.args, regenerate.args) == ([0], [0, 1], [1])
    assert (retry.args, delete.args) == ([2], [1])
    assert QGuiApplication.clipboard().text() == "answer"


def test_thumbnails_appear_and_activate(qtbot, view: ChatView, image_file) -> None:
    red = prepare_image(image_file(320, 200, "red.png", (220, 20, 20)))
    green = prepare_image(image_file(200, 320, "green.png", (20, 200, 20)))
    view.model().append_message(TranscriptItem(Role.USER, "two pictures", (red, green)))
    view.grab()  # first paint asks for thumbnails, made off the GUI thread
    settle(qtbot, view)
    layout = view.delegate.layout_for(view.model().index(0))
    assert len(layout.thumbs) == 2
    image = view.grab().toImage()
    ratio = image.devicePixelRatio()
    for thumb, color in zip(layout.thumbs, ((220, 20, 20), (20, 200, 20)), strict=True):
        pixel = image.pixelColor(thumb.center() * ratio)
        assert abs(pixel.red() - color[0]) < 30 and abs(pixel.green() - color[1]) < 30
    with qtbot.waitSignal(view.image_activated) as activated:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=layout.thumbs[1].center())
    assert activated.args == [0, 1]


def test_ctrl_c_copies_the_selected_message(qtbot, view: ChatView) -> None:
    model = view.model()
    model.append_message(TranscriptItem(Role.USER, "first"))
    model.append_message(TranscriptItem(Role.ASSISTANT, "second **bold**"))
    settle(qtbot, view)
    view.setFocus()
    view.setCurrentIndex(model.index(1))
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "second **bold**"
    assert view.focusPolicy() & Qt.FocusPolicy.TabFocus
    assert view.accessibleName()


def test_context_menu_offers_the_actions(qtbot, view: ChatView) -> None:
    model = view.model()
    model.append_message(TranscriptItem(Role.ASSISTANT, ANSWER, branch_index=0, branch_count=2))
    texts = [a.text().replace("&", "") for a in view.context_menu(0).actions() if a.text()]
    assert texts[:2] == ["Copy message", "Copy code block 1"]
    assert {"Regenerate", "Previous version", "Next version", "Delete"} <= set(texts)


def test_streaming_follows_the_bottom_unless_scrolled_up(qtbot, view: ChatView) -> None:
    model = view.model()
    model.set_messages(TranscriptItem(Role.USER, f"message {i}\n" * 3) for i in range(40))
    row = model.append_message(TranscriptItem(Role.ASSISTANT, status=MessageStatus.STREAMING))
    bar = view.verticalScrollBar()
    for i in range(30):
        model.append_text(row, f"line {i} with some words\n\n")
        qtbot.wait(5)
    settle(qtbot, view)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum() > 0, timeout=1000)  # glided there
    bar.setValue(bar.maximum() // 2)  # the user scrolls up to read
    for i in range(30):
        model.append_text(row, f"more {i}\n\n")
        qtbot.wait(5)
    settle(qtbot, view)
    assert bar.value() == bar.maximum() // 2 or bar.value() < bar.maximum() - 100
    model.set_status(row, MessageStatus.COMPLETE)


def test_dark_palette_changes_code_colors(qtbot, view: ChatView) -> None:
    from PySide6.QtGui import QColor, QPalette

    view.model().append_message(TranscriptItem(Role.ASSISTANT, ANSWER))
    settle(qtbot, view)
    light = view.model().rendered(0).html
    palette = view.palette()
    palette.setColor(QPalette.ColorRole.Base, QColor("#1b1c1f"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#e3e3e3"))
    view.setPalette(palette)
    settle(qtbot, view)
    assert view.delegate.theme.dark
    assert view.model().rendered(0).html != light


def test_many_rows_load_lazily(qtbot, view: ChatView) -> None:
    model = view.model()
    model.set_messages(TranscriptItem(Role.ASSISTANT, ANSWER) for _ in range(400))
    qtbot.waitUntil(view.delegate.all_measured, timeout=20_000)  # opened in slices
    settle(qtbot, view)
    bar = view.verticalScrollBar()
    assert bar.value() == bar.maximum()
    last = view.visualRect(model.index(399))
    assert last.bottom() <= view.viewport().height() + 1
    assert last.height() == view.delegate.layout_for(model.index(399)).height


def test_page_citations_in_a_document_chat_are_links(qtbot, view: ChatView) -> None:
    from app.core.conversation import Message, TextPart
    from app.workflows.citations import page_label

    question = Message(Role.USER, [TextPart(page_label("lease.pdf", 2) + "Rent."), TextPart("?")])
    view.model().append_message(TranscriptItem.from_message(question))
    view.model().append_message(
        TranscriptItem(Role.ASSISTANT, "Rent is on p. 2, not `p. 3`.\n\n```\np. 4\n```")
    )
    settle(qtbot, view)
    with qtbot.waitSignal(view.page_citation_activated) as cited:
        _click(qtbot, view, 1, "pixtral-page:2")
    assert cited.args == [1, [2]]
    index = view.model().index(1)
    for code in ("pixtral-page:3", "pixtral-page:4"):
        assert view.delegate.anchor_rect(index, view.visualRect(index), code) is None


def _answer_text_rect(view: ChatView, row: int):
    """Where the answer's first text document lies in its row: (left, width)."""
    origin, doc = view.delegate.layout_for(view.model().index(row)).docs[0]
    return origin.x(), doc.textWidth()


def test_answers_sit_in_a_centred_reading_column(qtbot, view: ChatView) -> None:
    from app.ui.theme.tokens import READING_WIDTH

    view.model().append_message(TranscriptItem(Role.ASSISTANT, "A plain answer. " * 60))
    view.resize(1600 + view.width() - view.viewport().width(), 600)
    settle(qtbot, view)
    assert view.row_width == 1600
    left, width = _answer_text_rect(view, 0)
    assert width <= READING_WIDTH
    assert abs(left - (view.row_width - left - width)) <= 1  # as much room left as right


def test_a_narrow_window_fills_the_viewport_less_margins(qtbot, view: ChatView) -> None:
    from app.ui.transcript.transcript_layout import MARGIN

    view.model().append_message(TranscriptItem(Role.ASSISTANT, "A plain answer. " * 60))
    settle(qtbot, view)
    left, width = _answer_text_rect(view, 0)
    assert view.row_width < 760 and (left, width) == (MARGIN, view.row_width - 2 * MARGIN)


def test_tables_and_code_spread_wider_but_text_keeps_the_column(qtbot, view: ChatView) -> None:
    from app.ui.theme.tokens import READING_WIDTH, READING_WIDTH_WIDE

    view.model().append_message(TranscriptItem(Role.ASSISTANT, ANSWER))
    view.resize(1600 + view.width() - view.viewport().width(), 600)
    settle(qtbot, view)
    index = view.model().index(0)
    origin, doc = view.delegate.layout_for(index).docs[0]
    assert doc.textWidth() == READING_WIDTH_WIDE and origin.x() == (1600 - READING_WIDTH_WIDE) // 2
    link = view.delegate.anchor_rect(index, view.visualRect(index), "https://example.com/docs")
    assert link is not None and link.left() >= (1600 - READING_WIDTH) // 2  # in the column


def test_a_citation_in_a_centred_answer_is_hit_where_drawn(qtbot, view: ChatView) -> None:
    from app.core.conversation import Message, TextPart
    from app.workflows.citations import page_label

    question = Message(Role.USER, [TextPart(page_label("lease.pdf", 2) + "Rent."), TextPart("?")])
    view.model().append_message(TranscriptItem.from_message(question))
    view.model().append_message(TranscriptItem(Role.ASSISTANT, "Rent is on p. 2."))
    view.resize(1600 + view.width() - view.viewport().width(), 600)
    settle(qtbot, view)
    index = view.model().index(1)
    rect = view.delegate.anchor_rect(index, view.visualRect(index), "pixtral-page:2")
    assert rect is not None and rect.left() > 400  # drawn in the centred column
    with qtbot.waitSignal(view.page_citation_activated) as cited:
        _click(qtbot, view, 1, "pixtral-page:2")
    assert cited.args == [1, [2]]


def _streaming_lines(qtbot, view: ChatView, count: int) -> int:
    """A question and an answer streaming ``count`` lines, the view laid out; its row."""
    model = view.model()
    model.set_messages(TranscriptItem(Role.USER, f"message {i}\n" * 3) for i in range(20))
    row = model.append_message(TranscriptItem(Role.ASSISTANT, status=MessageStatus.STREAMING))
    model.append_text(row, "".join(f"line {i} with some words\n\n" for i in range(count)))
    settle(qtbot, view)
    qtbot.waitUntil(lambda: not view.following(), timeout=1000)
    return row


def test_streaming_glides_to_the_new_bottom_in_a_few_frames(qtbot, view: ChatView) -> None:
    from app.ui.theme.tokens import FOLLOW_SCROLL

    row = _streaming_lines(qtbot, view, 20)
    bar = view.verticalScrollBar()
    assert bar.value() == bar.maximum() > 0
    before = bar.value()
    view.model().append_text(row, "".join(f"more {i}\n\n" for i in range(10)))
    qtbot.waitUntil(view.following, timeout=1000)  # once the refresh has laid the row out
    assert before <= bar.value() < bar.maximum()  # on its way, no jump
    qtbot.waitUntil(
        lambda: bar.value() == bar.maximum() and not view.following(),
        timeout=4 * FOLLOW_SCROLL["ms"] + 500,
    )
    assert FOLLOW_SCROLL["ms"] <= 120
    view.model().set_status(row, MessageStatus.COMPLETE)


def test_a_streaming_refresh_leaves_the_relayout_of_every_row_to_the_next_pass(
    qtbot, view: ChatView, monkeypatch
) -> None:
    """The row's new layout and the relayout of all rows together overran a frame; asking
    for the row's rectangle (a repaint of a second chunk of the same row) ran the pending
    relayout at once, inside the refresh."""
    row = _streaming_lines(qtbot, view, 20)
    laid_out: list[bool] = []
    original = view.delegate.laid_out
    monkeypatch.setattr(view.delegate, "laid_out", lambda: (laid_out.append(True), original()))
    view.model().append_text(row, "one more line\n\n")
    view.model().append_text(row, "and another\n\n")  # two chunks before the refresh
    view._refresh.stop()
    view._on_refresh_timeout()  # the Markdown
    view._on_refresh_timeout()  # the row's layout: taller by two lines
    assert not laid_out
    qtbot.waitUntil(lambda: bool(laid_out), timeout=1000)  # the next pass
    view.model().set_status(row, MessageStatus.COMPLETE)


def test_a_streaming_row_is_rendered_and_laid_out_by_its_refresh_alone(
    qtbot, view: ChatView
) -> None:
    """A relayout or the glide asked the streaming row its size, which rendered the new tail
    and laid it out in one go; text that came in between the refresh's render pass and its
    layout pass was rendered inside the layout (profiled: 5 + 10 ms)."""
    row = _streaming_lines(qtbot, view, 20)
    model = view.model()
    index = model.index(row, 0)
    model.append_text(row, "one more line\n\n")
    view._refresh.stop()
    view.doItemsLayout()  # the stale height: no rendering here
    assert not model.is_rendered(row)
    view._on_refresh_timeout()  # render pass
    assert model.is_rendered(row) and view.delegate.cached_layout(index) is None
    model.append_text(row, "and another\n\n")  # arrives before the layout pass
    view._refresh.stop()
    view._on_refresh_timeout()  # renders again, in a pass of its own
    assert model.is_rendered(row) and view.delegate.cached_layout(index) is None
    view._on_refresh_timeout()  # the layout of what was rendered
    assert view.delegate.cached_layout(index) is not None
    model.set_status(row, MessageStatus.COMPLETE)


def test_scrolling_up_while_it_glides_stops_following(qtbot, view: ChatView) -> None:
    row = _streaming_lines(qtbot, view, 20)
    bar = view.verticalScrollBar()
    view.model().append_text(row, "".join(f"more {i}\n\n" for i in range(10)))
    qtbot.waitUntil(view.following, timeout=1000)  # once the refresh has laid the row out
    bar.setValue(bar.value() - 40)  # the user's wheel, mid-glide
    assert not view.following()
    read_here = bar.value()
    qtbot.wait(200)
    view.model().append_text(row, "".join(f"still more {i}\n\n" for i in range(10)))
    settle(qtbot, view)
    qtbot.wait(200)
    assert bar.value() == read_here < bar.maximum() - 100 and not view.following()
    view.model().set_status(row, MessageStatus.COMPLETE)


def test_the_scroll_bar_shows_a_handle_only_when_there_is_something_to_scroll(
    qtbot, view: ChatView
) -> None:
    bar = view.verticalScrollBar()
    assert bar.isVisible() and not bar.isEnabled()  # kept (no width flip-flop), blank
    view.model().set_messages(TranscriptItem(Role.USER, f"message {i}\n" * 3) for i in range(40))
    settle(qtbot, view)
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.isEnabled(), timeout=2000)
    view.model().set_messages([TranscriptItem(Role.USER, "one line")])
    settle(qtbot, view)
    qtbot.waitUntil(lambda: not bar.isEnabled(), timeout=2000)


def test_animating_while_a_chat_opens_or_an_answer_streams(qtbot, view: ChatView) -> None:
    """What the garbage collector asks before its long pass (``GuiThreadCollector``)."""
    model = view.model()
    model.set_messages(TranscriptItem(Role.USER, f"message {i}\n" * 3) for i in range(300))
    assert view.animating()  # rows still being put in and measured
    qtbot.waitUntil(view.delegate.all_measured, timeout=10_000)
    qtbot.waitUntil(lambda: not view.animating(), timeout=5_000)
    row = model.append_message(TranscriptItem(Role.ASSISTANT, status=MessageStatus.STREAMING))
    model.append_text(row, "a few words")
    assert view.animating()
    model.set_status(row, MessageStatus.COMPLETE)
    qtbot.waitUntil(lambda: not view.animating(), timeout=5_000)


def test_a_background_relayout_repaints_a_round_later(qtbot, view: ChatView) -> None:
    """The measurer's relayout and the repaint it brings ran back to back, before any due
    timer; the repaint now comes in a later round of events, and does come."""
    model = view.model()
    model.set_messages(TranscriptItem(Role.USER, f"message {i}\n" * 3) for i in range(60))
    qtbot.waitUntil(view.delegate.all_measured, timeout=10_000)
    painted: list[bool] = []
    original = view.delegate.frame_painted
    view.delegate.frame_painted = lambda: (painted.append(True), original())  # type: ignore[method-assign]
    view.relayout_then_repaint()
    assert not view.viewport().updatesEnabled()
    qtbot.waitUntil(lambda: view.viewport().updatesEnabled() and bool(painted), timeout=2000)
