"""How the window hosts its pages: the first-run page fits a small screen (it scrolls, the
window does not grow), and the engine's activity is a caption in the composer's column."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication

from app.core.budget import GIB
from app.main import build_window
from app.models.discovery import ScanResult
from app.models.hardware import GpuInfo, HardwareReport
from app.settings import Settings
from app.ui.theme.theme import Theme
from app.ui.window import main_window
from app.ui.window.main_window import MainWindow

SMALL_SCREEN = (1024, 640)


def _hardware() -> HardwareReport:
    gpu = (GpuInfo("A GPU", 12 * GIB, 11 * GIB, "nvidia"),)
    return HardwareReport(("CUDA", "CPU"), True, gpu, 32 * GIB, 24 * GIB, 200 * GIB, Path.home())


def _open(qtbot, tmp_path: Path, model: str, app: QApplication) -> MainWindow:
    """The real window as the app shows it: themed, at a small screen's size."""
    Theme.install(app, "light")
    settings = Settings(tmp_path / "settings.ini")
    settings["model"] = model
    window = build_window(settings, tmp_path / "data")
    qtbot.addWidget(window)
    window.resize(*SMALL_SCREEN)
    window.show()
    return window


def _close(window: MainWindow) -> None:
    window.session.close()
    window.close()
    window.engine.close()
    window.store.close()


def test_the_first_run_page_fits_a_small_screen_and_scrolls_inside(
    qtbot, tmp_path: Path, monkeypatch, unthemed_afterwards: QApplication
) -> None:
    real = main_window.SetupAssistant
    monkeypatch.setattr(
        main_window,
        "SetupAssistant",
        lambda *a, **k: real(*a, probe_fn=_hardware, scan_fn=lambda _f: ScanResult(), **k),
    )
    window = _open(qtbot, tmp_path, "", unthemed_afterwards)
    try:
        ready = lambda: window.setup is not None and window.setup.recommendation is not None  # noqa: E731
        qtbot.waitUntil(ready)
        QApplication.processEvents()  # the page's layout takes the recommendation in
        assert window.stack.currentWidget() is window.setup_page
        assert (window.width(), window.height()) == SMALL_SCREEN  # it did not grow
        assert window.minimumSizeHint().height() <= SMALL_SCREEN[1]
        # Shorter than the page (at 1024×640 it fits since an empty search shows no list):
        # the page scrolls inside rather than growing the window.
        window.resize(SMALL_SCREEN[0], 420)
        QApplication.processEvents()
        assert window.height() == 420
        assert window.setup_page.verticalScrollBar().maximum() > 0
        # Nothing can be asked yet: the setup page has the window to itself.
        assert not window.composer.isVisible()
    finally:
        _close(window)


def test_the_activity_line_is_a_caption_over_the_composer_card(
    qtbot, tmp_path: Path, unthemed_afterwards: QApplication
) -> None:
    window = _open(qtbot, tmp_path, "pixtral-12b-Q4_K_M.gguf", unthemed_afterwards)
    try:
        QApplication.processEvents()
        assert window.focusWidget() is window.composer.editor  # no focus ring on the header
        activity, card = window.activity, window.composer.card
        activity.setText("212 tokens at 38.0 tokens/s · prompt 6,911, 6,500 reused · CUDA")
        QApplication.processEvents()
        left = activity.mapTo(window, QPoint(0, 0)).x()
        card_left = card.mapTo(window, QPoint(0, 0)).x()
        assert card_left <= left and left + activity.width() <= card_left + card.width()
        assert activity.mapTo(window, QPoint(0, 0)).y() < card.mapTo(window, QPoint(0, 0)).y()
        assert activity.font().pointSizeF() < window.composer.editor.font().pointSizeF()
        widest = window.minimumSizeHint().width()
        activity.setText("⚠ " + "The history could not be saved to disk. " * 8)
        QApplication.processEvents()
        assert window.minimumSizeHint().width() <= widest  # a long notice wraps instead
    finally:
        _close(window)
