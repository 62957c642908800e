"""Composition root: settings, history, engine and window, built once and passed in.

No globals: every object the window needs is created here. The local engine is created lazily
from the settings and rebuilt when they change; the model starts loading in the background as
soon as the window is up, so the first answer does not wait for it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.backends import make_backend
from app.core.errors import UserFacingError
from app.core.prompt import SystemPlacement
from app.engine.base import Backend, Sampling
from app.settings import Settings

if TYPE_CHECKING:  # Qt loads only when needed
    from app.ui.window.main_window import MainWindow


class EngineHolder:
    """The backend for the current settings, rebuilt when they change; None when unusable."""

    KEYS = (
        "backend", "model", "mmproj", "n_ctx", "n_gpu_layers", "kv_type", "threads", "n_batch",
        "mistral_model", "mistral_server_url", "openai_base_url", "openai_model",
    )  # fmt: skip

    def __init__(self, settings: Settings, log_path: Path | None = None) -> None:
        self.settings = settings
        self.log_path = log_path
        self._backend: Backend | None = None
        self._key: tuple | None = None
        self.problem = ""
        """Why there is no backend (shown by the window), or ""."""

    def key(self) -> tuple:
        return tuple(self.settings[k] for k in self.KEYS)

    def backend(self) -> Backend | None:
        if self._backend is None or self._key != self.key():
            self.close()
            self._key = self.key()
            try:
                self._backend = make_backend(
                    dict(self.settings.items()),
                    log_path=self.log_path,
                    settings_path=self.settings.path,
                )
                self.problem = ""
            except UserFacingError as exc:
                self.problem = str(exc)
        return self._backend

    def memory_estimate(self) -> str:
        """What loading the local model will take, shown before it loads ("" if unknown)."""
        config = getattr(self._backend, "config", None)
        if config is None or not config.mmproj_path:
            return ""
        from app.models.memory_fit import estimate_files

        layers = config.n_gpu_layers if config.n_gpu_layers >= 0 else 999
        try:
            found = estimate_files(
                config.model_path, config.mmproj_path, config.n_ctx, config.kv_type, layers
            )
        except (OSError, ValueError, UserFacingError):
            return ""
        return found.describe()

    def sampling(self) -> Sampling:
        s = self.settings
        return Sampling(s["temperature"], s["top_p"], s["max_tokens"], s["seed"])

    def placement(self) -> SystemPlacement:
        return SystemPlacement(self.settings["system_placement"])

    def forget(self) -> None:
        """Rebuild on next use (per-model settings changed)."""
        self._key = None

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None


def build_window(
    settings: Settings, data_dir: Path | None = None, log_dir: Path | None = None
) -> MainWindow:
    """The main window with its session, history and engine (used by the app and the tests)."""
    from app.logs import default_log_dir, engine_log_path
    from app.storage.history import HistoryStore
    from app.ui.session.chat_session import ChatSession
    from app.ui.window.main_window import MainWindow

    store = HistoryStore.open(data_dir or (settings["data_dir"] or None))
    log_dir = log_dir or default_log_dir()
    engine = EngineHolder(settings, engine_log_path(log_dir))
    session = ChatSession(
        store, engine.backend, engine.sampling, engine.placement, lambda: engine.problem
    )

    def engine_changed() -> None:
        if session.generating:
            return  # the settings key differs, so the next turn rebuilds the backend anyway
        engine.forget()
        backend = engine.backend()
        if backend is not None and hasattr(backend, "load"):
            session.bridge.preload(backend)

    window = MainWindow(settings, session, engine_changed, engine.memory_estimate)
    window.engine = engine
    window.store = store
    window.log_dir = log_dir
    return window


def offer_salvage(window: MainWindow) -> str | None:
    """The history was damaged and moved aside on open: say so, and offer to copy what is still
    readable in it into the new one. Returns what was reported, None if declined."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QMessageBox

    from app.storage.errors import StorageError
    from app.storage.salvage import salvage

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
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        text = salvage(store, store.db.recovered_from).describe()
    except StorageError as exc:
        text = str(exc)
    finally:
        QApplication.restoreOverrideCursor()
    window.session.refresh_list()
    QMessageBox.information(window, "Pixtral Desk", text)
    return text


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

    from app.storage.errors import StorageError
    from app.ui.studio.web_setup import prepare_web_engine

    settings = Settings(getattr(args, "config", None))
    prepare_web_engine()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Pixtral Desk")
    app.setOrganizationName("Pixtral Desk")
    app.setDesktopFileName("pixtral-desk")
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
    if window.store.recovery_notice:
        offer_salvage(window)
    window.show()
    smoke_ms = os.environ.get("PIXTRAL_DESK_SMOKE_MS")
    if smoke_ms:  # packaging smoke test and start-up benchmark: say when shown, then quit
        print("pixtral-desk: main window shown", flush=True)
        QTimer.singleShot(int(smoke_ms), app.quit)
        if os.environ.get("PIXTRAL_DESK_SMOKE_PREVIEW"):
            _smoke_preview()
    backend = window.engine.backend()
    if backend is not None and hasattr(backend, "load"):
        window.session.bridge.preload(backend)
    try:
        return app.exec()
    finally:
        window.session.close()
        crash_hook.uninstall()
        window.engine.close()
        window.store.close()
