"""What Qt WebEngine needs before the QApplication exists, kept apart so start-up stays light.

The HTML preview imports QtWebEngine lazily, the first time the studio opens; Qt allows that
only when OpenGL contexts are shared from the start, so this runs before the app is created
(``app.main`` and the tests' ``conftest``). It imports nothing from WebEngine itself.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QCoreApplication, Qt

# Chromium must not phone home from a sandbox that is meant to send nothing anywhere: no
# component updates, no background fetches, no DNS pre-resolution.
_QUIET_FLAGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--dns-prefetch-disable",
    "--no-pings",
)


def prepare_web_engine() -> None:
    """Set the attribute and environment WebEngine reads at its first use; call it once early.

    As root (CI containers, some kiosk setups) Chromium refuses to start its process sandbox, so
    that one layer is switched off there; the page sandbox the preview relies on (no network,
    no files, no popups, an off-the-record profile) is ours and stays on.
    """
    if QCoreApplication.instance() is None:
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split()
    flags += [flag for flag in _QUIET_FLAGS if flag not in flags]
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join(flags)
