"""Colours the widgets paint themselves follow the theme: forced dark, then forced light."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QToolButton

from app.main import build_window
from app.settings import Settings
from app.ui.theme.theme import Theme
from app.ui.theme.tokens import COLOURS
from app.ui.window.main_window import MainWindow


@pytest.fixture
def themed(unthemed_afterwards: QApplication) -> QApplication:
    return unthemed_afterwards


@pytest.fixture
def window(qtbot, tmp_path: Path, themed: QApplication) -> Iterator[MainWindow]:
    Theme.install(themed, "dark")
    settings = Settings(tmp_path / "settings.ini")
    settings.save()
    opened = build_window(settings, tmp_path / "data")
    qtbot.addWidget(opened)
    opened.resize(1000, 700)
    opened.show()
    qtbot.waitExposed(opened)
    yield opened
    opened.session.close()
    opened.close()
    opened.engine.close()
    opened.store.close()


def _icon_contrast(window: MainWindow) -> int:
    """How far the magnifier's most different pixel is from the field behind it (lightness)."""
    box = window.sidebar.search_box
    button = next(
        b
        for b in box.findChildren(QToolButton)
        if b.defaultAction() is window.sidebar.search_action
    )
    image = box.grab().toImage()
    background = image.pixelColor(box.width() // 2, box.height() // 2).lightness()
    origin = button.mapTo(box, QPoint(0, 0))
    ratio = image.devicePixelRatio()
    most = 0
    for x in range(origin.x(), origin.x() + button.width()):
        for y in range(origin.y(), origin.y() + button.height()):
            colour = image.pixelColor(int(x * ratio), int(y * ratio))
            most = max(most, abs(colour.lightness() - background))
    return most


def test_the_search_magnifier_stands_out_in_dark_and_in_light(
    qtbot, window: MainWindow, themed: QApplication
) -> None:
    theme = Theme.of(themed)
    assert theme is not None
    assert _icon_contrast(window) > 60, "opened dark"
    for appearance in ("dark", "light", "dark", "light"):
        theme.set_appearance(appearance)
        qtbot.wait(20)
        assert _icon_contrast(window) > 60, appearance


def test_error_text_takes_the_schemes_own_red(
    qtbot, window: MainWindow, themed: QApplication
) -> None:
    theme = Theme.of(themed)
    assert theme is not None
    window.session.storage_failed.emit("Disk full.")
    for appearance in ("dark", "light"):
        theme.set_appearance(appearance)
        qtbot.wait(20)
        colour = window.activity.palette().color(window.activity.foregroundRole())
        assert colour == QColor(COLOURS[theme.scheme].danger), appearance
