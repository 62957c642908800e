"""What an empty chat shows instead of a blank area: how to start.

Without a model it explains what to choose and offers the file picker. With one it teaches by
example: the requests the app is best at as suggestion cards (see ``suggestion_cards``), and a
drop target that says what can be brought in and how, since the whole window takes drops.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.ui.window.suggestion_cards import SuggestionGrid
from app.workflows.presets import Preset

DROP_PANEL_WORDS = "Drop screenshots, photos, scans or PDFs here · paste with Ctrl+V"
PAGE_WIDTH = 820
"""The page's column at most (px): cards and panel line up with the reading column."""

_DROP_STYLE = """
QFrame#dropPanel { border: 2px dashed palette(mid); border-radius: 12px; }
QFrame#dropPanel QLabel { border: none; color: palette(placeholder-text); }
"""


class DropPanel(QFrame):
    """A dashed, rounded panel saying what can be dropped; the window takes the drop itself
    (``WindowDrops``), so the panel only has to say so."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dropPanel")
        self.setAccessibleName("Drop target")
        self.setStyleSheet(_DROP_STYLE)
        self.text = QLabel(DROP_PANEL_WORDS)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setWordWrap(True)
        self.hint = QLabel("The cost of each image in tokens shows before you send.")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 22, 20, 22)
        layout.addWidget(self.text)
        layout.addWidget(self.hint)


class EmptyState(QWidget):
    choose_requested = Signal()
    preset_chosen = Signal(object)  # Preset: the window applies it as the Presets menu does
    make_html_chosen = Signal()
    pdf_chosen = Signal()

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
        self.cards = SuggestionGrid()
        self.cards.preset_chosen.connect(self.preset_chosen)
        self.cards.make_html_chosen.connect(self.make_html_chosen)
        self.cards.pdf_chosen.connect(self.pdf_chosen)
        self.drop_panel = DropPanel()
        page = QWidget()
        page.setMaximumWidth(PAGE_WIDTH)
        page.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        column = QVBoxLayout(page)
        column.setContentsMargins(24, 0, 24, 0)
        column.setSpacing(14)
        column.addWidget(self.title)
        column.addWidget(self.text)
        column.addWidget(self.choose_button, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addWidget(self.cards)
        column.addSpacing(6)
        column.addWidget(self.drop_panel)
        row = QHBoxLayout()  # the page as wide as it may be, centred: the rest to the sides
        row.addStretch(1)
        row.addWidget(page, 100)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addLayout(row)
        layout.addStretch(3)
        self.page = page

    def set_presets(self, presets: list[Preset]) -> None:
        """The cards follow the presets loaded (the built-ins, as the user may have edited)."""
        self.cards.set_presets(presets)

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
            self.text.setText("Start from a suggestion, or bring your own images and ask.")
        self.choose_button.setVisible(not has_model)
        self.cards.setVisible(has_model)
        self.drop_panel.setVisible(has_model)
