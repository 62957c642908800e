"""The empty chat page teaches: suggestion cards for the presets and a drop target.

Checked on the real window (the cards must lead where the composer's own controls lead) and,
for the responsive grid, on the grid alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog

from app.core.images import Detail
from app.ui.window.empty_state import DROP_PANEL_WORDS
from app.ui.window.main_window import MainWindow
from app.ui.window.suggestion_cards import SuggestionCard, SuggestionGrid
from app.workflows.presets import builtin_presets
from tests.fixtures.pixtral_gguf import GgufPair
from tests.ui.window.test_main_window import _close, _open, _settings

CARD_TITLES = [
    "Describe an image",
    "OCR to Markdown",
    "Read a chart",
    "Receipt to JSON",
    "Make HTML from a screenshot",
    "Ask a PDF",
]


@pytest.fixture
def window(qtbot, tmp_path: Path, tiny_pair: GgufPair):
    opened = _open(qtbot, _settings(tmp_path, tiny_pair), tmp_path / "data")
    qtbot.waitUntil(lambda: not opened.composer.tools.loading, timeout=10_000)
    yield opened
    _close(opened)


def _card(window: MainWindow, title: str) -> SuggestionCard:
    return next(c for c in window.empty_state.cards.cards if c.suggestion.title == title)


def test_the_empty_page_shows_a_card_for_each_suggestion_and_the_drop_panel(window) -> None:
    assert window.stack.currentWidget() is window.empty_state
    cards = window.empty_state.cards.cards
    assert [card.suggestion.title for card in cards] == CARD_TITLES
    for card in cards:
        assert card.isVisible()
        assert card.accessibleName() == card.suggestion.title
        assert card.toolTip()
        assert card.line_label.text()  # the one-line description
    ocr = next(p for p in builtin_presets() if p.id == "ocr_markdown")
    assert ocr.prompt in _card(window, "OCR to Markdown").toolTip()
    panel = window.empty_state.drop_panel
    assert panel.isVisible()
    assert panel.text.text() == DROP_PANEL_WORDS


def test_clicking_a_card_fills_the_box_as_the_presets_menu_does(qtbot, window) -> None:
    ocr = next(p for p in window.composer.tools.presets if p.id == "ocr_markdown")
    with qtbot.waitSignal(window.composer.tools.preset_applied) as applied:
        qtbot.mouseClick(_card(window, "OCR to Markdown"), Qt.MouseButton.LeftButton)
    assert applied.args == [ocr]
    assert window.composer.text() == ocr.prompt
    assert window.composer.composition_detail == Detail.parse("native")


def test_tab_reaches_the_cards_and_enter_or_space_presses_them(qtbot, window) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5_000)
    cards = window.empty_state.cards.cards
    window.header.setFocus()
    for _ in range(60):
        if QApplication.focusWidget() in cards:
            break
        QTest.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is cards[0]
    QTest.keyClick(cards[0], Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is cards[1]
    describe = next(p for p in window.composer.tools.presets if p.id == "describe_image")
    with qtbot.waitSignal(window.composer.tools.preset_applied):
        QTest.keyClick(cards[0], Qt.Key.Key_Space)
    assert window.composer.text() == describe.prompt
    window.composer.editor.clear()
    chart = next(p for p in window.composer.tools.presets if p.id == "read_chart")
    with qtbot.waitSignal(window.composer.tools.preset_applied):
        QTest.keyClick(cards[2], Qt.Key.Key_Return)
    assert window.composer.text() == chart.prompt


def test_ask_a_pdf_opens_the_attach_pdf_flow(qtbot, window, monkeypatch) -> None:
    asked: list[str] = []
    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", lambda *a, **k: (asked.append(a[1]), ([], ""))[1]
    )
    with qtbot.waitSignal(window.composer.document_requested):
        qtbot.mouseClick(_card(window, "Ask a PDF"), Qt.MouseButton.LeftButton)
    assert asked == ["Attach PDFs"]


def test_make_html_opens_add_images_with_the_hint(qtbot, window, monkeypatch, tmp_path) -> None:
    shot = tmp_path / "shot.png"
    Image.new("RGB", (64, 48), (200, 30, 30)).save(shot)
    asked: list[str] = []
    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", lambda *a, **k: (asked.append(a[1]), ([str(shot)], ""))[1]
    )
    qtbot.mouseClick(_card(window, "Make HTML from a screenshot"), Qt.MouseButton.LeftButton)
    assert asked == ["Add images"]
    assert "Make HTML" in window.activity.text()
    assert window.composer.images.rowCount() == 1


def test_the_grid_has_three_columns_when_wide_and_two_when_narrow(qtbot) -> None:
    grid = SuggestionGrid()
    qtbot.addWidget(grid)
    grid.set_presets(builtin_presets())
    grid.resize(800, 300)
    grid.show()
    qtbot.waitUntil(lambda: grid.columns == 3)
    assert grid.grid.getItemPosition(grid.grid.indexOf(grid.cards[3]))[:2] == (1, 0)
    grid.resize(500, 400)
    qtbot.waitUntil(lambda: grid.columns == 2)
    assert grid.grid.getItemPosition(grid.grid.indexOf(grid.cards[3]))[:2] == (1, 1)
