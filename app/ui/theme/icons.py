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
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget

from app.ui.theme.tokens import COLOURS, Scheme

ICON_PROPERTY = "themeIcon"
"""Dynamic property holding an icon's name on the button that shows it."""

ROLE_PROPERTY = "themeIconRole"
"""Dynamic property naming the colour role an icon is tinted with, when not the text colour
(``"on_accent"`` for an icon on a filled primary button)."""

NAMES = {
    "settings": "ph.gear-six",
    "about": "ph.info",
    "images": "ph.image",
    "document": "ph.file-pdf",
    "capture": "ph.selection-plus",
    "presets": "ph.lightning",
    "html": "ph.code",
    "send": "ph.arrow-up-bold",
    "stop": "ph.stop-fill",
    "search": "ph.magnifying-glass",
    "more": "ph.dots-three-bold",  # a sidebar chat's actions menu
    "edit": "ph.pencil-simple",  # the transcript's message actions
    "regenerate": "ph.arrows-clockwise",
    "delete": "ph.trash",
    "previous": "ph.caret-left",
    "next": "ph.caret-right",
    "new_chat": "ph.plus",
    "pin": "ph.push-pin",
    "copy": "ph.copy",
    "close": "ph.x",
    "attach": "ph.paperclip",
    "screen": "ph.monitor",
    "local_model": "ph.cpu",  # the model control: a model on this computer
    "remote_model": "ph.cloud",  # the model control: a model on a server
    "chevron_down": "ph.caret-down",
    "lock": "ph.lock-simple",
    "sent_away": "ph.globe",  # the privacy badge when messages leave this computer
    "warning": "ph.warning-circle",
    "chosen": "ph.check",  # the model menu's entry in use
    "folder": "ph.folder",  # a folder the model search looks in
    "folder_remove": "ph.folder-minus",  # stop searching a folder (no file is deleted)
}
"""Our names for the icons we use, so a later change of icon set is one table."""

LICENCES = (
    ("QtAwesome", "MIT", "https://github.com/spyder-ide/qtawesome/blob/master/LICENSE.txt"),
    ("Phosphor Icons (font)", "MIT", "https://github.com/phosphor-icons/core/blob/main/LICENSE"),
)
"""(component, SPDX id, licence URL) of the icon library and the font it draws from."""


ICON_FONT_PREFIX = "ph"
"""qtawesome's prefix of the one font every name in :data:`NAMES` draws from (Phosphor)."""


def _load_icon_font() -> None:
    """Give qtawesome only the Phosphor font, before its first icon.

    Left to itself, qtawesome loads and checks every font it bundles (twelve: an MD5 of each
    file, each JSON charmap parsed) on the first icon asked for: ~60 ms on the GUI thread,
    profiled as the first transcript paint of the UI stall benchmark. Only Phosphor is
    drawn from, so only Phosphor is loaded (~5 ms). qtawesome keeps its font set in
    ``_resource``; if a later version moves it, it loads all of them, as before.
    """
    resource = getattr(qtawesome, "_resource", None)
    bundled = getattr(qtawesome, "_BUNDLED_FONTS", ())
    if not isinstance(resource, dict) or resource.get("iconic") is not None:
        return
    fonts = [entry for entry in bundled if entry[0] == ICON_FONT_PREFIX]
    if fonts:
        resource["iconic"] = qtawesome.iconic_font.IconicFont(*fonts)


def icon(name: str, scheme: Scheme, role: str = "text") -> QIcon:
    """The icon called ``name`` (a key of :data:`NAMES`) in the scheme's ``role`` colour (a
    field of :class:`Colours`: the text colour unless it sits on a filled button)."""
    _load_icon_font()
    colours = COLOURS[scheme]
    colour = getattr(colours, role)
    return qtawesome.icon(NAMES[name], color=colour, color_disabled=colours.text_muted)


def current_scheme() -> Scheme:
    """The scheme the application's palette shows now (light unless its window is dark)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return Scheme.LIGHT
    return Scheme.DARK if app.palette().window().color().lightness() < 128 else Scheme.LIGHT


def set_icon(button: QAbstractButton | QAction, name: str, role: str = "text") -> None:
    """Give ``button`` (or a menu's action) the named icon now, tinted with ``role``, and
    remember both so a scheme change re-tints it."""
    button.setProperty(ICON_PROPERTY, name)
    button.setProperty(ROLE_PROPERTY, role)
    button.setIcon(icon(name, current_scheme(), role))


def retint(widgets: list[QWidget], scheme: Scheme) -> None:
    """Redraw the icon of every button among ``widgets``, and of every action of theirs, that
    got one from :func:`set_icon`."""
    for widget in widgets:
        targets: list[QAbstractButton | QAction] = list(widget.actions())
        if isinstance(widget, QAbstractButton):
            targets.append(widget)
        for target in targets:
            name = target.property(ICON_PROPERTY)
            if isinstance(name, str) and name in NAMES:
                target.setIcon(icon(name, scheme, target.property(ROLE_PROPERTY) or "text"))
