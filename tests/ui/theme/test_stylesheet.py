"""The tokens make a stylesheet Qt accepts and a palette of the right lightness, in both schemes."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QScrollBar, QVBoxLayout, QWidget

from app.ui.theme.stylesheet import build_palette, build_stylesheet
from app.ui.theme.tokens import COLOURS, Scheme


@pytest.mark.parametrize("scheme", list(Scheme))
def test_stylesheet_parses_without_warnings(app: QApplication, qtbot, qtlog, scheme: Scheme):
    app.setStyleSheet(build_stylesheet(scheme))
    page = QWidget()
    qtbot.addWidget(page)
    layout = QVBoxLayout(page)
    primary = QPushButton("Send")
    primary.setProperty("primary", True)
    for widget in (QPushButton("Plain"), primary, QLineEdit(), QScrollBar()):
        layout.addWidget(widget)
    page.show()
    qtbot.waitExposed(page)
    page.grab()  # polishing parses the sheet; a bad one warns "Could not parse"
    assert not [r for r in qtlog.records if "parse" in r.message.lower()]


@pytest.mark.parametrize("scheme", list(Scheme))
def test_palette_takes_every_colour_from_the_tokens(scheme: Scheme):
    palette = build_palette(scheme)
    colours = COLOURS[scheme]
    assert palette.color(QPalette.ColorRole.Window).name() == colours.window
    assert palette.color(QPalette.ColorRole.Highlight).name() == colours.accent
    window, text = palette.window().color(), palette.text().color()
    if scheme is Scheme.DARK:
        assert window.lightness() < 64 < 192 < text.lightness()
    else:
        assert text.lightness() < 64 < 192 < window.lightness()


def test_type_sizes_step_from_the_app_font(app: QApplication, qtbot) -> None:
    """A progress bar's words are the size of the text beside them, a caption smaller, a
    title larger, whatever font size the desktop chose (sizes are ratios, never points)."""
    from PySide6.QtWidgets import QLabel, QProgressBar

    from app.ui.theme.stylesheet import type_scale

    body = app.font().pointSizeF()
    scale = type_scale()
    assert scale["body"] == pytest.approx(body, abs=0.05)
    assert scale["caption"] < body < scale["subtitle"] < scale["title"]
    app.setStyleSheet(build_stylesheet(Scheme.LIGHT))
    page = QWidget()
    qtbot.addWidget(page)
    bar, caption = QProgressBar(page), QLabel("212 tokens", page)
    caption.setObjectName("activityLine")
    page.show()
    page.grab()
    assert bar.font().pointSizeF() == pytest.approx(body, abs=0.05)
    assert caption.font().pointSizeF() == pytest.approx(scale["caption"], abs=0.05)


@pytest.mark.parametrize("scheme", list(Scheme))
def test_a_disabled_field_looks_unlike_one_you_can_type_in(
    app: QApplication, qtbot, scheme: Scheme
) -> None:
    """The settings' system prompt is disabled with no chat open; it looked ready for typing."""
    app.setStyleSheet(build_stylesheet(scheme))
    enabled, disabled = QLineEdit(), QLineEdit()
    disabled.setEnabled(False)
    fills = []
    for field in (enabled, disabled):
        qtbot.addWidget(field)
        field.resize(200, 32)
        field.show()
        qtbot.waitExposed(field)
        fills.append(field.grab().toImage().pixelColor(100, 16).name())
    assert fills[0] != fills[1]
    assert fills[1] == COLOURS[scheme].window
