"""The main window. For now: what the engine is set to, and how to set it.

The full chat window (sidebar, transcript, composer) arrives with issue 4; this window already
reads the same settings and never blocks the GUI thread (it only reads file headers).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from app import __version__
from app.core.errors import ModelFileError
from app.core.model_files import check_pair
from app.resources import resource
from app.settings import Settings


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.setWindowTitle("Pixtral Desk")
        self.setWindowIcon(QIcon(str(resource("icons", "pixtral-desk.svg"))))
        self.resize(720, 480)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        title = QLabel(f"<h1>Pixtral Desk</h1><p>Version {__version__}</p>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status_label = QLabel(self._model_status())
        self.status_label.setAccessibleName("Model status")
        self.status_label.setWordWrap(True)
        self.status_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(self.status_label)
        layout.addStretch(2)
        self.setCentralWidget(body)

    def _model_status(self) -> str:
        model, mmproj = self.settings["model"], self.settings["mmproj"]
        if not model:
            return (
                "No model is set yet. Choose a Pixtral GGUF and its mmproj, for example:\n"
                "pixtral-desk ask --model pixtral-12b-Q4_K_M.gguf "
                "--mmproj mmproj-pixtral-12b-f16.gguf "
                '--image screenshot.png "Describe this"'
            )
        try:
            text, vision = check_pair(model, mmproj or None)
        except ModelFileError as exc:
            return str(exc)
        images = "with images" if vision else "text only (no mmproj)"
        return f"Model: {text.name} ({Path(model).name}), {images}."
