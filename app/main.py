"""Composition root: builds settings, engine and window, and runs the Qt event loop.

No globals: everything the window needs is created here and passed in.
"""

from __future__ import annotations

import argparse
import sys

from app.settings import Settings


def run_gui(args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QApplication

    from app.ui.main_window import MainWindow

    settings = Settings(getattr(args, "config", None))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Pixtral Desk")
    app.setOrganizationName("Pixtral Desk")
    window = MainWindow(settings)
    window.show()
    return app.exec()
