"""The "Folders searched" list: missing folders marked, the always-searched kept, removal by
button, Delete key and context menu."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from app.models.model_folders import SearchedFolder
from app.ui.setup.model_folder_list import ModelFolderList
from app.ui.theme.theme import colours

HUB = SearchedFolder(Path("/home/u/.cache/huggingface/hub"), "Hugging Face cache")
MINE = SearchedFolder(Path("/home/u/models"))
GONE = SearchedFolder(Path("/media/usb/models"), found=False)


def _list(qtbot) -> ModelFolderList:
    widget = ModelFolderList()
    qtbot.addWidget(widget)
    widget.show_folders([HUB, MINE, GONE])
    return widget


def test_a_missing_folder_is_muted_and_says_not_found(qtbot) -> None:
    widget = _list(qtbot)
    mine, gone = widget.list.item(1), widget.list.item(2)
    assert mine.text() == "/home/u/models"
    assert gone.text() == "/media/usb/models  ·  not found" and gone.font().italic()
    assert gone.foreground().color() == QColor(colours().text_muted)
    assert "not found" in gone.toolTip() and "Remove it" in gone.toolTip()
    assert widget.note.text() == "1 folder not found"


def test_an_always_searched_folder_cannot_be_removed_and_says_why(qtbot) -> None:
    removed: list[Path] = []
    widget = _list(qtbot)
    widget.remove_requested.connect(removed.append)
    assert "always searched" in widget.list.item(0).text()
    assert "cannot be removed" in widget.list.item(0).toolTip()
    widget.list.setCurrentRow(0)
    assert not widget.remove_button.isEnabled()
    assert "cannot be removed" in widget.remove_button.toolTip()
    widget.remove_selected()
    qtbot.keyClick(widget.list, Qt.Key.Key_Delete)
    assert removed == [] and widget.list.count() == 3


def test_the_button_removes_the_selected_folder_at_once(qtbot) -> None:
    widget = _list(qtbot)
    widget.list.setCurrentRow(2)
    assert (
        widget.remove_button.isEnabled() and "/media/usb/models" in widget.remove_button.toolTip()
    )
    assert widget.remove_button.accessibleName() and widget.remove_button.toolTip()
    with qtbot.waitSignal(widget.remove_requested) as removed:
        widget.remove_button.click()
    assert removed.args == [GONE.path]
    assert [widget.list.item(i).text() for i in range(widget.list.count())][1] == "/home/u/models"
    assert widget.list.count() == 2


def test_the_delete_key_removes_the_selected_folder(qtbot) -> None:
    widget = _list(qtbot)
    widget.list.setFocus()
    widget.list.setCurrentRow(1)
    with qtbot.waitSignal(widget.remove_requested) as removed:
        qtbot.keyClick(widget.list, Qt.Key.Key_Delete)
    assert removed.args == [MINE.path]


def test_the_selection_survives_a_new_search(qtbot) -> None:
    widget = _list(qtbot)
    widget.list.setCurrentRow(1)
    widget.show_folders([HUB, GONE, MINE])
    assert widget.selected() == MINE


def test_the_context_menu_removes_only_a_folder_of_ones_own(qtbot) -> None:
    widget = _list(qtbot)
    widget.resize(600, 200)
    removed: list[Path] = []
    widget.remove_requested.connect(removed.append)
    view = widget.list
    for row, enabled in ((0, False), (2, True)):  # always searched, then the missing one
        menu = widget.menu_at(view.visualItemRect(view.item(row)).center())
        assert menu is not None and widget.list.currentRow() == row
        [action] = menu.actions()
        assert action.text() == "&Remove from the search" and action.isEnabled() is enabled
        if enabled:
            action.trigger()
    assert removed == [GONE.path]


def test_a_scheme_switch_repaints_the_muted_rows(qtbot, unthemed_afterwards) -> None:
    from app.ui.theme.theme import Theme

    theme = Theme.install(unthemed_afterwards, "light")
    widget = _list(qtbot)
    widget.list.setCurrentRow(1)
    light = widget.list.item(2).foreground().color()
    theme.set_appearance("dark")
    assert widget.list.item(2).foreground().color() == QColor(colours().text_muted) != light
    assert widget.list.count() == 3 and widget.selected() == MINE


def test_no_folder_is_said_in_words_not_shown_as_an_empty_box(qtbot) -> None:
    folders = ModelFolderList()
    qtbot.addWidget(folders)
    folders.show()
    folders.show_folders([])
    assert not folders.list.isVisible()
    assert "Hugging Face cache" in folders.note.text() and "add the folder" in folders.note.text()
    folders.show_folders([SearchedFolder(Path("/models"))])
    assert folders.list.isVisible() and folders.note.text() == ""
