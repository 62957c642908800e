"""The strip above the chat: where the conversation runs, model loading, settings.

It says where answers come from ("Local · model · CUDA · nothing leaves this computer"), so
the privacy of a conversation is visible at all times, and shows model loading progress.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from app.engine.base import Loading, LoadStage
from app.ui.theme.icons import set_icon

LOADING_WORDS = {
    LoadStage.STARTING: "Loading the model…",
    LoadStage.MODEL: "Loading the model…",
    LoadStage.MMPROJ: "Loading the vision encoder…",
}
"""What the progress bar says in each stage (the stage names are the engine's, not words)."""

LOAD_BAR_WIDTH = 240
"""Wide enough for the longest phrase and "100%" on one line; longer text is elided."""

NO_CONVERSATION = (
    "Open or start a conversation to make it private (it then never leaves this computer)."
)


class EngineHeader(QWidget):
    choose_requested = Signal()
    settings_requested = Signal()
    private_toggled = Signal(bool)
    about_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_label = QLabel()
        self.model_label.setAccessibleName("Model and device")
        self.load_bar = QProgressBar()
        self.load_bar.setAccessibleName("Model loading progress")
        self.load_bar.setFixedWidth(LOAD_BAR_WIDTH)
        self.load_bar.setRange(0, 100)
        self.load_bar.hide()
        self.choose_button = QPushButton("Choose model files…")
        self.choose_button.setAccessibleName("Choose model files")
        self.private_box = QCheckBox("Private")
        self.private_box.setAccessibleName("Private conversation")
        self.private_box.setToolTip(NO_CONVERSATION)
        self.private_box.setEnabled(False)
        self.settings_button = QPushButton()  # icon only: its name and tooltip say what
        set_icon(self.settings_button, "settings")
        self.settings_button.setAccessibleName("Settings")
        self.settings_button.setToolTip("Engine, answers and history settings (Ctrl+,)")
        bar = QHBoxLayout(self)
        bar.setContentsMargins(12, 6, 12, 6)
        bar.addWidget(self.model_label, 1)
        bar.addWidget(self.load_bar)
        bar.addWidget(self.private_box)
        bar.addWidget(self.choose_button)
        bar.addWidget(self.settings_button)
        self.about_button = QPushButton()
        set_icon(self.about_button, "about")
        self.about_button.setAccessibleName("About Pixtral Desk")
        self.about_button.setToolTip("Version, licences and where your data is kept (F1)")
        self.about_button.clicked.connect(self.about_requested)
        bar.addWidget(self.about_button)
        self.choose_button.clicked.connect(self.choose_requested)
        self.settings_button.clicked.connect(self.settings_requested)
        self.private_box.clicked.connect(self.private_toggled)

    def show_private(self, private: bool | None) -> None:
        """None: no conversation yet. The box stays where it is, disabled with a tooltip that
        says why, so the header does not jump when a conversation opens or closes."""
        box = self.private_box
        box.setEnabled(private is not None)
        box.setChecked(bool(private))
        box.setToolTip(
            NO_CONVERSATION
            if private is None
            else "A private conversation never leaves this computer: remote backends refuse it."
        )

    def show_remote(self, where: str, model: str) -> None:
        """A remote backend: say plainly that messages leave this computer, and where to."""
        self.choose_button.hide()
        name = f" · {model}" if model else ""
        self.model_label.setText(f"<b>{where}</b>{name} · messages and images are sent there")

    def show_model(self, model: str, device: str, memory: str = "") -> None:
        """``memory`` is the estimate of what loading will take, shown before it loads."""
        self.choose_button.setVisible(not model)
        self.model_label.setToolTip(f"Memory: {memory}" if memory else "")
        if not model:
            self.model_label.setText(
                "<b>No model is set up.</b> Choose a Pixtral GGUF and its mmproj to chat locally "
                "— nothing leaves this computer."
            )
            return
        where = f" · {device}" if device else ""
        needs = f" · needs {memory.split(':')[0]}" if memory else ""
        self.model_label.setText(
            f"<b>Local</b> · {Path(model).name}{where}{needs} · nothing leaves this computer"
        )

    def show_loading(self, event: Loading) -> None:
        bar = self.load_bar
        bar.show()
        percent = int(event.progress * 100)
        words = LOADING_WORDS.get(event.stage, "Loading the model…")
        text = f"{words} {percent}%"
        room = bar.contentsRect().width() - 8
        bar.setFormat(
            bar.fontMetrics().elidedText(text, Qt.TextElideMode.ElideMiddle, room)
            if bar.fontMetrics().horizontalAdvance(text) > room
            else text
        )
        bar.setToolTip(text)
        bar.setValue(percent)

    def show_loaded(self) -> None:
        self.load_bar.hide()

    def show_failure(self, message: str) -> None:
        self.load_bar.hide()
        self.model_label.setText(f"<b>The model could not be loaded.</b> {message}")
