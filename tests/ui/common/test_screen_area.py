"""A window's free screen area is its parent's screen's (the studio and Settings agree)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.ui.common.screen_area import available_area


def test_a_child_window_uses_its_parents_screen(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    child = QWidget(parent)
    area = available_area(child)
    assert area == parent.screen().availableGeometry()
    assert area.width() > 0 and area.height() > 0
    assert available_area(parent) == parent.screen().availableGeometry()
