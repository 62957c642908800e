"""The delegate's lazy measuring: a long chat shows its screen first, the rest in slices."""

from __future__ import annotations

from app.core.conversation import Role
from app.ui.transcript.chat_view import ChatView
from app.ui.transcript.transcript_model import OPEN_FIRST, TranscriptItem

ANSWER = "Some words.\n\n```python\nx = 1\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"


def test_a_long_chat_lays_out_its_screen_before_the_older_rows_come_in(
    qtbot, view: ChatView
) -> None:
    model = view.model()
    on_screen_built: list[bool] = []

    def first_older_slice(_parent, first: int, _last: int) -> None:
        if first == 0 and not on_screen_built:
            newest = model.index(model.rowCount() - 1)
            on_screen_built.append(view.delegate.cached_layout(newest) is not None)

    model.rowsInserted.connect(first_older_slice)
    items = [
        TranscriptItem(Role.USER if i % 2 == 0 else Role.ASSISTANT, f"{i}. {ANSWER}")
        for i in range(OPEN_FIRST + 600)
    ]
    with qtbot.waitSignal(model.opened, timeout=10_000):
        model.set_messages(items)
        assert model.rowCount() == OPEN_FIRST
    assert on_screen_built == [True]  # the newest row was laid out before any older row came
    qtbot.waitUntil(view.delegate.all_measured, timeout=30_000)
    assert model.item(0).text.startswith("0. ")
