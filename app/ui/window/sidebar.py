"""The list of conversations: pinned first, then newest in dated groups; a search box; a menu.

Chats are grouped the way people remember them: "Pinned", "Today", "Yesterday", "Previous 7
days", "Previous 30 days", then month names. The group names are drawn above the first chat of
each group rather than being rows of their own, so they can never be selected, arrow keys pass
straight from the last chat of one group to the first of the next, and the model still holds
exactly one row per chat (the window and its tests count chats by rows). The groups are computed
from each chat's ``updated_at`` against an injectable clock, so tests can pin "now".

Rows fit the width they are given: a title too long for a narrow sidebar ends in "…" (its
full text is the tooltip) rather than pushing a horizontal scrollbar under the list. Pinned
chats carry a small painted pin, not an emoji, which many systems' fonts draw as a box. The row
under the mouse (or else the selected one) shows a "…" button that opens the same menu as a
right click; from the keyboard, Shift+F10 or the menu key opens it for the selected row.

The sidebar never reads the database itself: the window hands it rows (``ConversationInfo``
or search hits) produced off the GUI thread, and it reports what the user asked for through
signals. That keeps it testable without a history and keeps disk reads off the GUI thread.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetrics,
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
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.session.session_history import SidebarRow
from app.ui.theme.icons import set_icon
from app.ui.theme.theme import colours, on_change
from app.ui.theme.tokens import MESSAGE_ACTION, type_points

SEARCH_DELAY_MS = 200
IdRole = Qt.ItemDataRole.UserRole + 1
PinnedRole = Qt.ItemDataRole.UserRole + 2
DetailRole = Qt.ItemDataRole.UserRole + 3
GroupRole = Qt.ItemDataRole.UserRole + 4  # the group's name on the first chat of a group, else ""
ROW_PADDING = 6
PIN_WIDTH = 14  # room the pin marker takes at the end of a pinned chat's title
MORE_WIDTH = 26  # room the "…" button takes at the end of the hovered or selected row
HEADER_TOP = 10  # space above a group name, separating it from the group before
HEADER_BOTTOM = 4

Clock = Callable[[], float]


def group_of(updated_at: float, now: float) -> str:
    """The group a chat last used at ``updated_at`` falls in, by local calendar days: a chat
    from 23:59 yesterday is "Yesterday" at 00:01 today, as people count it."""
    today = dt.date.fromtimestamp(now)
    day = dt.date.fromtimestamp(updated_at)
    days = (today - day).days
    if days <= 0:
        return "Today"
    if days == 1:
        return "Yesterday"
    if days <= 7:
        return "Previous 7 days"
    if days <= 30:
        return "Previous 30 days"
    month = day.strftime("%B")
    return month if day.year == today.year else f"{month} {day.year}"


def _header_height(index: QModelIndex | QPersistentModelIndex, font: QFont) -> int:
    """Height of the group name drawn above a row (0 for rows that start no group)."""
    if not index.data(GroupRole):
        return 0
    top = 2 if index.row() == 0 else HEADER_TOP
    return top + QFontMetrics(_header_font(font)).height() + HEADER_BOTTOM


def _header_font(font: QFont) -> QFont:
    header = QFont(font)
    if font.pointSizeF() > 0:
        header.setPointSizeF(type_points("caption", font.pointSizeF()))
    header.setWeight(QFont.Weight.DemiBold)
    return header


def _content_rect(
    option_rect: QRect, index: QModelIndex | QPersistentModelIndex, font: QFont
) -> QRect:
    """The part of a row that is the chat itself: below its group name, if it has one."""
    return option_rect.adjusted(0, _header_height(index, font), 0, 0)


class ConversationDelegate(QStyledItemDelegate):
    """Two lines per chat: the title, and when it was last used (or the search snippet);
    the first chat of a group also draws the group's name above itself."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        # No width of its own: a row asking for the view's width (which includes the vertical
        # scrollbar's strip) makes the list scroll sideways; rows take the width they get.
        line = option.fontMetrics.height()
        return QSize(1, 2 * line + 3 * ROW_PADDING + _header_height(index, option.font))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        palette = option.palette
        group = str(index.data(GroupRole) or "")
        content = _content_rect(option.rect, index, option.font)
        if group:
            header_font = _header_font(option.font)
            painter.setFont(header_font)
            muted = QColor(palette.text().color())
            muted.setAlphaF(0.55)
            painter.setPen(muted)
            band = QRect(
                option.rect.left() + 10,
                option.rect.top(),
                option.rect.width() - 20,
                content.top() - option.rect.top() - HEADER_BOTTOM,
            )
            flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom
            painter.drawText(band, int(flags), group)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        card = content.adjusted(4, 1, -4, -1)
        if selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.highlight())
            painter.drawRoundedRect(card, 6, 6)
        elif hovered:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.alternateBase())
            painter.drawRoundedRect(card, 6, 6)
        text_color = palette.highlightedText() if selected else palette.text()
        rect = content.adjusted(12, ROW_PADDING, -12, -ROW_PADDING)
        title_font = QFont(option.font)
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.setPen(text_color.color())
        metrics = QFontMetrics(title_font)
        pinned = bool(index.data(PinnedRole))
        # The "…" button sits at the end of the hovered or selected row: the title makes room.
        end = MORE_WIDTH if (selected or hovered) else 0
        room = rect.width() - end - (PIN_WIDTH if pinned else 0)
        title = metrics.elidedText(str(index.data()), Qt.TextElideMode.ElideRight, room)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop), title)
        if pinned:
            marker = QRect(
                rect.right() - end - PIN_WIDTH + 4, rect.top(), PIN_WIDTH - 4, metrics.height()
            )
            _paint_pin(painter, marker, text_color.color() if selected else palette.link().color())
        painter.setFont(option.font)
        detail_color = QColor(text_color.color())
        detail_color.setAlphaF(0.65)
        painter.setPen(detail_color)
        detail = option.fontMetrics.elidedText(
            str(index.data(DetailRole) or ""), Qt.TextElideMode.ElideRight, rect.width() - end
        )
        painter.drawText(
            rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom), detail
        )
        painter.restore()


def _paint_pin(painter: QPainter, rect: QRect, color: QColor) -> None:
    """A push pin seen from the side: a round head over a short needle, centred in ``rect``."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    radius = min(rect.width(), rect.height()) / 3.5
    centre = QPointF(rect.center().x() + 0.5, rect.top() + rect.height() * 0.4)
    needle = QPen(color, 1.6)
    needle.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(needle)
    painter.drawLine(centre, QPointF(centre.x(), centre.y() + radius * 2.6))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawEllipse(centre, radius, radius)
    painter.restore()


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


class ConversationListModel(QAbstractListModel):
    """One row per chat (never a row per group name: the groups are drawn, see the module)."""

    def __init__(self, clock: Clock = time.time) -> None:
        super().__init__()
        self._clock = clock
        self._rows: list[SidebarRow] = []
        self._groups: list[str] = []  # per row: the group it starts, or ""

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.title or "New chat"
        if role == DetailRole:
            detail = _plain(row.snippet) if row.snippet else _when(row.updated_at, self._clock())
            return f"Pinned · {detail}" if row.pinned else detail
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.title or "New chat"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{'Pinned, ' if row.pinned else ''}{row.title or 'New chat'}"
        if role == Qt.ItemDataRole.AccessibleDescriptionRole:
            return self.group_at(index.row())
        if role == IdRole:
            return row.conversation_id
        if role == PinnedRole:
            return row.pinned
        if role == GroupRole:
            return self._groups[index.row()]
        return None

    def set_rows(self, rows: list[SidebarRow]) -> None:
        self.beginResetModel()
        searching = any(r.snippet for r in rows)
        # Search hits keep the order of relevance they came in, without dated groups.
        self._rows = (
            list(rows) if searching else sorted(rows, key=lambda r: (not r.pinned, -r.updated_at))
        )
        self._groups = []
        now = self._clock()
        previous = ""
        for row in self._rows:
            group = "" if searching else ("Pinned" if row.pinned else group_of(row.updated_at, now))
            self._groups.append(group if group != previous else "")
            previous = group
        self.endResetModel()

    def group_at(self, row: int) -> str:
        """The group the chat in ``row`` belongs to ("" for search hits)."""
        for number in range(row, -1, -1):
            if self._groups[number]:
                return self._groups[number]
        return ""

    def row_of(self, conversation_id: int) -> int:
        for number, row in enumerate(self._rows):
            if row.conversation_id == conversation_id:
                return number
        return -1


class ConversationList(QListView):
    """The list view, with the group names above rows kept out of clicks and the row menu
    reachable from the keyboard (Shift+F10 or the menu key open it for the selected row)."""

    menu_requested = Signal(QModelIndex, QPoint)  # the chat, where the menu opens (global)

    def _in_header(self, pos: QPoint) -> bool:
        index = self.indexAt(pos)
        if not index.isValid():
            return False
        return not _content_rect(self.visualRect(index), index, self.font()).contains(pos)

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
        content = _content_rect(self.visualRect(index), index, self.font())
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
        content = _content_rect(self.list.visualRect(index), index, self.list.font())
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


def _when(timestamp: float, now: float) -> str:
    age = now - timestamp
    if age < 60:
        return "just now"
    if age < 3600:
        return f"{int(age // 60)} min ago"
    if age < 86400:
        return time.strftime("%H:%M", time.localtime(timestamp))
    return time.strftime("%d %b %Y", time.localtime(timestamp))


def _plain(snippet: str) -> str:
    """Search snippets mark hits with brackets or tags; the list shows plain text."""
    for mark in ("<b>", "</b>", "[", "]"):
        snippet = snippet.replace(mark, "")
    return " ".join(snippet.split())[:80]
