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


def test_a_timer_due_during_a_measuring_pass_runs_before_the_next_pass(
    qtbot, view: ChatView, monkeypatch
) -> None:
    """A repeating zero timer is re-armed from the start of its pass, so it ran again before
    a timer that fell due meanwhile (two passes back to back, traced); it is re-armed after."""
    import itertools
    import time

    from PySide6.QtCore import Qt, QTimer

    events: list[str] = []
    original = view.delegate._measure_pass

    def slow_pass() -> None:
        events.append("pass")
        end = time.perf_counter() + 0.002  # longer than the other timer's interval
        while time.perf_counter() < end:
            pass
        original()

    monkeypatch.setattr(view.delegate, "_measure_pass", slow_pass)
    ticker = QTimer(interval=1, timeout=lambda: events.append("tick"))
    ticker.setTimerType(Qt.TimerType.PreciseTimer)
    view.model().set_messages(
        TranscriptItem(Role.USER if i % 2 == 0 else Role.ASSISTANT, f"{i}. {ANSWER}")
        for i in range(OPEN_FIRST + 300)
    )
    ticker.start()
    qtbot.waitUntil(lambda: events.count("pass") >= 20, timeout=10_000)
    ticker.stop()
    passes = [i for i, event in enumerate(events) if event == "pass"]
    back_to_back = sum(1 for a, b in itertools.pairwise(passes) if b == a + 1)
    assert back_to_back == 0, events


def test_the_measurer_lets_due_timers_run_after_a_frame_before_its_next_pass(
    qtbot, view: ChatView, monkeypatch
) -> None:
    """A pass straight after a paint, in the same round of events, added to that frame."""
    passes: list[bool] = []
    monkeypatch.setattr(view.delegate, "_measure_pass", lambda: passes.append(True))
    view.delegate._measurer.start()
    view.delegate.frame_painted()
    view.delegate._on_measurer_timeout()
    assert passes == [] and view.delegate._measurer.isActive()  # yielded, still to come
    view.delegate._on_measurer_timeout()
    assert passes == [True]  # once per frame
    view.viewport().repaint()  # a real paint says so itself
    view.delegate._on_measurer_timeout()
    assert passes == [True]
    view.delegate._measurer.stop()
