"""The list of conversations: pinned first, then newest; a search box; a context menu.

Rows fit the width they are given: a title too long for a narrow sidebar ends in "…" (its
full text is the tooltip) rather than pushing a horizontal scrollbar under the list. Pinned
chats carry a small painted pin, not an emoji, which many systems' fonts draw as a box.

The sidebar never reads the database itself: the window hands it rows (``ConversationInfo``
or search hits) produced off the GUI thread, and it reports what the user asked for through
signals. That keeps it testable without a history and keeps disk reads off the GUI thread.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
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
    QFont,
    QFontMetrics,
    QKeySequence,
    QPainter,
    QPalette,
    QPen,
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
    QVBoxLayout,
    QWidget,
)

from app.ui.session.session_history import SidebarRow

SEARCH_DELAY_MS = 200
IdRole = Qt.ItemDataRole.UserRole + 1
PinnedRole = Qt.ItemDataRole.UserRole + 2
DetailRole = Qt.ItemDataRole.UserRole + 3
ROW_PADDING = 6
PIN_WIDTH = 14  # room the pin marker takes at the end of a pinned chat's title


class ConversationDelegate(QStyledItemDelegate):
    """Two lines per chat: the title, and when it was last used (or the search snippet)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        # No width of its own: a row asking for the view's width (which includes the vertical
        # scrollbar's strip) makes the list scroll sideways; rows take the width they get.
        line = option.fontMetrics.height()
        return QSize(1, 2 * line + 3 * ROW_PADDING)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        if selected:
            painter.fillRect(option.rect, palette.highlight())
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(option.rect, palette.alternateBase())
        text_color = palette.highlightedText() if selected else palette.text()
        rect = option.rect.adjusted(10, ROW_PADDING, -10, -ROW_PADDING)
        title_font = QFont(option.font)
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.setPen(text_color.color())
        metrics = QFontMetrics(title_font)
        pinned = bool(index.data(PinnedRole))
        room = rect.width() - (PIN_WIDTH if pinned else 0)
        title = metrics.elidedText(str(index.data()), Qt.TextElideMode.ElideRight, room)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop), title)
        if pinned:
            marker = QRect(
                rect.right() - PIN_WIDTH + 4, rect.top(), PIN_WIDTH - 4, metrics.height()
            )
            _paint_pin(painter, marker, text_color.color() if selected else palette.link().color())
        painter.setFont(option.font)
        detail_color = QColor(text_color.color())
        detail_color.setAlphaF(0.65)
        painter.setPen(detail_color)
        detail = option.fontMetrics.elidedText(
            str(index.data(DetailRole) or ""), Qt.TextElideMode.ElideRight, rect.width()
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


class ConversationListModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self._rows: list[SidebarRow] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.title or "New chat"
        if role == DetailRole:
            detail = _plain(row.snippet) if row.snippet else _when(row.updated_at)
            return f"Pinned · {detail}" if row.pinned else detail
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.title or "New chat"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{'Pinned, ' if row.pinned else ''}{row.title or 'New chat'}"
        if role == IdRole:
            return row.conversation_id
        if role == PinnedRole:
            return row.pinned
        return None

    def set_rows(self, rows: list[SidebarRow]) -> None:
        self.beginResetModel()
        self._rows = (
            sorted(rows, key=lambda r: (not r.pinned, -r.updated_at))
            if not any(r.snippet for r in rows)
            else list(rows)
        )
        self.endResetModel()

    def row_of(self, conversation_id: int) -> int:
        for number, row in enumerate(self._rows):
            if row.conversation_id == conversation_id:
                return number
        return -1


class Sidebar(QWidget):
    conversation_selected = Signal(int)
    new_chat_requested = Signal()
    search_changed = Signal(str)
    rename_requested = Signal(int)
    pin_toggled = Signal(int, bool)
    delete_requested = Signal(int)
    export_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ConversationListModel()
        self.new_button = QPushButton("New chat")
        self.new_button.setAccessibleName("New chat")
        self.new_button.setToolTip("Start a new conversation (Ctrl+N)")
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search chats")
        self.search_box.setAccessibleName("Search conversations")
        self.search_box.setClearButtonEnabled(True)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setAccessibleName("Conversations")
        self.list.setItemDelegate(ConversationDelegate(self.list))
        self.list.setMouseTracking(True)
        self.list.setUniformItemSizes(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.new_button)
        layout.addWidget(self.search_box)
        # A search that finds nothing says so where the list would be, not with an empty box.
        self.no_matches = QLabel()
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
        self.list.customContextMenuRequested.connect(self._on_list_context_menu)
        delete = QAction("Delete", self.list, shortcut=QKeySequence.StandardKey.Delete)
        delete.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        delete.triggered.connect(self._delete_current)
        self.list.addAction(delete)

    def set_rows(self, rows: list[SidebarRow], current: int | None = None) -> None:
        self.model.set_rows(rows)
        if self._query and not rows:
            self.no_matches.setText(f"No chats match \u2018{self._query}\u2019")
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

    def title_of(self, conversation_id: int) -> str:
        """The title listed for a conversation ("" when it is not in the list shown)."""
        row = self.model.row_of(conversation_id)
        return str(self.model.index(row).data()) if row >= 0 else ""

    def focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

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

    def _on_list_context_menu(self, pos: Any) -> None:
        index = self.list.indexAt(pos)
        if not index.isValid():
            return
        conversation_id = int(index.data(IdRole))
        pinned = bool(index.data(PinnedRole))
        menu = QMenu(self)
        menu.addAction("Rename…", lambda: self.rename_requested.emit(conversation_id))
        menu.addAction(
            "Unpin" if pinned else "Pin", lambda: self.pin_toggled.emit(conversation_id, not pinned)
        )
        menu.addAction("Export…", lambda: self.export_requested.emit(conversation_id))
        menu.addSeparator()
        menu.addAction("Delete", lambda: self.delete_requested.emit(conversation_id))
        menu.popup(self.list.viewport().mapToGlobal(pos))


def _when(timestamp: float) -> str:
    age = time.time() - timestamp
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
