"""The empty chat page's suggestion cards: the presets people can start from, one click away.

A first-time user does not know the app can transcribe a scan or turn a receipt into JSON; a
menu named "Presets" does not tell them. The cards show the few requests the app is best at,
each with a title and one line saying what comes back, and lead to the same paths as the
composer's controls (the window wires them), so a card and the menu never drift apart.

The cards are buttons: Tab reaches them, Enter or Space presses them, and each has an accessible
name and a tooltip with the request it will write.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from app.workflows.presets import Preset

WIDE_COLUMNS_FROM = 680
"""Three columns from this width (px) of the grid, two below: cards stay readable at any size."""

MAKE_HTML_ID = "make_html"
PDF_ID = "ask_pdf"  # no preset: the card opens the Attach PDF flow


@dataclass(frozen=True)
class Suggestion:
    """One card: ``key`` is the preset id (or :data:`PDF_ID`), the rest what the card says."""

    key: str
    title: str
    description: str


# The built-in presets worth a card, in the order shown, with the words a card has room for;
# the preset's own title and prompt go in the tooltip.
_PRESET_CARDS: tuple[Suggestion, ...] = (
    Suggestion("describe_image", "Describe an image", "A summary, then every detail"),
    Suggestion("ocr_markdown", "OCR to Markdown", "Every word, tables kept"),
    Suggestion("read_chart", "Read a chart", "Its data as a table"),
    Suggestion("receipt_json", "Receipt to JSON", "Items and totals as JSON"),
    Suggestion(MAKE_HTML_ID, "Make HTML from a screenshot", "Rebuild a UI as a web page"),
)
_PDF_CARD = Suggestion(PDF_ID, "Ask a PDF", "Pick pages, then ask")

_CARD_STYLE = """
QPushButton#suggestionCard { text-align: left; padding: 0; border-radius: 10px;
    border: 1px solid palette(mid); background: palette(base); }
QPushButton#suggestionCard:hover { border-color: palette(highlight); }
QPushButton#suggestionCard:focus { border: 2px solid palette(highlight); }
QPushButton#suggestionCard:pressed { background: palette(alternate-base); }
QLabel#suggestionTitle { font-weight: 600; background: transparent; }
QLabel#suggestionText { color: palette(placeholder-text); background: transparent; }
"""


def suggestions_for(presets: list[Preset]) -> list[tuple[Suggestion, Preset | None]]:
    """The cards for the presets loaded: a built-in's card only while that preset exists (a
    user may not have it under that id), then "Ask a PDF", which needs no preset."""
    by_id = {preset.id: preset for preset in presets}
    cards: list[tuple[Suggestion, Preset | None]] = [
        (card, by_id[card.key]) for card in _PRESET_CARDS if card.key in by_id
    ]
    cards.append((_PDF_CARD, None))
    return cards


class SuggestionCard(QPushButton):
    """A button drawn as a card: a bold title over one quiet line of description."""

    def __init__(self, suggestion: Suggestion, tooltip: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.suggestion = suggestion
        self.setObjectName("suggestionCard")
        self.setAccessibleName(suggestion.title)
        self.setAccessibleDescription(suggestion.description)
        self.setToolTip(tooltip)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.title_label = QLabel(suggestion.title)
        self.title_label.setObjectName("suggestionTitle")
        self.line_label = QLabel(suggestion.description)
        self.line_label.setObjectName("suggestionText")
        self.line_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(2)
        for label in (self.title_label, self.line_label):
            # The labels are decoration: the button takes the clicks and is what is read out.
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            layout.addWidget(label)
        self.title_label.setWordWrap(True)

    def sizeHint(self) -> QSize:
        """The labels' size: a plain button would size itself by its own (empty) text."""
        return self.layout().sizeHint().expandedTo(QSize(180, 0))

    def minimumSizeHint(self) -> QSize:
        return self.layout().minimumSize().expandedTo(QSize(140, self.sizeHint().height()))

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        """Taller when narrow: the title and line wrap instead of being cut."""
        return self.layout().totalHeightForWidth(width)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter presses a card too (a plain button outside a dialog only takes Space)."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.click()
            return
        super().keyPressEvent(event)


class SuggestionGrid(QWidget):
    """The cards in a grid of three columns, or two when the page is narrow."""

    preset_chosen = Signal(object)  # Preset: fill the box as the Presets menu does
    make_html_chosen = Signal()  # add a screenshot, then Make HTML
    pdf_chosen = Signal()  # the Attach PDF flow

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Suggestions")
        self.setStyleSheet(_CARD_STYLE)
        self.cards: list[SuggestionCard] = []
        self.columns = 0
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(10)

    def set_presets(self, presets: list[Preset]) -> None:
        """Rebuild the cards from the presets loaded (again after the user edits them)."""
        for card in self.cards:
            card.deleteLater()
        self.cards = []
        for suggestion, preset in suggestions_for(presets):
            tooltip = (
                f"{preset.title}: {preset.prompt}"
                if preset is not None
                else "Attach pages of a PDF to ask about (stays on this computer)"
            )
            card = SuggestionCard(suggestion, tooltip, self)
            card.clicked.connect(lambda _=False, s=suggestion, p=preset: self._chosen(s, p))
            self.cards.append(card)
        self.columns = 0  # lay out again
        self._arrange(self.width())

    def _chosen(self, suggestion: Suggestion, preset: Preset | None) -> None:
        if suggestion.key == PDF_ID:
            self.pdf_chosen.emit()
        elif suggestion.key == MAKE_HTML_ID:
            self.make_html_chosen.emit()
        elif preset is not None:
            self.preset_chosen.emit(preset)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange(event.size().width())

    def _arrange(self, width: int) -> None:
        """Place the cards row by row, in Tab order, only when the column count changes."""
        columns = 3 if width >= WIDE_COLUMNS_FROM else 2
        if columns == self.columns:
            return
        self.columns = columns
        for card in self.cards:
            self.grid.removeWidget(card)
        for index, card in enumerate(self.cards):
            self.grid.addWidget(card, index // columns, index % columns)
        for column in range(3):
            self.grid.setColumnStretch(column, 1 if column < columns else 0)
        for before, after in zip(self.cards, self.cards[1:], strict=False):
            QWidget.setTabOrder(before, after)
