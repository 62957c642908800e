"""The Models page's "Folders searched": where the model search looks, and a way out of it.

Every folder a user once picked model files from is remembered and searched at each start, so
a USB stick, a temporary download folder or a mistyped path would be searched forever (and a
vanished network path slows every search). This list shows them all — the folders the app
always searches first, then the user's own, a missing one muted and marked "not found" so the
user sees why to remove it — and removes the user's own ones (button, Delete key or context
menu). It only emits ``remove_requested``; the page forgets the folder and searches again.
Whether a folder exists is checked off the GUI thread (``searched_folders``) and handed in.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.models.model_folders import SearchedFolder
from app.ui.theme.dialog_parts import DESCRIPTION
from app.ui.theme.icons import icon, set_icon
from app.ui.theme.theme import colours, current_scheme, on_change
from app.ui.theme.tokens import SPACING, Scheme

#: Rows shown before the list scrolls: enough for the usual few, small beside the models table.
VISIBLE_ROWS = 4
MIN_ROWS = 2
PATH_ROLE = Qt.ItemDataRole.UserRole
NO_FOLDERS = (
    "None yet. The Hugging Face cache and LM Studio's and Jan's model folders are searched "
    "once they exist; add the folder that holds your GGUF files."
)


def describe(folder: SearchedFolder) -> tuple[str, str]:
    """The row's text and tooltip: what the folder is, and why it can or cannot go."""
    if folder.always:
        return (
            f"{folder.path}  ·  {folder.always}, always searched",
            f"{folder.path}\nPixtral Desk always looks in {folder.always}'s models folder, "
            "so it cannot be removed from this list.",
        )
    if not folder.found:
        return (
            f"{folder.path}  ·  not found",
            f"{folder.path}\nThis folder was not found (a removed drive, or a folder moved or "
            "deleted). Remove it to stop searching it.",
        )
    return (
        str(folder.path),
        f"{folder.path}\nA folder you added. Removing it stops the search there; "
        "no file is deleted.",
    )


class _FolderListView(QListWidget):
    """The list itself: Delete removes the selected folder, like a file manager's list."""

    delete_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_pressed.emit()
            return
        super().keyPressEvent(event)


class ModelFolderList(QWidget):
    """A part of the page's "Installed" section: a caption, the list, its buttons."""

    remove_requested = Signal(Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Folders searched")
        self.caption = QLabel("Searched in these folders (removing one deletes no file):")
        self.caption.setObjectName(DESCRIPTION)
        self.caption.setWordWrap(True)
        self.folders: list[SearchedFolder] = []
        self.list = _FolderListView()
        self.list.setAccessibleName("Folders searched for models")
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.setUniformItemSizes(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a long path keeps its end
        self.note = QLabel("")
        self.note.setObjectName("dialogNote")
        self.note.setWordWrap(True)
        self.add_button = QPushButton("Add folder…")
        self.add_button.setToolTip("Search a folder of your own for GGUF files, always")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setAccessibleName("Remove folder from the search")
        set_icon(self.remove_button, "folder_remove")
        row = QHBoxLayout()
        row.addWidget(self.note, 1)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        body = QVBoxLayout(self)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(SPACING["sm"])
        body.addWidget(self.caption)
        body.addWidget(self.list)
        body.addLayout(row)
        self.list.currentRowChanged.connect(lambda _row: self._update_remove_button())
        self.list.delete_pressed.connect(self.remove_selected)
        self.list.customContextMenuRequested.connect(self._show_menu)
        self.remove_button.clicked.connect(self.remove_selected)
        on_change(self._on_scheme_changed)
        self.show_folders([])

    def show_folders(self, folders: list[SearchedFolder]) -> None:
        """List ``folders`` (their existence already checked), keeping the selected one."""
        selected = self.selected()
        self.folders = list(folders)
        self.list.clear()
        self._fill(current_scheme())
        for row, folder in enumerate(self.folders):
            if selected is not None and folder.path == selected.path:
                self.list.setCurrentRow(row)
        missing = sum(1 for f in self.folders if not f.found)
        self.note.setText(
            f"{missing} folder{'s' if missing != 1 else ''} not found" if missing else ""
        )
        # An empty box under "Searched in these folders" read as "searches nowhere".
        self.list.setVisible(bool(self.folders))
        if not self.folders:
            self.note.setText(NO_FOLDERS)
        self._fit(len(self.folders))
        self._update_remove_button()

    def _fill(self, scheme: Scheme) -> None:
        muted = QColor(colours().text_muted)
        for folder in self.folders:
            text, tip = describe(folder)
            item = QListWidgetItem(icon("warning" if not folder.found else "folder", scheme), text)
            item.setToolTip(tip)
            item.setData(PATH_ROLE, str(folder.path))
            if not folder.found or folder.always:
                item.setForeground(muted)  # not the user's live folders: read as secondary
            if not folder.found:
                font = QFont(item.font())
                font.setItalic(True)
                item.setFont(font)
            self.list.addItem(item)

    def _on_scheme_changed(self, scheme: Scheme) -> None:
        """Item icons and the muted colour are painted in, not styled: redo them."""
        row = self.list.currentRow()
        self.list.clear()
        self._fill(scheme)
        self.list.setCurrentRow(row)

    def _fit(self, rows: int) -> None:
        """As tall as its rows up to ``VISIBLE_ROWS``, then it scrolls; on a short screen it
        may shrink to ``MIN_ROWS`` whatever it holds, so the dialog, sized before the search
        ends, already has room for it (the other sections need theirs too)."""
        row_height = max(self.list.sizeHintForRow(0), self.list.fontMetrics().height())
        frame = 2 * self.list.frameWidth() + 2 * SPACING["xs"]
        self.list.setMinimumHeight(MIN_ROWS * row_height + frame)
        self.list.setMaximumHeight(max(min(rows, VISIBLE_ROWS), MIN_ROWS) * row_height + frame)

    def selected(self) -> SearchedFolder | None:
        row = self.list.currentRow()
        return self.folders[row] if 0 <= row < len(self.folders) else None

    def _update_remove_button(self) -> None:
        folder = self.selected()
        self.remove_button.setEnabled(folder is not None and folder.removable)
        if folder is None:
            tip = "Select a folder you added to stop searching it"
        elif folder.always:
            tip = f"{folder.always}'s models folder is always searched; it cannot be removed"
        else:
            tip = f"Stop searching {folder.path} (Delete); no file is deleted"
        self.remove_button.setToolTip(tip)

    def remove_selected(self) -> None:
        folder = self.selected()
        if folder is None or not folder.removable:
            return
        row = self.list.currentRow()
        self.folders.pop(row)
        self.list.takeItem(row)  # gone at once; the page's new search confirms it
        self._fit(len(self.folders))
        self._update_remove_button()
        self.remove_requested.emit(folder.path)

    def _show_menu(self, pos: QPoint) -> None:
        menu = self.menu_at(pos)
        if menu is not None:
            menu.exec(self.list.viewport().mapToGlobal(pos))

    def menu_at(self, pos: QPoint) -> QMenu | None:
        """The context menu of the row at ``pos`` (selected first), ``None`` off the rows."""
        item = self.list.itemAt(pos)
        if item is None:
            return None
        self.list.setCurrentItem(item)
        folder = self.selected()
        menu = QMenu(self)
        action = menu.addAction("&Remove from the search", self.remove_selected)
        action.setEnabled(folder is not None and folder.removable)
        return menu
