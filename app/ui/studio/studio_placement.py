"""Where the studio window opens and how large: on the main window's screen, never past it.

The studio is a window of its own, so it has to find its place: the size and split it had when
last closed (kept in the window's settings), else a size that fits beside the main window and
is centred over it. Either way it is cut to the free area of the screen the main window is on:
a size saved on a larger monitor must not open half off this one.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSettings, QSize
from PySide6.QtWidgets import QMainWindow, QSplitter

from app.ui.common.screen_area import available_area

DEFAULT_SIZE = QSize(1280, 800)
"""The studio's size on first open when the screen and the main window leave room for it."""
GEOMETRY_KEY = "studio/geometry"
SPLITTER_KEY = "studio/splitter"


def restore_placement(window: QMainWindow, state: QSettings | None, splitter: QSplitter) -> None:
    """The size it had when last closed, else one that fits beside the main window; on
    this screen either way (a size saved on a larger monitor is cut to this one)."""
    geometry = state.value(GEOMETRY_KEY) if state else None
    if geometry is None or not window.restoreGeometry(geometry):
        window.resize(_first_size(window))
        _centre_on_parent(window)
    fit_to_screen(window)
    split = state.value(SPLITTER_KEY) if state else None
    if split is not None:
        splitter.restoreState(split)


def save_placement(window: QMainWindow, state: QSettings | None, splitter: QSplitter) -> None:
    """Remember the size, place and split for the next time the studio opens."""
    if state is not None:
        state.setValue(GEOMETRY_KEY, window.saveGeometry())
        state.setValue(SPLITTER_KEY, splitter.saveState())


def fit_to_screen(window: QMainWindow) -> None:
    """Cut the size to the screen's free area and move the window inside it."""
    available = available_area(window)
    frame = window.frameGeometry().size() - window.size()  # title bar and borders
    room = (available.size() - frame).expandedTo(window.minimumSizeHint())
    if window.width() > room.width() or window.height() > room.height():
        window.resize(window.size().boundedTo(room))
    outer = window.frameGeometry()
    left = max(available.left(), min(outer.left(), available.right() - outer.width() + 1))
    top = max(available.top(), min(outer.top(), available.bottom() - outer.height() + 1))
    if (left, top) != (outer.left(), outer.top()):
        window.move(left, top)


def _first_size(window: QMainWindow) -> QSize:
    """No larger than the main window (it opens over it, not past its edges)."""
    parent = window.parentWidget()
    size = DEFAULT_SIZE
    if parent is not None and parent.isVisible():
        size = size.boundedTo(parent.size())
    return size.boundedTo(available_area(window).size())


def _centre_on_parent(window: QMainWindow) -> None:
    parent = window.parentWidget()
    if parent is not None and parent.isVisible():
        centre = parent.frameGeometry().center()
        window.move(centre - QPoint(window.width() // 2, window.height() // 2))
