"""Screen capture: the window leaves the picture, the region overlay crops exact pixels.

The offscreen platform has a virtual 800×800 screen whose grab composites the visible windows,
so a full-screen "desktop" widget gives the grab known pixels and shows whether our window
was in it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage
from PySide6.QtWidgets import QWidget

from app.core.images import patch_grid
from app.ui.composer.screen_capture import (
    UNAVAILABLE,
    CaptureMode,
    RegionOverlay,
    ScreenCapture,
    crop_rect,
    is_blank,
)

WAIT_MS = 10_000
DESKTOP = QColor(30, 160, 60)
WINDOW = QColor(220, 30, 30)


def coded_image(width: int, height: int) -> QImage:
    """Every pixel names its own position: r, g = low bytes of x, y; b = their high nibbles."""
    ys, xs = np.mgrid[0:height, 0:width]
    rgba = np.zeros((height, width, 4), np.uint8)
    rgba[..., 0], rgba[..., 1] = xs & 255, ys & 255
    rgba[..., 2] = (xs >> 8) | ((ys >> 8) << 4)
    rgba[..., 3] = 255
    image = QImage(rgba.data, width, height, width * 4, QImage.Format.Format_RGBA8888)
    return image.copy()


def position(image: QImage, x: int, y: int) -> tuple[int, int]:
    colour = image.pixelColor(x, y)
    return colour.red() | (colour.blue() & 15) << 8, colour.green() | (colour.blue() >> 4) << 8


def _solid(colour: QColor, parent: QWidget | None = None) -> QWidget:
    widget = QWidget(parent)
    widget.setAutoFillBackground(True)
    palette = widget.palette()
    palette.setColor(widget.backgroundRole(), colour)
    widget.setPalette(palette)
    return widget


def _black(width: int, height: int) -> QImage:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.black)
    return image


@pytest.fixture
def desktop(qtbot) -> QWidget:
    """A green desktop filling the virtual screen, with a mark in its far corner so that a grab
    is never of one colour (that would read as "capture unavailable") even when the window is
    hidden and nothing else is on the screen."""
    widget = _solid(DESKTOP)
    qtbot.addWidget(widget)
    screen = QGuiApplication.primaryScreen().geometry()
    widget.setGeometry(screen)
    mark = _solid(QColor(250, 250, 30), widget)
    mark.setGeometry(screen.width() - 24, screen.height() - 24, 24, 24)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def window(qtbot, desktop: QWidget) -> QWidget:
    widget = _solid(WINDOW)
    qtbot.addWidget(widget)
    widget.setGeometry(100, 100, 300, 200)
    widget.show()
    qtbot.waitExposed(widget)
    widget.raise_()
    return widget


# ------------------------------------------------------------------------------ crop math
@pytest.mark.parametrize(
    ("selection", "logical", "image", "expected"),
    [
        (QRectF(10, 20, 100, 50), QSize(800, 600), QSize(800, 600), QRect(10, 20, 100, 50)),
        (QRectF(10, 20, 100, 50), QSize(800, 600), QSize(1600, 1200), QRect(20, 40, 200, 100)),
        # 150 %: fractional edges widen to whole pixels instead of losing a row
        (QRectF(10, 10, 101, 101), QSize(800, 600), QSize(1200, 900), QRect(15, 15, 152, 152)),
        (QRectF(0.5, 0.5, 10, 10), QSize(100, 100), QSize(200, 200), QRect(1, 1, 20, 20)),
        # float noise must not add a pixel: 0.1 * 3 is 0.30000000000000004
        (QRectF(0.1, 0.1, 0.2, 0.2), QSize(10, 10), QSize(30, 30), QRect(0, 0, 1, 1)),
        # clipped to the grab
        (
            QRectF(750, 550, 100, 100),
            QSize(800, 600),
            QSize(1600, 1200),
            QRect(1500, 1100, 100, 100),
        ),
        (QRectF(0, 0, 10, 10), QSize(0, 0), QSize(10, 10), QRect()),
    ],
)
def test_crop_rect_scales_logical_to_device_pixels(
    selection: QRectF, logical: QSize, image: QSize, expected: QRect
) -> None:
    assert crop_rect(selection, logical, image) == expected


def test_blank_grabs_are_recognised() -> None:
    assert is_blank(QImage())
    assert is_blank(_black(1920, 1080))
    page = QImage(1920, 1080, QImage.Format.Format_RGB32)
    page.fill(Qt.GlobalColor.white)
    for x in range(400, 412):  # one short line of "text" on a white page
        page.setPixelColor(x, 300, QColor("black"))
    assert not is_blank(page)
    assert not is_blank(coded_image(64, 48))


# ------------------------------------------------------------------------------- overlay
def _overlay(qtbot, image: QImage) -> RegionOverlay:
    overlay = RegionOverlay(image, QGuiApplication.primaryScreen().geometry())
    qtbot.addWidget(overlay)
    overlay.start()
    qtbot.waitExposed(overlay)
    return overlay


def _drag(qtbot, widget: QWidget, start: QPoint, end: QPoint) -> None:
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(widget, QPoint((start.x() + end.x()) // 2, (start.y() + end.y()) // 2))
    qtbot.mouseMove(widget, end)
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=end)


@pytest.mark.parametrize("scale", [1, 2])
def test_dragging_a_rectangle_crops_exactly_those_pixels(qtbot, scale: int) -> None:
    """At scale 2 the grab has twice the screen's pixels (a HiDPI screen): the crop doubles."""
    screen = QGuiApplication.primaryScreen().geometry().size()
    grab = coded_image(screen.width() * scale, screen.height() * scale)
    overlay = _overlay(qtbot, grab)
    assert overlay.size() == screen
    chosen: list[QImage] = []
    overlay.region_chosen.connect(chosen.append)
    _drag(qtbot, overlay, QPoint(310, 220), QPoint(110, 120))  # up-left works too
    assert len(chosen) == 1
    crop = chosen[0]
    assert crop.size() == QSize(200 * scale, 100 * scale)
    assert position(crop, 0, 0) == (110 * scale, 120 * scale)
    assert position(crop, crop.width() - 1, crop.height() - 1) == (
        310 * scale - 1,
        220 * scale - 1,
    )
    assert crop == grab.copy(110 * scale, 120 * scale, 200 * scale, 100 * scale)
    qtbot.waitUntil(lambda: not overlay.isVisible(), timeout=WAIT_MS)


def test_a_click_without_a_drag_keeps_choosing(qtbot) -> None:
    overlay = _overlay(qtbot, coded_image(800, 800))
    chosen: list[QImage] = []
    overlay.region_chosen.connect(chosen.append)
    qtbot.mouseClick(overlay, Qt.MouseButton.LeftButton, pos=QPoint(50, 50))
    assert chosen == [] and overlay.isVisible()
    overlay.close()


def test_escape_cancels_and_enter_takes_the_whole_screen(qtbot) -> None:
    grab = coded_image(800, 800)
    overlay = _overlay(qtbot, grab)
    chosen: list[QImage] = []
    overlay.region_chosen.connect(chosen.append)
    with qtbot.waitSignal(overlay.cancelled):
        qtbot.keyClick(overlay, Qt.Key.Key_Escape)
    assert chosen == []
    whole = _overlay(qtbot, grab)
    with qtbot.waitSignal(whole.region_chosen) as blocker:
        qtbot.keyClick(whole, Qt.Key.Key_Return)
    assert blocker.args[0] == grab
    again = _overlay(qtbot, grab)
    with qtbot.waitSignal(again.region_chosen) as blocker:
        qtbot.mouseDClick(again, Qt.MouseButton.LeftButton, pos=QPoint(40, 40))
    assert blocker.args[0].size() == grab.size()


# ---------------------------------------------------------------------------- controller
def test_the_window_is_hidden_for_the_grab_and_comes_back(qtbot, window: QWidget) -> None:
    capture = ScreenCapture(window, hide_ms=50)
    captured: list[QImage] = []
    capture.captured.connect(lambda image, name: captured.append(image))
    capture.start(CaptureMode.SCREEN)
    assert not window.isVisible()
    with qtbot.waitSignal(capture.finished, timeout=WAIT_MS):
        pass
    assert window.isVisible()
    assert len(captured) == 1
    image = captured[0]
    assert image.size() == QGuiApplication.primaryScreen().geometry().size()
    # where the window was, the grab shows the desktop: it was not in the picture
    assert image.pixelColor(250, 200) == DESKTOP
    assert image.pixelColor(5, 5) == DESKTOP


def test_a_region_capture_keeps_the_window_away_until_chosen(qtbot, window: QWidget) -> None:
    capture = ScreenCapture(window, hide_ms=50)
    captured: list[tuple[QImage, str]] = []
    capture.captured.connect(lambda image, name: captured.append((image, name)))
    capture.start("region")
    qtbot.waitUntil(lambda: capture.overlay is not None, timeout=WAIT_MS)
    overlay = capture.overlay
    qtbot.waitExposed(overlay)
    assert not window.isVisible()
    with qtbot.waitSignal(capture.finished, timeout=WAIT_MS):
        _drag(qtbot, overlay, QPoint(120, 130), QPoint(170, 160))
    assert window.isVisible()
    image, name = captured[0]
    assert image.size() == QSize(50, 30)
    assert image.pixelColor(10, 10) == DESKTOP  # the window's spot, without the window
    assert name.startswith("screen region") and name.endswith(".png")


def test_cancelling_a_region_adds_nothing(qtbot, window: QWidget) -> None:
    capture = ScreenCapture(window, hide_ms=50)
    captured: list[QImage] = []
    capture.captured.connect(lambda image, name: captured.append(image))
    capture.start(CaptureMode.REGION)
    qtbot.waitUntil(lambda: capture.overlay is not None, timeout=WAIT_MS)
    with qtbot.waitSignal(capture.finished, timeout=WAIT_MS):
        qtbot.keyClick(capture.overlay, Qt.Key.Key_Escape)
    assert window.isVisible() and captured == [] and not capture.running


@pytest.mark.parametrize("grab", [QImage(), _black(800, 800)], ids=["null", "black"])
def test_an_empty_grab_says_capture_is_unavailable(qtbot, window: QWidget, grab: QImage) -> None:
    """What a denied grab gives back (Wayland: a null picture; elsewhere: black)."""
    capture = ScreenCapture(window, hide_ms=50)
    capture.grab_screen = lambda screen: grab
    captured: list[QImage] = []
    capture.captured.connect(lambda image, name: captured.append(image))
    with qtbot.waitSignal(capture.unavailable, timeout=WAIT_MS) as blocker:
        capture.start(CaptureMode.REGION)
    assert blocker.args == [UNAVAILABLE]
    assert captured == [] and capture.overlay is None
    assert window.isVisible()


def test_a_capture_lands_in_the_composer_with_its_cost(
    qtbot, tmp_path: Path, desktop: QWidget
) -> None:
    """Through the window's wiring: the Capture menu, the hidden window, the composer strip."""
    from app.main import build_window
    from app.settings import Settings

    settings = Settings(tmp_path / "settings.ini")
    # A model chosen (never loaded here): without one the setup page shows and hides the composer.
    settings["model"] = str(tmp_path / "pixtral.gguf")
    window = build_window(settings, tmp_path / "data")
    qtbot.addWidget(window)
    window.capture.hide_ms = 50
    window.setGeometry(100, 100, 500, 400)
    window.show()
    qtbot.waitExposed(window)
    composer = window.composer
    try:
        whole = composer.tools.capture_actions[CaptureMode.SCREEN]
        with qtbot.waitSignal(window.capture.finished, timeout=WAIT_MS):
            whole.trigger()
        qtbot.waitUntil(
            lambda: composer.images.rowCount() == 1 and composer.images.all_ready,
            timeout=WAIT_MS,
        )
        item = composer.images.item(0)
        assert item.name.startswith("screen ")
        assert item.source_size == (800, 800)
        assert item.tokens == patch_grid(800, 800, item.detail.max_side).tokens
        assert composer.pending_image_tokens() == item.tokens
        assert f"{item.tokens:,} tokens" in item.describe()  # the strip card's text
        assert window.isVisible()
        # Ctrl+Shift+S from the message box: a region; Esc leaves the composer as it was
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
        modifiers = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        qtbot.keyClick(composer.editor, Qt.Key.Key_S, modifiers)
        qtbot.waitUntil(lambda: window.capture.overlay is not None, timeout=WAIT_MS)
        with qtbot.waitSignal(window.capture.finished, timeout=WAIT_MS):
            qtbot.keyClick(window.capture.overlay, Qt.Key.Key_Escape)
        assert composer.images.rowCount() == 1 and window.isVisible()
    finally:
        window.session.close()
        window.close()
        window.engine.close()
        window.store.close()
