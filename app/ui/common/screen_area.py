"""The free area of the screen a window opens on, found one way for every window.

A window with a parent opens on its parent's screen; the free area leaves out the task bar and
the dock. Windows that size themselves to the screen (the studio, the settings dialog) ask
here, so they agree on which screen that is.
"""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

FALLBACK_AREA = QRect(0, 0, 1280, 800)
"""Assumed when no screen is known (no display yet)."""


def available_area(window: QWidget) -> QRect:
    """The free area of the screen ``window``'s parent is on (else its own, else the primary)."""
    parent = window.parentWidget()
    screen = (parent.screen() if parent else None) or window.screen()
    screen = screen or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen else FALLBACK_AREA
