"""Capture the screen, or a region of it, without the app in the picture.

The window is hidden first and the grab waits ``HIDE_MS`` on a timer: a compositor needs a frame
or two (and an animation on some desktops) before a hidden window is really gone, and sleeping
on the GUI thread would freeze the app instead of giving it time. For a region the grab is frozen
and shown full screen, dimmed, so the user selects on exactly the pixels that will be sent; the
window stays hidden until the selection is made, so it cannot be raised over the overlay.

Grabs are in device pixels while mouse positions are logical, so the crop is scaled by the
ratio of the two sizes (``crop_rect``), which also covers fractional scaling such as 150 %.
The result is a ``QImage``; the composer adds it like a pasted image (encoded to PNG on the
pool, never on the GUI thread).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from enum import StrEnum

from PySide6.QtCore import QObject, QPointF, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QRegion,
    QScreen,
)
from PySide6.QtWidgets import QWidget

from app.ui.theme.tokens import COLOURS, RADIUS, SCRIM_ALPHA, SPACING, Scheme

HIDE_MS = 300
"""How long the hidden window gets to leave the screen before the grab (fade-outs included)."""

UNAVAILABLE = (
    "Screen capture isn't available here: the system gave back an empty picture (on Wayland, "
    "use your desktop's screenshot tool and paste the image with Ctrl+V)."
)
_HINT = "Drag to select a region  ·  Enter or double-click: whole screen  ·  Esc: cancel"
_OVER = COLOURS[Scheme.DARK]
"""The picker is drawn over any picture, so its colours are the dark scheme's in either."""


def _translucent(colour: str, alpha: int) -> QColor:
    q = QColor(colour)
    q.setAlpha(alpha)
    return q


class CaptureMode(StrEnum):
    SCREEN = "screen"
    REGION = "region"


def crop_rect(selection: QRectF, logical: QSize, image: QSize) -> QRect:
    """The pixels of a grab ``image`` under ``selection`` (logical coordinates on ``logical``).

    Scaled per axis by image/logical size, widened to whole pixels (floor the start, ceil the
    end) so a fractional-DPI selection never loses its edge row, and clipped to the image.
    """
    if logical.isEmpty() or image.isEmpty():
        return QRect()
    sx, sy = image.width() / logical.width(), image.height() / logical.height()
    # Round away float noise first: 0.1 * 3 must not ceil to one pixel more than asked for.
    left = math.floor(round(selection.left() * sx, 6))
    top = math.floor(round(selection.top() * sy, 6))
    right = math.ceil(round(selection.right() * sx, 6))
    bottom = math.ceil(round(selection.bottom() * sy, 6))
    return QRect(left, top, right - left, bottom - top).intersected(QRect(0, 0, *image.toTuple()))


def is_blank(image: QImage) -> bool:
    """True for a null grab or one of a single colour: what a denied grab gives back.

    Checked on a smoothly scaled copy (averaging keeps text on a white page visible), so a 4K
    grab costs a few milliseconds, not a pass over 33 MB in Python.
    """
    if image.isNull() or image.width() == 0 or image.height() == 0:
        return True
    small = image.scaled(
        min(image.width(), 256),
        min(image.height(), 256),
        Qt.AspectRatioMode.IgnoreAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    ).convertToFormat(QImage.Format.Format_RGB32)
    data = bytes(small.constBits())
    return data == data[:4] * (len(data) // 4)


class RegionOverlay(QWidget):
    """The frozen grab, full screen and dimmed; drag a rectangle to take that part.

    Esc (or a right click) cancels; Enter or a double click takes the whole screen.
    """

    region_chosen = Signal(QImage)
    cancelled = Signal()

    def __init__(self, image: QImage, geometry: QRect) -> None:
        super().__init__(
            None,
            Qt.WindowType.Window
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint,
        )
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setAccessibleName("Select a screen region")
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.image = image
        self.setGeometry(geometry)
        self._origin: QPointF | None = None
        self.selection = QRectF()
        self._done = False

    def start(self) -> None:
        self.showFullScreen()
        self.raise_()
        self.activateWindow()
        self.setFocus()

    def crop(self) -> QRect:
        """The selection in the grab's own pixels."""
        return crop_rect(self.selection, self.size(), self.image.size())

    # ------------------------------------------------------------------------- events
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.RightButton:
            self._finish(None)
        elif event.button() == Qt.MouseButton.LeftButton:
            self._origin = self._clamp(event.position())
            self.selection = QRectF(self._origin, self._origin)
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._origin is not None:
            self.selection = QRectF(self._origin, self._clamp(event.position())).normalized()
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._origin is None:
            return
        self.selection = QRectF(self._origin, self._clamp(event.position())).normalized()
        self._origin = None
        crop = self.crop()
        if crop.width() < 2 or crop.height() < 2:  # a click, not a drag: keep choosing
            self.selection = QRectF()
            self.update()
            return
        self._finish(self.image.copy(crop))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._finish(self.image.copy())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self._finish(None)
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._finish(self.image.copy())
        else:
            super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closed by the window manager (or Alt+F4): a cancel, and the window comes back."""
        self._finish(None, closing=True)
        super().closeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(self.rect(), self.image)
        selected = self.selection.toAlignedRect() if not self.selection.isEmpty() else QRect()
        painter.setClipRegion(QRegion(self.rect()).subtracted(QRegion(selected)))
        painter.fillRect(self.rect(), _translucent(_OVER.window, SCRIM_ALPHA["dim"]))
        painter.setClipping(False)
        if selected.isEmpty():
            self._label(painter, self.rect().center().x(), 24, _HINT, centred=True)
            return
        painter.setPen(QPen(QColor(_OVER.accent), 2))
        painter.drawRect(self.selection)
        crop = self.crop()
        text = f"{crop.width()} × {crop.height()} px"
        y = selected.top() - 30 if selected.top() >= 34 else selected.bottom() + 6
        self._label(painter, selected.left(), y, text)

    # ----------------------------------------------------------------------- internals
    def _label(self, painter: QPainter, x: int, y: int, text: str, centred: bool = False) -> None:
        metrics = painter.fontMetrics()
        dx, dy = SPACING["sm"], SPACING["xs"]
        box = metrics.boundingRect(text).adjusted(-dx, -dy, dx, dy)
        box.moveTopLeft(QRect(x - box.width() // 2 if centred else x, y, 0, 0).topLeft())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_translucent(_OVER.window, SCRIM_ALPHA["label"]))
        painter.drawRoundedRect(box, RADIUS["sm"], RADIUS["sm"])
        painter.setPen(QColor(_OVER.text))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _clamp(self, point: QPointF) -> QPointF:
        return QPointF(
            min(max(point.x(), 0.0), float(self.width())),
            min(max(point.y(), 0.0), float(self.height())),
        )

    def _finish(self, image: QImage | None, closing: bool = False) -> None:
        if self._done:
            return
        self._done = True
        if not closing:
            self.close()
        if image is None:
            self.cancelled.emit()
        else:
            self.region_chosen.emit(image)


def grab_screen(screen: QScreen) -> QImage:
    """The whole of ``screen`` in device pixels; null where the platform refuses (Wayland)."""
    return screen.grabWindow(0).toImage()


class ScreenCapture(QObject):
    """Captures for ``window``: hide it, grab its screen, (select,) show it again.

    ``captured(image, name)`` carries the picture; ``unavailable(message)`` says the system
    gave an empty grab; ``finished`` comes last in every case, once the window is back.
    """

    captured = Signal(QImage, str)
    unavailable = Signal(str)
    finished = Signal()

    def __init__(self, window: QWidget, *, hide_ms: int = HIDE_MS) -> None:
        super().__init__(window)
        self.window = window
        self.mode = CaptureMode.SCREEN
        self.hide_ms = hide_ms
        self.overlay: RegionOverlay | None = None
        self._screen: QScreen | None = None
        self._was_visible = False
        self.running = False
        self.grab_screen: Callable[[QScreen], QImage] = grab_screen

    def start(self, mode: CaptureMode | str) -> None:
        """Begin a capture; ignored while one is under way (a second press of the shortcut)."""
        if self.running:
            return
        self.running = True
        self.mode = CaptureMode(mode)
        self._screen = self.window.screen() or QGuiApplication.primaryScreen()
        self._was_visible = self.window.isVisible()
        self.window.hide()
        QTimer.singleShot(self.hide_ms, self._grab)

    def _grab(self) -> None:
        screen = self._screen
        if screen is None or screen not in QGuiApplication.screens():  # unplugged meanwhile
            screen = QGuiApplication.primaryScreen()
        image = self.grab_screen(screen)
        if is_blank(image):
            self._end(None, UNAVAILABLE)
            return
        if self.mode is CaptureMode.SCREEN:
            self._end(image)
            return
        self.overlay = RegionOverlay(image, screen.geometry())
        self.overlay.region_chosen.connect(self._end)
        self.overlay.cancelled.connect(self._end)
        self.overlay.start()

    def _end(self, image: QImage | None = None, message: str = "") -> None:
        self.overlay = None
        if self._was_visible:
            self.window.show()
            self.window.raise_()
            self.window.activateWindow()
        self.running = False
        if image is not None:
            kind = "screen" if self.mode is CaptureMode.SCREEN else "screen region"
            self.captured.emit(image, f"{kind} {time.strftime('%H-%M-%S')}.png")
        elif message:
            self.unavailable.emit(message)
        self.finished.emit()
