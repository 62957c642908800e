"""The round Send/Stop button: its two faces, and why it waits."""

from __future__ import annotations

import pytest

from app.ui.composer.send_button import SendButton


@pytest.fixture
def button(qtbot) -> SendButton:
    widget = SendButton()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_send_waits_with_the_reason_in_its_tooltip(button: SendButton) -> None:
    button.show_send("Type a message or add images to send")
    assert not button.isEnabled()
    assert button.toolTip() == "Type a message or add images to send"
    button.show_send("")
    assert button.isEnabled() and button.toolTip() == "Send (Enter)"
    assert button.text() == "Send" and button.accessibleName() == "Send message"
    assert button.property("stop") is False


def test_stop_is_red_enabled_and_named(button: SendButton) -> None:
    button.show_send("Preparing 1 image(s)…")
    send_icon = button.icon().cacheKey()
    button.show_stop()
    assert button.isEnabled() and button.text() == "Stop"
    assert button.accessibleName() == "Stop the answer" and "Esc" in button.toolTip()
    assert button.property("stop") is True  # the stylesheet's red
    stop_icon = button.icon().cacheKey()
    assert stop_icon != send_icon
    button.show_send("")
    assert button.property("stop") is False and button.icon().cacheKey() != stop_icon


def test_it_is_a_round_icon_button(button: SendButton) -> None:
    assert button.width() == button.height()
    assert not button.icon().isNull()
