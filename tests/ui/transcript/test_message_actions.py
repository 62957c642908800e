"""A message's action buttons: which there are, where, and that the hovered row and the
keyboard's current row show them (Left/Right pick one, Enter runs it)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QFontMetricsF, QGuiApplication, QImage

from app.core.conversation import MessageStatus, Role
from app.ui.transcript.chat_view import ChatView
from app.ui.transcript.message_actions import (
    ACTIONS,
    action_names,
    action_tooltip,
    place_actions,
)
from app.ui.transcript.transcript_model import TranscriptItem
from tests.ui.transcript.settled import settle


def _two_messages(qtbot, view: ChatView) -> None:
    model = view.model()
    model.append_message(TranscriptItem(Role.USER, "question"))
    model.append_message(TranscriptItem(Role.ASSISTANT, "answer", branch_index=1, branch_count=3))
    settle(qtbot, view)


def _bar_pixels(view: ChatView, row: int) -> QImage:
    index = view.model().index(row)
    rect = view.delegate.actions_rect(index, view.visualRect(index))
    return view.viewport().grab(rect).toImage()


def _blank(image: QImage) -> bool:
    first = image.pixel(0, 0)
    return all(
        image.pixel(x, y) == first for x in range(image.width()) for y in range(image.height())
    )


def test_buttons_per_role_and_state() -> None:
    question = TranscriptItem(Role.USER, "q", branch_index=0, branch_count=2)
    assert action_names(question) == ["branch-prev", "branch-next", "copy", "edit", "delete"]
    assert action_names(TranscriptItem(Role.ASSISTANT, "a")) == ["copy", "regenerate", "delete"]
    streaming = TranscriptItem(Role.ASSISTANT, "a", status=MessageStatus.STREAMING)
    assert action_names(streaming) == []
    assert all(action_tooltip(f"action:{name}") for name in ACTIONS)
    assert action_tooltip("copy-code:0") == "Copy this code" and action_tooltip("https://x") == ""


def test_a_question_s_buttons_end_under_its_bubble_and_versions_stop_at_the_ends(qtbot) -> None:
    metrics = QFontMetricsF(QGuiApplication.font())
    first = TranscriptItem(Role.USER, "q", branch_index=0, branch_count=2)
    bar = place_actions(first, 100, 600, 10, metrics)
    assert bar.rect.right() == pytest.approx(600, abs=3) and bar.count == "1/2"
    enabled = {b.name: b.enabled for b in bar.buttons}
    assert not enabled["branch-prev"] and enabled["branch-next"]
    stopped = TranscriptItem(Role.ASSISTANT, "a", status=MessageStatus.STOPPED)
    bar = place_actions(stopped, 100, 600, 10, metrics)
    assert bar.rect.left() == 100 and bar.status == "Stopped"
    assert bar.status_rect is not None and bar.status_rect.left() >= bar.rect.right()


def test_hovering_a_row_shows_its_buttons_and_leaving_hides_them(qtbot, view: ChatView) -> None:
    _two_messages(qtbot, view)
    assert not view.actions_shown(1)
    assert _blank(_bar_pixels(view, 1))  # room kept, nothing drawn
    height = view.visualRect(view.model().index(1)).height()
    centre = view.visualRect(view.model().index(1)).center()
    qtbot.mouseMove(view.viewport(), centre)
    qtbot.waitUntil(lambda: view.actions_shown(1) and view.actions_opacity(1) == 1.0)
    assert not view.actions_shown(0)
    assert not _blank(_bar_pixels(view, 1))
    assert view.visualRect(view.model().index(1)).height() == height  # nothing moved
    view.leaveEvent(None)
    qtbot.waitUntil(lambda: not view.actions_shown(1), timeout=1000)  # faded out
    assert _blank(_bar_pixels(view, 1))


def test_hovering_a_button_lights_it_and_tells_what_it_does(qtbot, view: ChatView) -> None:
    _two_messages(qtbot, view)
    index = view.model().index(1)
    rect = view.delegate.anchor_rect(index, view.visualRect(index), "action:regenerate")
    assert rect is not None
    qtbot.mouseMove(view.viewport(), rect.center().toPoint())
    qtbot.waitUntil(lambda: view.action_state(1).hovered == "regenerate")
    assert view.delegate.hit_test(index, view.visualRect(index), rect.center().toPoint()) == (
        "anchor",
        "action:regenerate",
    )


def test_the_keyboard_reaches_every_button_of_the_current_row(qtbot, view: ChatView) -> None:
    _two_messages(qtbot, view)
    view.setFocus()
    view.setCurrentIndex(view.model().index(1))
    assert view.actions_shown(1)  # the keyboard's current row shows its buttons
    picked = []
    for _ in range(6):
        qtbot.keyClick(view, Qt.Key.Key_Right)
        picked.append(view.action_state(1).focused)
    assert picked == ["branch-prev", "branch-next", "copy", "regenerate", "delete", "branch-prev"]
    qtbot.keyClick(view, Qt.Key.Key_Left)
    qtbot.keyClick(view, Qt.Key.Key_Left)  # back to regenerate
    with qtbot.waitSignal(view.regenerate_requested) as regenerate:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert regenerate.args == [1]
    qtbot.keyClick(view, Qt.Key.Key_Right)
    with qtbot.waitSignal(view.delete_requested) as delete:
        qtbot.keyClick(view, Qt.Key.Key_Space)
    assert delete.args == [1]
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert view.action_state(1).focused == ""
    qtbot.keyClick(view, Qt.Key.Key_Up)  # another row: the pick starts afresh
    assert view.currentIndex().row() == 0 and view.action_state(0).focused == ""
    qtbot.keyClick(view, Qt.Key.Key_Left)
    with qtbot.waitSignal(view.delete_requested) as delete:
        qtbot.keyClick(view, Qt.Key.Key_Enter)
    assert delete.args == [0]


def test_the_keyboard_pick_is_drawn_as_a_focus_ring(qtbot, view: ChatView) -> None:
    _two_messages(qtbot, view)
    view.setFocus()
    view.setCurrentIndex(view.model().index(1))
    settle(qtbot, view)
    before = _bar_pixels(view, 1)
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert _bar_pixels(view, 1) != before


def test_a_streaming_answer_has_no_buttons(qtbot, view: ChatView) -> None:
    model = view.model()
    model.append_message(TranscriptItem(Role.ASSISTANT, "so far", status=MessageStatus.STREAMING))
    settle(qtbot, view)
    layout = view.delegate.layout_for(model.index(0))
    assert layout.actions.buttons == ()
    assert (
        view.delegate.anchor_rect(model.index(0), view.visualRect(model.index(0)), "action:copy")
        is None
    )
    assert layout.actions.at(QPointF(layout.actions.rect.center()).x(), 0) is None


def test_the_buttons_fade_in_quickly_repainting_only_their_bar(
    qtbot, view: ChatView, monkeypatch
) -> None:
    from app.ui.theme.tokens import MESSAGE_ACTION

    _two_messages(qtbot, view)
    updated = []
    viewport = view.viewport()
    monkeypatch.setattr(viewport, "update", lambda *args: updated.append(args))
    view._set_hover(1, "")
    assert view.actions_opacity(1) < 1.0 and MESSAGE_ACTION["fade_ms"] < 150
    qtbot.waitUntil(lambda: view.actions_opacity(1) == 1.0, timeout=1000)
    index = view.model().index(1)
    bar = view.delegate.actions_rect(index, view.visualRect(index))
    assert updated and all(args == (bar,) for args in updated)


def test_the_buttons_fade_out_when_the_pointer_leaves_repainting_only_their_bar(
    qtbot, view: ChatView, monkeypatch
) -> None:
    _two_messages(qtbot, view)
    view._set_hover(1, "")
    qtbot.waitUntil(lambda: view.actions_opacity(1) == 1.0, timeout=1000)
    updated = []
    viewport = view.viewport()
    monkeypatch.setattr(viewport, "update", lambda *args: updated.append(args))
    view.leaveEvent(None)
    assert view.actions_shown(1) and view.actions_opacity(1) == 1.0  # still drawn, fading
    qtbot.waitUntil(lambda: 0.0 < view.actions_opacity(1) < 1.0, timeout=1000)
    qtbot.waitUntil(lambda: not view.actions_shown(1), timeout=1000)
    index = view.model().index(1)
    bar = view.delegate.actions_rect(index, view.visualRect(index))
    assert len(updated) > 2 and all(args == (bar,) for args in updated)
