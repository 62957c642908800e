"""The transcript model: appends insert rows, streaming touches one row, never a reset."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.core.conversation import Message, MessageStatus, Role
from app.core.images import prepare_image
from app.ui.transcript.markdown_render import RenderTheme
from app.ui.transcript.transcript_model import TranscriptItem, TranscriptModel, TranscriptRole


def _model(n: int = 3) -> TranscriptModel:
    model = TranscriptModel()
    model.set_messages(
        TranscriptItem(Role.USER if i % 2 == 0 else Role.ASSISTANT, f"message {i}", message_id=i)
        for i in range(n)
    )
    model.finish_opening()  # a long list opens in slices; these tests start once it is in
    return model


def test_model_passes_qt_model_tester(qtmodeltester) -> None:
    model = _model(4)
    qtmodeltester.check(model)
    row = model.append_message(TranscriptItem(Role.ASSISTANT, status=MessageStatus.STREAMING))
    model.append_text(row, "Hello **world**")
    model.set_status(row, MessageStatus.COMPLETE)
    model.set_error(1, "out of memory")
    model.set_messages([TranscriptItem(Role.USER, "another chat")])
    qtmodeltester.check(model)


def test_streaming_emits_data_changed_for_one_row_only(qtbot) -> None:
    model = _model(500)
    changes: list[tuple[int, int]] = []
    resets: list[str] = []
    model.dataChanged.connect(lambda top, bottom, _roles: changes.append((top.row(), bottom.row())))
    for signal in (model.modelReset, model.layoutChanged, model.modelAboutToBeReset):
        signal.connect(lambda *_: resets.append("reset"))
    inserted: list[int] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append(first))

    row = model.append_message(TranscriptItem(Role.ASSISTANT, status=MessageStatus.STREAMING))
    for token in ["Hello", " ", "**wor", "ld**", "\n\n```py\n", "x = 1\n", "```\n"]:
        model.append_text(row, token)
        model.data(model.index(row), TranscriptRole.RenderedRole)  # as the view would
    model.set_status(row, MessageStatus.COMPLETE)

    assert inserted == [500]
    assert changes == [(500, 500)] * 8
    assert resets == []
    item = model.item(row)
    assert item.text == "Hello **world**\n\n```py\nx = 1\n```\n"
    assert model.code_block(row, 0) == "x = 1"
    assert "<strong>world</strong>" in model.rendered(row).html


def test_error_and_branch_roles() -> None:
    model = _model(1)
    model.append_message(
        TranscriptItem(Role.ASSISTANT, message_id=1, branch_index=1, branch_count=3)
    )
    model.set_error(1, "out of memory")
    index = model.index(1)
    assert index.data(TranscriptRole.ErrorRole) == "out of memory"
    assert index.data(TranscriptRole.StatusRole) == MessageStatus.FAILED
    assert index.data(TranscriptRole.BranchRole) == (1, 3)
    assert index.data(TranscriptRole.MessageIdRole) == 1
    assert "out of memory" in index.data(Qt.ItemDataRole.AccessibleTextRole)


def test_rows_keep_a_cache_key_that_changes_with_content() -> None:
    model = _model(2)
    key, revision = model.index(1).data(TranscriptRole.CacheKeyRole)
    model.append_text(1, " more")
    assert model.index(1).data(TranscriptRole.CacheKeyRole) == (key, revision + 1)
    model.append_message(TranscriptItem(Role.USER, "next"))
    assert model.index(1).data(TranscriptRole.CacheKeyRole) == (key, revision + 1)


def test_theme_change_rerenders_without_reset(qtbot) -> None:
    model = _model(3)
    model.set_messages([TranscriptItem(Role.ASSISTANT, "```python\nx = 1\n```")])
    light = model.rendered(0).html
    with qtbot.waitSignal(model.dataChanged):
        model.set_theme(RenderTheme(dark=True))
    assert model.rendered(0).html != light


def test_from_message_keeps_images_and_status(image_file) -> None:
    image = prepare_image(image_file(64, 32))
    message = Message.user("look", [image])
    item = TranscriptItem.from_message(message, message_id="m1", branch_count=2)
    assert item.images == (image,) and item.text == "look" and item.role == Role.USER
    assert item.message_id == "m1" and item.branch_count == 2


def test_a_document_question_turns_on_page_links_in_answers() -> None:
    from app.core.conversation import TextPart
    from app.workflows.citations import page_label

    model = TranscriptModel()
    model.set_messages(
        [TranscriptItem(Role.USER, "message 0"), TranscriptItem(Role.ASSISTANT, "See p. 1.")]
    )
    assert "pixtral-page:" not in model.rendered(1).html
    question = Message(Role.USER, [TextPart(page_label("a.pdf", 1) + "Total: 5.")])
    model.append_message(TranscriptItem.from_message(question))
    assert 'href="pixtral-page:1"' in model.rendered(1).html  # earlier answers re-render
    assert [p.page for p in model.sent_pages_before(3)] == [1]
    assert model.sent_pages_before(2) == []
    model.set_messages([TranscriptItem(Role.ASSISTANT, "p. 1")])
    assert "pixtral-page:" not in model.rendered(0).html


def test_a_long_chat_opens_newest_first_then_older_rows_in_slices(qtbot) -> None:
    from PySide6.QtCore import QStringListModel

    from app.ui.transcript.transcript_model import OPEN_FIRST, OPEN_SLICE

    count = OPEN_FIRST + 2 * OPEN_SLICE + 7
    model = TranscriptModel()
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    with qtbot.waitSignal(model.opened, timeout=5_000):
        model.set_messages(TranscriptItem(Role.USER, f"message {i}") for i in range(count))
        assert model.rowCount() == OPEN_FIRST and model.opening  # what the screen shows
        assert model.item(0).text == f"message {count - OPEN_FIRST}"
        assert len(model.items()) == count  # what is still waiting counts as the chat's
    # each later event-loop pass put one slice in above the rows already there
    assert inserted == [(0, OPEN_SLICE - 1), (0, OPEN_SLICE - 1), (0, 6)]
    assert [model.item(i).text for i in range(count)] == [f"message {i}" for i in range(count)]
    # the count the view asks for twice per row on every relayout is answered in C++
    assert TranscriptModel.rowCount is QStringListModel.rowCount


def test_a_new_turn_while_a_chat_opens_puts_every_row_in_first() -> None:
    from app.ui.transcript.transcript_model import OPEN_FIRST

    model = TranscriptModel()
    model.set_messages(TranscriptItem(Role.USER, f"message {i}") for i in range(OPEN_FIRST + 5))
    row = model.append_message(TranscriptItem(Role.ASSISTANT, status=MessageStatus.STREAMING))
    assert row == OPEN_FIRST + 5 and not model.opening
    assert model.item(0).text == "message 0"


def test_an_answer_with_code_renders_in_steps_one_block_each() -> None:
    text = "Intro.\n\n```python\nx = 1\n```\n\nMiddle.\n\n```js\nlet y = 2;\n```\n"
    model = TranscriptModel()
    model.set_messages([TranscriptItem(Role.ASSISTANT, text)])
    assert [model.render_step(0), model.render_step(0)] == [False, False]  # two blocks
    assert not model.is_rendered(0)
    assert model.render_step(0) and model.is_rendered(0)
    assert model.code_block(0, 1) == "let y = 2;"
