"""Every button a person can see says what it does to a screen reader, icon-only ones included.

The real main window is built and its whole widget tree walked: a visible button with neither
text nor an accessible name is silent to assistive technology, so it fails here by name.
Qt's own action buttons inside a line edit (the search box's clear button) count too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QAbstractButton

from app.ui.window.main_window import MainWindow
from tests.ui.window.test_main_window import _close, _open, _settings


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[MainWindow]:
    window = _open(qtbot, _settings(tmp_path, None), tmp_path / "data")
    qtbot.waitExposed(window)
    yield window
    _close(window)


def _unnamed(buttons: list[QAbstractButton]) -> list[str]:
    return [
        f"{type(b).__name__} {b.objectName() or '(no object name)'} in {type(b.parent()).__name__}"
        f" {b.parent().accessibleName()!r}"
        for b in buttons
        if not b.text().strip() and not b.accessibleName().strip()
    ]


def _visible_buttons(window: MainWindow) -> list[QAbstractButton]:
    return [b for b in window.findChildren(QAbstractButton) if b.isVisible()]


def test_no_visible_button_is_unnamed(window: MainWindow):
    buttons = _visible_buttons(window)
    assert buttons
    unnamed = _unnamed(buttons)
    assert not unnamed, "buttons without text or accessible name: " + ", ".join(unnamed)
    icon_only = [b for b in buttons if not b.text().strip()]
    assert icon_only, "the header's Settings and About are icon-only"
    assert all(b.toolTip() for b in icon_only), [b.accessibleName() for b in icon_only]
