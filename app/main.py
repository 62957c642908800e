"""Composition root: settings, history, engine and window, built once and passed in.

No globals: every object the window needs is created here and passed in. The engine's owner
builds the backend from the settings and rebuilds it when they change; the model starts
loading in the background as soon as the window is up, so the first answer does not wait.

This is the one module outside ``app/ui`` that imports PySide6 (tests/test_layers.py allows
exactly these two): the composition root creates the ``QApplication`` and the dialogs around
the window (a damaged history's salvage offer, a start-up failure); moving that into ``app/ui``
would only move the name. Its Qt imports sit inside the functions that need them, so importing
this module loads no Qt (``app.cli`` imports it only when no sub-command is given, and the
command line stays free of Qt; tests/test_main.py checks), and so that ``run_gui`` sets the
order Qt needs: WebEngine's setup before the ``QApplication``, the theme before any widget.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.settings import Settings

if TYPE_CHECKING:  # Qt loads only when needed
    from app.ui.window.history_salvage import HistorySalvage
    from app.ui.window.main_window import MainWindow


def build_window(
    settings: Settings, data_dir: Path | None = None, log_dir: Path | None = None
) -> MainWindow:
    """The main window with its session, history and engine (used by the app and the tests)."""
    from app.logs import default_log_dir, engine_log_path
    from app.storage.history import HistoryStore
    from app.ui.session.chat_session import ChatSession
    from app.ui.session.engine_owner import EngineOwner
    from app.ui.window.main_window import MainWindow

    store = HistoryStore.open(data_dir or (settings["data_dir"] or None))
    log_dir = log_dir or default_log_dir()
    engine = EngineOwner(settings, engine_log_path(log_dir))
    session = ChatSession(
        store,
        engine.backend,
        engine.sampling,
        engine.placement,
        lambda: engine.problem,
        bridge=engine.bridge,
    )
    return MainWindow(session, engine, store, log_dir)


def offer_salvage(window: MainWindow) -> HistorySalvage | None:
    """The history was damaged and moved aside on open: say so, and offer to copy what is still
    readable in it into the new one. The copy runs off the GUI thread, the window usable
    meanwhile (``history_salvage``); returns it, or None if declined."""
    from PySide6.QtWidgets import QMessageBox

    from app.ui.window.history_salvage import start_salvage

    store = window.store
    box = QMessageBox(window)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Pixtral Desk")
    box.setText(
        f"The history database was damaged, so it was moved to {store.db.recovered_from} and "
        "a new history was started.\n\nCopy the conversations that are still readable into it?"
    )
    recover = box.addButton("Recover conversations", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Start empty", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(recover)
    box.exec()
    if box.clickedButton() is not recover or store.db.recovered_from is None:
        return None
    return start_salvage(window, store, window.session, window.sidebar)


def _smoke_preview() -> None:
    """Packaging smoke test: the sandboxed preview starts (QtWebEngineProcess is in the bundle)
    and renders a page; says so on stdout."""
    from app.ui.studio.page_renderer import PageRenderer

    renderer = PageRenderer()
    renderer.rendered.connect(
        lambda image: print(f"pixtral-desk: preview rendered {image.width()}x{image.height()}")
    )
    renderer.failed.connect(lambda message: print(f"pixtral-desk: preview failed: {message}"))
    renderer.render("<body style='background:#2850c8'><script>document.title='ok'</script>", 64, 48)
    _smoke_keep.append(renderer)


_smoke_keep: list[object] = []


def run_gui(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from app.backends import warm_imports
    from app.storage.errors import StorageError
    from app.ui.common.gil_switch import shorten_gil_switch
    from app.ui.common.gui_gc import GuiThreadCollector
    from app.ui.studio.web_setup import prepare_web_engine

    settings = Settings(getattr(args, "config", None))
    prepare_web_engine()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    collector = GuiThreadCollector(app)  # Qt objects must never be freed by a pool thread
    shorten_gil_switch()  # the GUI thread waits less for the GIL a pool thread holds
    app.setApplicationName("Pixtral Desk")
    app.setOrganizationName("Pixtral Desk")
    app.setDesktopFileName("pixtral-desk")
    from app.ui.theme.theme import Theme

    Theme.install(app, settings["appearance"])  # before any widget, so all start themed
    from app.crash_report import install_excepthook
    from app.logs import setup_logging
    from app.ui.setup.about_dialog import CrashNotifier

    log_dir = setup_logging()
    crash_hook = install_excepthook(log_dir, CrashNotifier(app))
    try:
        window = build_window(settings, log_dir=log_dir)
    except StorageError as exc:
        QMessageBox.critical(None, "Pixtral Desk", str(exc))
        return 1
    window.show()  # first: a salvage runs with the window shown and usable
    warm_imports(settings["backend"])  # its first count then finds the backend's module loaded
    if window.store.recovery_notice:
        offer_salvage(window)
    collector.defer_full_while(window.animating)
    collector.freeze_startup()  # a full collection no longer walks start-up's objects
    smoke_ms = os.environ.get("PIXTRAL_DESK_SMOKE_MS")
    if smoke_ms:  # packaging smoke test and start-up benchmark: say when shown, then quit
        print("pixtral-desk: main window shown", flush=True)
        QTimer.singleShot(int(smoke_ms), app.quit)
        if os.environ.get("PIXTRAL_DESK_SMOKE_PREVIEW"):
            _smoke_preview()
    window.engine.start()
    try:
        return app.exec()
    finally:
        window.session.close()
        crash_hook.uninstall()
        window.engine.close()
        window.store.close()
