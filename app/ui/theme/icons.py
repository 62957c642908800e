"""Icons by name from qtawesome's Phosphor font, tinted with the current theme's text colour.

A font from a well-kept library (MIT, Phosphor icons MIT) instead of hand-drawn images: it
scales crisply at any DPI, and a colour change is a re-render, so icons follow light and dark.
Buttons get their icon through :func:`set_icon`, which remembers the name so the theme can
re-tint every icon when the scheme changes.
"""

from __future__ import annotations

import os

# qtawesome loads its Qt binding through qtpy, which picks the first binding it finds unless
# told: this app is PySide6 only, and a second binding in one process would crash.
os.environ.setdefault("QT_API", "pyside6")

import qtawesome
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget

from app.ui.theme.tokens import COLOURS, Scheme

ICON_PROPERTY = "themeIcon"
"""Dynamic property holding an icon's name on the button that shows it."""

NAMES = {
    "settings": "ph.gear-six",
    "about": "ph.info",
    "images": "ph.image",
    "document": "ph.file-pdf",
    "capture": "ph.selection-plus",
    "presets": "ph.lightning",
    "html": "ph.code",
    "send": "ph.paper-plane-right",
    "stop": "ph.stop",
    "search": "ph.magnifying-glass",
    "new_chat": "ph.plus",
    "pin": "ph.push-pin",
    "copy": "ph.copy",
    "close": "ph.x",
}
"""Our names for the icons we use, so a later change of icon set is one table."""

LICENCES = (
    ("QtAwesome", "MIT", "https://github.com/spyder-ide/qtawesome/blob/master/LICENSE.txt"),
    ("Phosphor Icons (font)", "MIT", "https://github.com/phosphor-icons/core/blob/main/LICENSE"),
)
"""(component, SPDX id, licence URL) of the icon library and the font it draws from."""


def icon(name: str, scheme: Scheme) -> QIcon:
    """The icon called ``name`` (a key of :data:`NAMES`) in the scheme's text colour."""
    colours = COLOURS[scheme]
    return qtawesome.icon(NAMES[name], color=colours.text, color_disabled=colours.text_muted)


def current_scheme() -> Scheme:
    """The scheme the application's palette shows now (light unless its window is dark)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return Scheme.LIGHT
    return Scheme.DARK if app.palette().window().color().lightness() < 128 else Scheme.LIGHT


def set_icon(button: QAbstractButton, name: str) -> None:
    """Give ``button`` the named icon now, and remember it so a scheme change re-tints it."""
    button.setProperty(ICON_PROPERTY, name)
    button.setIcon(icon(name, current_scheme()))


def retint(widgets: list[QWidget], scheme: Scheme) -> None:
    """Redraw the icon of every button among ``widgets`` that got one from :func:`set_icon`."""
    for widget in widgets:
        name = widget.property(ICON_PROPERTY)
        if isinstance(widget, QAbstractButton) and isinstance(name, str) and name in NAMES:
            widget.setIcon(icon(name, scheme))
