"""The list of conversations, a search box above it, and each chat's menu.

The chats come grouped by date (``conversation_model``) and are drawn two lines a row with
their group's name above the first of a group (``conversation_delegate``). The group names are
not rows, so they can never be selected and arrow keys pass straight from the last chat of one
group to the first of the next. The row under the mouse (or else the selected one) shows a "…"
button that opens the same menu as a right click; from the keyboard, Shift+F10 or the menu key
opens it for the selected row.

The sidebar never reads the database itself: the window hands it rows (``ConversationInfo``
or search hits) produced off the GUI thread, and it reports what the user asked for through
signals. That keeps it testable without a history and keeps disk reads off the GUI thread.
"""

from __future__ import annotations

import time

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QContextMenuEvent,
    QIcon,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.session.session_history import SidebarRow
from app.ui.theme.icons import set_icon
from app.ui.theme.theme import colours, on_change
from app.ui.theme.tokens import MESSAGE_ACTION
from app.ui.window.conversation_delegate import MORE_WIDTH, ConversationDelegate, content_rect
from app.ui.window.conversation_model import Clock, ConversationListModel, IdRole, PinnedRole

SEARCH_DELAY_MS = 200


def _magnifier_icon(color: QColor, ratio: float) -> QIcon:
    """A painted magnifying glass for the search field: no emoji (fonts draw some as boxes)
    and no icon theme (Windows and macOS have none), tinted with the theme's muted text."""
    size = 16
    pixmap = QPixmap(int(size * ratio), int(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(color, 1.6)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    painter.drawEllipse(QPointF(6.8, 6.8), 4.3, 4.3)
    painter.drawLine(QPointF(10.0, 10.0), QPointF(13.6, 13.6))
    painter.end()
    return QIcon(pixmap)


class ConversationList(QListView):
    """The list view, with the group names above rows kept out of clicks and the row menu
    reachable from the keyboard (Shift+F10 or the menu key open it for the selected row)."""

    menu_requested = Signal(QModelIndex, QPoint)  # the chat, where the menu opens (global)

    def _in_header(self, pos: QPoint) -> bool:
        index = self.indexAt(pos)
        if not index.isValid():
            return False
        return not content_rect(self.visualRect(index), index, self.font()).contains(pos)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._in_header(event.position().toPoint()):
            event.accept()  # a group name is not a chat: clicking it selects nothing
            return
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._in_header(event.position().toPoint()):
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self._in_header(event.position().toPoint()):
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        shift_f10 = (
            event.key() == Qt.Key.Key_F10 and event.modifiers() == Qt.KeyboardModifier.ShiftModifier
        )
        if shift_f10 or event.key() == Qt.Key.Key_Menu:
            self._request_menu_for_current()
            event.accept()  # accepted: the platform does not add a second menu for the key
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if event.reason() == QContextMenuEvent.Reason.Keyboard:
            self._request_menu_for_current()
            return
        index = self.indexAt(event.pos())
        if index.isValid() and not self._in_header(event.pos()):
            self.menu_requested.emit(index, event.globalPos())

    def _request_menu_for_current(self) -> None:
        index = self.currentIndex()
        if not index.isValid():
            return
        content = content_rect(self.visualRect(index), index, self.font())
        self.menu_requested.emit(index, self.viewport().mapToGlobal(content.bottomLeft()))


NO_CHATS = "No chats yet. Each one you start is kept here, on this computer."
"""What the empty list says before the first chat (a blank box read as broken)."""


class Sidebar(QWidget):
    conversation_selected = Signal(int)
    new_chat_requested = Signal()
    search_changed = Signal(str)
    rename_requested = Signal(int)
    pin_toggled = Signal(int, bool)
    delete_requested = Signal(int)
    export_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None, clock: Clock = time.time) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")  # its background, a step off the chat's (the theme)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.model = ConversationListModel(clock)
        self.menu: QMenu | None = None  # the chat menu open now (or last opened)
        self.new_button = QPushButton("New chat")
        self.new_button.setAccessibleName("New chat")
        shortcut = QKeySequence(QKeySequence.StandardKey.New).toString(
            QKeySequence.SequenceFormat.NativeText
        )
        self.new_button.setToolTip(f"New chat ({shortcut})" if shortcut else "New chat")
        # The theme's stylesheet styles ``QPushButton[primary="true"]`` as the main action.
        self.new_button.setProperty("primary", True)
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search chats")
        self.search_box.setAccessibleName("Search conversations")
        self.search_box.setClearButtonEnabled(True)
        self.search_action = self.search_box.addAction(
            self._search_icon(), QLineEdit.ActionPosition.LeadingPosition
        )
        self.search_action.setToolTip("Search chats")
        on_change(self._on_theme_changed)  # the magnifier follows light and dark
        self._name_search_buttons()
        self.list = ConversationList()
        self.list.setObjectName("conversationList")  # no box: rows on the sidebar itself
        self.list.setModel(self.model)
        self.list.setAccessibleName("Conversations")
        self.list.setItemDelegate(ConversationDelegate(self.list))
        self.list.setMouseTracking(True)
        # Rows that start a group are taller (their group name is drawn above them).
        self.list.setUniformItemSizes(False)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.DefaultContextMenu)
        # The "…" button floats over the row under the mouse, or else the selected row.
        self.more_button = QToolButton(self.list.viewport())
        self.more_button.setObjectName("chatMore")
        set_icon(self.more_button, "more")
        side = MESSAGE_ACTION["icon"]  # the transcript's action glyph size: one look
        self.more_button.setIconSize(QSize(side, side))
        self.more_button.setAutoRaise(True)
        self.more_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keyboard: Shift+F10
        self.more_button.setAccessibleName("Chat actions")
        self.more_button.setToolTip("Rename, pin, export or delete (Shift+F10)")
        self.more_button.setFixedSize(MORE_WIDTH - 2, MORE_WIDTH - 4)
        self.more_button.hide()
        self._hovered = QPersistentModelIndex()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.new_button)
        layout.addWidget(self.search_box)
        # Work on the whole history that runs meanwhile ("Recovering conversations…").
        self.note = QLabel()
        self.note.setObjectName("sidebarNote")
        self.note.setProperty("tone", "muted")  # the theme's muted text
        self.note.setWordWrap(True)
        self.note.hide()
        layout.addWidget(self.note)
        # A search that finds nothing says so where the list would be, not with an empty box.
        self.no_matches = QLabel()
        self.no_matches.setObjectName("noMatches")
        self.no_matches.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.no_matches.setWordWrap(True)
        self.no_matches.setMargin(12)
        muted = self.no_matches.palette()
        grey = QColor(muted.color(QPalette.ColorRole.Text))
        grey.setAlphaF(0.6)
        muted.setColor(QPalette.ColorRole.Text, grey)
        self.no_matches.setPalette(muted)
        self.no_matches.setBackgroundRole(QPalette.ColorRole.Base)
        self.no_matches.setAutoFillBackground(True)
        self.no_matches.setFrameShape(self.list.frameShape())
        self.no_matches.setFrameShadow(self.list.frameShadow())
        self.list_area = QStackedWidget()
        self.list_area.addWidget(self.list)
        self.list_area.addWidget(self.no_matches)
        layout.addWidget(self.list_area, 1)
        self._query = ""  # the search the rows shown answer
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._on_search_timer_timeout)
        self.new_button.clicked.connect(self.new_chat_requested)
        self.search_box.textChanged.connect(lambda _t: self._search_timer.start())
        self.list.clicked.connect(self._on_list_clicked)
        self.list.activated.connect(self._on_list_clicked)
        self.list.menu_requested.connect(self._open_menu)
        self.list.entered.connect(self._on_entered)
        self.list.viewport().installEventFilter(self)
        self.list.verticalScrollBar().valueChanged.connect(lambda _v: self._place_more_button())
        self.model.modelReset.connect(self._on_model_reset)
        self.list.selectionModel().currentChanged.connect(lambda *_: self._place_more_button())
        self.more_button.clicked.connect(self._on_more_clicked)
        delete = QAction("Delete", self.list, shortcut=QKeySequence.StandardKey.Delete)
        delete.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        delete.triggered.connect(self._delete_current)
        self.list.addAction(delete)

    def set_rows(self, rows: list[SidebarRow], current: int | None = None) -> None:
        self.model.set_rows(rows)
        if not rows:  # say why the list is empty, where it would be
            query = self._query
            self.no_matches.setText(f"No chats match \u2018{query}\u2019" if query else NO_CHATS)
            self.list_area.setCurrentWidget(self.no_matches)
        else:
            self.list_area.setCurrentWidget(self.list)
        self.select(current)

    def select(self, conversation_id: int | None) -> None:
        """Highlight the chat shown; ``None`` (a new chat, not saved yet) highlights none, so
        the chat left behind does not look like the one being written in."""
        row = self.model.row_of(conversation_id) if conversation_id is not None else -1
        if row >= 0:
            self.list.setCurrentIndex(self.model.index(row))
        else:
            self.list.selectionModel().clear()
            self.list.setCurrentIndex(QModelIndex())
        self._place_more_button()

    def title_of(self, conversation_id: int) -> str:
        """The title listed for a conversation ("" when it is not in the list shown)."""
        row = self.model.row_of(conversation_id)
        return str(self.model.index(row).data()) if row >= 0 else ""

    def focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Follows the mouse over the list's viewport so the "…" button moves with it, and
        goes back to the selected row when the mouse leaves the list."""
        if watched is self.list.viewport():
            kind = event.type()
            if kind == QEvent.Type.Leave:
                self._hovered = QPersistentModelIndex()
                self._place_more_button()
            elif kind == QEvent.Type.Resize:
                self._place_more_button()
        return super().eventFilter(watched, event)

    def changeEvent(self, event: QEvent) -> None:
        # A palette change may be a light/dark switch: the magnifier follows the muted text.
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "search_action"):
            self.search_action.setIcon(self._search_icon())
        super().changeEvent(event)

    def _name_search_buttons(self) -> None:
        """Screen readers name the search field's two icon buttons: Qt leaves its own clear
        button, and the button it makes for the magnifier action, without a name."""
        for button in self.search_box.findChildren(QToolButton):
            if button.defaultAction() is self.search_action:
                button.setAccessibleName("Search chats")
            else:
                button.setAccessibleName("Clear search")
                button.setToolTip("Clear search")

    def _search_icon(self) -> QIcon:
        return _magnifier_icon(QColor(colours().text_muted), self.devicePixelRatioF())

    def _on_theme_changed(self, _scheme: object) -> None:
        self.search_action.setIcon(self._search_icon())

    def _on_entered(self, index: QModelIndex) -> None:
        self._hovered = QPersistentModelIndex(index)
        self._place_more_button()

    def _on_model_reset(self) -> None:
        self._hovered = QPersistentModelIndex()
        self._place_more_button()

    def _button_index(self) -> QModelIndex:
        """The row the "…" button belongs to: the hovered one, else the selected one."""
        if self._hovered.isValid():
            return self.model.index(self._hovered.row())
        return self.list.currentIndex()

    def _place_more_button(self) -> None:
        index = self._button_index()
        if not index.isValid():
            self.more_button.hide()
            return
        content = content_rect(self.list.visualRect(index), index, self.list.font())
        if not content.intersects(self.list.viewport().rect()):
            self.more_button.hide()
            return
        size = self.more_button.size()
        self.more_button.move(
            content.right() - size.width() - 6, content.center().y() - size.height() // 2
        )
        self.more_button.show()
        self.more_button.raise_()

    def _on_more_clicked(self) -> None:
        index = self._button_index()
        if index.isValid():
            corner = self.more_button.rect().bottomLeft()
            self._open_menu(index, self.more_button.mapToGlobal(corner))

    def show_note(self, text: str) -> None:
        """Say above the list what is happening to the history meanwhile."""
        self.note.setText(text)
        self.note.show()

    def hide_note(self) -> None:
        self.note.hide()

    def _on_search_timer_timeout(self) -> None:
        self._query = self.search_box.text().strip()
        self.search_changed.emit(self._query)

    def _on_list_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.conversation_selected.emit(int(index.data(IdRole)))

    def _delete_current(self) -> None:
        index = self.list.currentIndex()
        if index.isValid():
            self.delete_requested.emit(int(index.data(IdRole)))

    def _open_menu(self, index: QModelIndex, global_pos: QPoint) -> None:
        """The chat's menu (rename, pin, export, delete), from a right click, the "…" button,
        Shift+F10 or the menu key: one menu, so every way in offers the same actions."""
        if not index.isValid():
            return
        conversation_id = int(index.data(IdRole))
        pinned = bool(index.data(PinnedRole))
        if self.menu is not None:
            self.menu.close()
            self.menu.deleteLater()
        menu = QMenu(self)
        menu.addAction("Rename…", lambda: self.rename_requested.emit(conversation_id))
        menu.addAction(
            "Unpin" if pinned else "Pin", lambda: self.pin_toggled.emit(conversation_id, not pinned)
        )
        menu.addAction("Export…", lambda: self.export_requested.emit(conversation_id))
        menu.addSeparator()
        menu.addAction("Delete", lambda: self.delete_requested.emit(conversation_id))
        self.menu = menu
        menu.popup(global_pos)
