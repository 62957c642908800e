"""The theme follows the OS scheme live, unless the ``appearance`` setting forces one."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMainWindow, QPushButton

from app.settings import Settings
from app.ui.theme.icons import ICON_PROPERTY, set_icon
from app.ui.theme.theme import Theme
from app.ui.theme.tokens import Scheme


def _window_pixel_lightness(qtbot) -> int:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.resize(120, 80)
    window.show()
    qtbot.waitExposed(window)
    return window.grab().toImage().pixelColor(10, 10).lightness()


def test_dark_setting_gives_a_dark_window(app: QApplication, qtbot, tmp_path: Path):
    settings = Settings(tmp_path / "settings.ini")
    settings["appearance"] = "dark"
    theme = Theme.install(app, settings["appearance"])
    assert theme.scheme is Scheme.DARK
    assert _window_pixel_lightness(qtbot) < 64
    theme.set_appearance("light")
    assert _window_pixel_lightness(qtbot) > 192


def test_install_twice_reuses_one_theme(app: QApplication):
    first = Theme.install(app, "light")
    assert Theme.install(app, "dark") is first
    assert Theme.of(app) is first and first.scheme is Scheme.DARK


def test_os_scheme_change_reapplies_when_following_the_system(app: QApplication, monkeypatch):
    theme = Theme.install(app, "system")
    seen: list[Scheme] = []
    theme.changed.connect(seen.append)
    monkeypatch.setattr(theme, "resolve", lambda: Scheme.DARK)  # as if the OS went dark
    theme._on_style_hints_color_scheme_changed(Qt.ColorScheme.Dark)
    assert theme.scheme is Scheme.DARK and seen == [Scheme.DARK]
    assert app.palette().window().color().lightness() < 64


def test_forced_scheme_ignores_the_os(app: QApplication, monkeypatch):
    theme = Theme.install(app, "light")
    seen: list[Scheme] = []
    theme.changed.connect(seen.append)
    theme._on_style_hints_color_scheme_changed(Qt.ColorScheme.Dark)
    assert theme.scheme is Scheme.LIGHT and seen == []


def test_scheme_change_retints_themed_icons(app: QApplication, qtbot):
    theme = Theme.install(app, "light")
    button = QPushButton()
    qtbot.addWidget(button)
    set_icon(button, "settings")
    light = button.icon().pixmap(24, 24).toImage()
    theme.set_appearance("dark")
    assert button.property(ICON_PROPERTY) == "settings"
    assert button.icon().pixmap(24, 24).toImage() != light
