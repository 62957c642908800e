"""The conversation list at the width people give it: titles end in "…", no sideways
scrollbar, a pin on pinned chats, a line when a search finds nothing, no stale highlight."""

from __future__ import annotations

import time

from PySide6.QtGui import QColor, QImage

from app.ui.session.session_history import SidebarRow
from app.ui.window.sidebar import ConversationDelegate, Sidebar

LONG = "Quarterly budget spreadsheet review and the forecast for next year"


def _sidebar(qtbot, rows: list[SidebarRow], current: int | None = None) -> Sidebar:
    sidebar = Sidebar()
    qtbot.addWidget(sidebar)
    sidebar.resize(200, 300)
    sidebar.show()
    sidebar.set_rows(rows, current)
    qtbot.waitExposed(sidebar)
    return sidebar


def _rows(count: int, pinned: int | None = None) -> list[SidebarRow]:
    now = time.time()
    return [
        SidebarRow(i, f"{LONG} {i}", now - 60 * i, pinned=i == pinned) for i in range(1, count + 1)
    ]


def test_long_titles_fit_a_narrow_sidebar_without_a_sideways_scrollbar(qtbot) -> None:
    sidebar = _sidebar(qtbot, _rows(12))  # enough rows for the vertical scrollbar
    qtbot.wait(10)
    assert sidebar.list.verticalScrollBar().isVisible()
    assert not sidebar.list.horizontalScrollBar().isVisible()
    assert sidebar.list.horizontalScrollBar().maximum() == 0
    index = sidebar.model.index(0)
    assert index.data(0x03) == f"{LONG} 1"  # the tooltip keeps the whole title


def test_a_new_chat_clears_the_old_chats_highlight(qtbot) -> None:
    sidebar = _sidebar(qtbot, _rows(3), current=2)
    assert sidebar.list.currentIndex().row() == 1
    assert sidebar.list.selectionModel().hasSelection()
    sidebar.select(None)
    assert not sidebar.list.currentIndex().isValid()
    assert not sidebar.list.selectionModel().hasSelection()
    sidebar.set_rows(_rows(3), None)  # the list refreshed while the new chat is shown
    assert not sidebar.list.selectionModel().hasSelection()


def test_a_search_that_finds_nothing_says_so(qtbot) -> None:
    sidebar = _sidebar(qtbot, _rows(3))
    with qtbot.waitSignal(sidebar.search_changed, timeout=2000) as searched:
        sidebar.search_box.setText("zebra")
    assert searched.args == ["zebra"]
    sidebar.set_rows([])
    assert sidebar.list_area.currentWidget() is sidebar.no_matches
    assert sidebar.no_matches.isVisible()
    assert "No chats match" in sidebar.no_matches.text() and "zebra" in sidebar.no_matches.text()
    sidebar.set_rows(_rows(2))  # a search that finds something shows the list again
    assert sidebar.list_area.currentWidget() is sidebar.list


def test_an_empty_history_without_a_search_is_not_called_a_failed_search(qtbot) -> None:
    sidebar = _sidebar(qtbot, [])
    assert sidebar.list_area.currentWidget() is sidebar.list


def _marker_pixels(qtbot, pinned: bool) -> int:
    """Pixels of the pin's colour at the end of the title line."""
    sidebar = _sidebar(qtbot, [SidebarRow(1, "Short", time.time(), pinned=pinned)])
    sidebar.select(None)
    rect = sidebar.list.visualRect(sidebar.model.index(0))
    image: QImage = sidebar.list.viewport().grab(rect).toImage()
    pin = QColor(sidebar.list.palette().link().color())
    found = 0
    for x in range(image.width() - 30, image.width()):
        for y in range(image.height() // 2):
            colour = image.pixelColor(x, y)
            if abs(colour.red() - pin.red()) + abs(colour.blue() - pin.blue()) < 60 and (
                colour.blue() > colour.red() + 60
            ):
                found += 1
    return found


def test_pinned_chats_carry_a_painted_pin(qtbot) -> None:
    assert _marker_pixels(qtbot, pinned=True) > 4
    assert _marker_pixels(qtbot, pinned=False) == 0


def test_rows_ask_for_no_width_of_their_own() -> None:
    from PySide6.QtWidgets import QStyleOptionViewItem

    option = QStyleOptionViewItem()
    option.rect.setWidth(900)
    hint = ConversationDelegate().sizeHint(option, Sidebar().model.index(0))
    assert hint.width() <= 1
