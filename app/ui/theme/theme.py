"""The live theme: follows the OS light/dark setting, or the one the ``appearance`` setting forces.

One object owned by the application (a child of it, found with :meth:`Theme.of`, so nothing is
global) sets the palette and the single stylesheet, re-tints icons, and says so through
``changed`` for widgets that paint colours themselves.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication

from app.ui.theme.icons import current_scheme as palette_scheme
from app.ui.theme.icons import retint
from app.ui.theme.stylesheet import build_palette, build_stylesheet
from app.ui.theme.tokens import COLOURS, Colours, Scheme

APPEARANCES = ("system", "light", "dark")
"""The choices of the ``appearance`` setting: follow the OS, or force one scheme."""


class Theme(QObject):
    changed = Signal(object)  # the Scheme now shown

    def __init__(self, app: QApplication, appearance: str = "system") -> None:
        super().__init__(app)
        self.setObjectName("pixtralTheme")
        self.app = app
        self.appearance = appearance if appearance in APPEARANCES else "system"
        self.scheme: Scheme | None = None
        app.styleHints().colorSchemeChanged.connect(self._on_style_hints_color_scheme_changed)

    @classmethod
    def of(cls, app: QApplication | None = None) -> Theme | None:
        """The theme installed on ``app`` (default: the running application), if any."""
        app = app or QApplication.instance()  # type: ignore[assignment]
        return app.findChild(Theme, "pixtralTheme") if app is not None else None

    @classmethod
    def install(cls, app: QApplication, appearance: str = "system") -> Theme:
        """Create (or reuse) the application's theme, set to ``appearance``, and apply it."""
        theme = cls.of(app) or cls(app, appearance)
        theme.set_appearance(appearance)
        return theme

    def uninstall(self) -> None:
        """Stop following the OS and leave the application (tests restore what was before)."""
        self.app.styleHints().colorSchemeChanged.disconnect(
            self._on_style_hints_color_scheme_changed
        )
        self.setParent(None)
        self.deleteLater()

    def resolve(self) -> Scheme:
        """The scheme to show: the forced one, else the OS's (light when it does not say)."""
        if self.appearance == "dark":
            return Scheme.DARK
        if self.appearance == "light":
            return Scheme.LIGHT
        dark = self.app.styleHints().colorScheme() == Qt.ColorScheme.Dark
        return Scheme.DARK if dark else Scheme.LIGHT

    def set_appearance(self, appearance: str) -> None:
        """Follow the OS (``system``) or force ``light``/``dark``; re-applies at once."""
        self.appearance = appearance if appearance in APPEARANCES else "system"
        self.apply(force=True)

    def apply(self, force: bool = False) -> None:
        """Set palette, stylesheet and icon tints for the scheme to show (if it changed)."""
        scheme = self.resolve()
        if scheme == self.scheme and not force:
            return
        self.scheme = scheme
        self.app.setPalette(build_palette(scheme))
        self.app.setStyleSheet(build_stylesheet(scheme))
        retint(self.app.allWidgets(), scheme)
        self.changed.emit(scheme)

    def _on_style_hints_color_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self.appearance == "system":  # a forced scheme ignores the OS
            self.apply()


def current_scheme() -> Scheme:
    """The scheme shown now: the installed theme's, else read off the application palette."""
    theme = Theme.of()
    if theme is not None and theme.scheme is not None:
        return theme.scheme
    return palette_scheme()


def colours() -> Colours:
    """The colour roles of the scheme shown now, for widgets that paint or style themselves."""
    return COLOURS[current_scheme()]


def on_change(slot: Callable[[Scheme], None]) -> None:
    """Call ``slot`` (a method of a QObject: Qt drops it with its object) on every scheme
    switch; nothing happens without an installed theme (the palette's colours then stand)."""
    theme = Theme.of()
    if theme is not None:
        theme.changed.connect(slot)
