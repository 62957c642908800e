"""The conversation list at the width people give it: titles end in "…", no sideways
scrollbar, a pin on pinned chats, a line when a search finds nothing, no stale highlight."""

from __future__ import annotations

import time
from datetime import date, datetime

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QToolButton

from app.ui.session.session_history import SidebarRow
from app.ui.window.conversation_model import GroupRole, IdRole
from app.ui.window.sidebar import Sidebar

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
    assert sidebar.list_area.currentWidget() is sidebar.no_matches  # not a blank box
    assert "No chats yet" in sidebar.no_matches.text()
    assert "match" not in sidebar.no_matches.text()
    sidebar.set_rows(_rows(1))  # the first chat: the list
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


# A fixed "now": Wednesday 15 July 2026, 12:00 local time. Groups count local calendar days.
NOW = datetime(2026, 7, 15, 12, 0).timestamp()
DAY = 86400.0


def _grouped_rows() -> list[SidebarRow]:
    return [
        SidebarRow(1, "Pinned long ago", NOW - 90 * DAY, pinned=True),
        SidebarRow(2, "This morning", NOW - 3 * 3600),
        SidebarRow(3, "Just after midnight", datetime(2026, 7, 15, 0, 5).timestamp()),
        SidebarRow(4, "Late last night", datetime(2026, 7, 14, 23, 55).timestamp()),
        SidebarRow(5, "Three days ago", NOW - 3 * DAY),
        SidebarRow(6, "A week ago", NOW - 7 * DAY),
        SidebarRow(7, "Twenty days ago", NOW - 20 * DAY),
        SidebarRow(8, "In April", datetime(2026, 4, 10, 9, 0).timestamp()),
        SidebarRow(9, "Last December", datetime(2025, 12, 24, 18, 0).timestamp()),
    ]


def _clocked(qtbot, rows: list[SidebarRow], current: int | None = None) -> Sidebar:
    sidebar = Sidebar(clock=lambda: NOW)
    qtbot.addWidget(sidebar)
    sidebar.resize(260, 900)
    sidebar.show()
    sidebar.set_rows(rows, current)
    qtbot.waitExposed(sidebar)
    return sidebar


def test_rows_fall_into_their_groups_with_pinned_on_top(qtbot) -> None:
    sidebar = _clocked(qtbot, _grouped_rows())
    model = sidebar.model
    assert model.rowCount() == 9  # one row per chat: group names are drawn, not rows
    ids = [model.index(r).data(IdRole) for r in range(model.rowCount())]
    assert ids == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    groups = [model.group_at(r) for r in range(model.rowCount())]
    april, december = date(2026, 4, 1).strftime("%B"), date(2025, 12, 1).strftime("%B")
    assert groups == [
        "Pinned",
        "Today",
        "Today",
        "Yesterday",
        "Previous 7 days",
        "Previous 7 days",
        "Previous 30 days",
        april,
        f"{december} 2025",
    ]
    # Only the first chat of a group carries its name (the header drawn above it)...
    starts = [model.index(r).data(GroupRole) for r in range(model.rowCount())]
    assert starts[2] == "" and starts[5] == "" and starts[3] == "Yesterday"
    # ...and is taller by the header's height.
    assert sidebar.list.visualRect(model.index(1)).height() > (
        sidebar.list.visualRect(model.index(2)).height()
    )


def test_search_hits_keep_their_order_without_groups(qtbot) -> None:
    hits = [SidebarRow(5, "b", NOW - 40 * DAY, snippet="x"), SidebarRow(2, "a", NOW, snippet="y")]
    sidebar = _clocked(qtbot, hits)
    assert [sidebar.model.index(r).data(IdRole) for r in range(2)] == [5, 2]
    assert all(not sidebar.model.index(r).data(GroupRole) for r in range(2))


def test_a_click_on_a_group_name_selects_nothing(qtbot) -> None:
    sidebar = _clocked(qtbot, _grouped_rows())
    rect = sidebar.list.visualRect(sidebar.model.index(3))  # starts "Yesterday"
    with qtbot.assertNotEmitted(sidebar.conversation_selected):
        qtbot.mouseClick(
            sidebar.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.topLeft() + QPoint(20, 4)
        )
    assert not sidebar.list.selectionModel().hasSelection()
    # The chat's own part of the row still opens it.
    with qtbot.waitSignal(sidebar.conversation_selected) as opened:
        qtbot.mouseClick(
            sidebar.list.viewport(),
            Qt.MouseButton.LeftButton,
            pos=rect.bottomLeft() + QPoint(20, -8),
        )
    assert opened.args == [4]


def test_arrow_keys_go_from_chat_to_chat_across_group_names(qtbot) -> None:
    sidebar = _clocked(qtbot, _grouped_rows(), current=3)  # the last chat of "Today"
    sidebar.list.setFocus()
    qtbot.keyClick(sidebar.list, Qt.Key.Key_Down)
    assert sidebar.list.currentIndex().data(IdRole) == 4  # first of "Yesterday"
    qtbot.keyClick(sidebar.list, Qt.Key.Key_Up)
    qtbot.keyClick(sidebar.list, Qt.Key.Key_Up)
    qtbot.keyClick(sidebar.list, Qt.Key.Key_Up)
    assert sidebar.list.currentIndex().data(IdRole) == 1  # the pinned chat, under "Pinned"


def _menu_texts(sidebar: Sidebar) -> list[str]:
    assert sidebar.menu is not None
    return [a.text() for a in sidebar.menu.actions() if not a.isSeparator()]


def test_the_more_button_opens_the_chat_menu(qtbot) -> None:
    sidebar = _clocked(qtbot, _grouped_rows(), current=5)
    button = sidebar.more_button
    assert button.isVisible() and button.accessibleName() and button.toolTip()
    row = sidebar.list.visualRect(sidebar.model.index(4))
    assert row.contains(button.geometry().center())  # on the selected row
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sidebar.menu is not None and sidebar.menu.isVisible())
    assert _menu_texts(sidebar) == ["Rename…", "Pin", "Export…", "Delete"]
    with qtbot.waitSignal(sidebar.pin_toggled) as pinned:
        sidebar.menu.actions()[1].trigger()
    assert pinned.args == [5, True]


def test_the_more_button_follows_the_mouse(qtbot) -> None:
    sidebar = _clocked(qtbot, _grouped_rows(), current=5)
    hovered = sidebar.model.index(1)
    sidebar._on_entered(hovered)  # what the view's ``entered`` signal reports on a hover
    assert sidebar.list.visualRect(hovered).contains(sidebar.more_button.geometry().center())


def test_shift_f10_opens_the_menu_for_the_selected_chat(qtbot) -> None:
    sidebar = _clocked(qtbot, _grouped_rows(), current=1)
    sidebar.list.setFocus()
    qtbot.keyClick(sidebar.list, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: sidebar.menu is not None and sidebar.menu.isVisible())
    assert "Unpin" in _menu_texts(sidebar)  # the menu is the pinned chat's
    with qtbot.waitSignal(sidebar.rename_requested) as renamed:
        sidebar.menu.actions()[0].trigger()
    assert renamed.args == [1]


def test_search_field_has_an_icon_and_a_clear_button(qtbot) -> None:
    sidebar = _clocked(qtbot, _grouped_rows())
    assert sidebar.search_box.isClearButtonEnabled()
    assert not sidebar.search_action.icon().isNull()
    assert sidebar.search_action in sidebar.search_box.actions()
    sidebar.search_box.setText("receipt")  # the clear button shows once there is text
    buttons = [b for b in sidebar.search_box.findChildren(QToolButton) if b.isVisible()]
    assert len(buttons) == 2
    assert sorted(b.accessibleName() for b in buttons) == ["Clear search", "Search chats"]


def test_new_chat_is_the_primary_button_and_names_its_shortcut(qtbot) -> None:
    sidebar = _clocked(qtbot, [])
    assert sidebar.new_button.property("primary") is True
    assert sidebar.new_button.toolTip() == "New chat (Ctrl+N)"
