"""What an empty chat shows instead of a blank area: how to start.

Without a model it explains what to choose and offers the file picker; with one it says how
to bring images in.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget


class EmptyState(QWidget):
    choose_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Getting started")
        self.title = QLabel()
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = QLabel()
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setWordWrap(True)
        self.choose_button = QPushButton("Choose model files…")
        self.choose_button.setAccessibleName("Choose model files")
        self.choose_button.clicked.connect(self.choose_requested)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        layout.addWidget(self.choose_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)

    def show_for(self, has_model: bool) -> None:
        if not has_model:
            self.title.setText("<h2>Set up a local Pixtral</h2>")
            self.text.setText(
                "Pixtral Desk runs Pixtral 12B on this computer through llama.cpp. Choose the "
                "model file (.gguf) and its vision projector (mmproj .gguf), for example "
                "pixtral-12b-Q4_K_M.gguf and mmproj-pixtral-12b-f16.gguf from ggml-org."
            )
        else:
            self.title.setText("<h2>What would you like to look at?</h2>")
            self.text.setText(
                "Drop screenshots, photos or scans here, paste them with Ctrl+V, or use "
                "“Add images…”. The cost of each image in tokens shows before you send."
            )
        self.choose_button.setVisible(not has_model)
