"""Every named icon loads in both schemes, tinted with that scheme's text colour."""

from __future__ import annotations

import os

import pytest
from PySide6.QtWidgets import QApplication

from app.ui.theme.icons import NAMES, icon
from app.ui.theme.tokens import COLOURS, Scheme


def test_qtawesome_is_told_to_use_pyside6():
    assert os.environ["QT_API"] == "pyside6"


@pytest.mark.parametrize("scheme", list(Scheme))
def test_every_icon_loads(qapp: QApplication, scheme: Scheme):
    for name in NAMES:
        assert not icon(name, scheme).isNull(), name


@pytest.mark.parametrize("scheme", list(Scheme))
def test_icons_take_the_text_colour(qapp: QApplication, scheme: Scheme):
    image = icon("settings", scheme).pixmap(32, 32).toImage()
    opaque = [
        image.pixelColor(x, y)
        for x in range(32)
        for y in range(32)
        if image.pixelColor(x, y).alpha() == 255
    ]
    assert opaque, "the icon drew nothing"
    text = COLOURS[scheme].text
    assert any(colour.name() == text for colour in opaque)
