"""The sidebar's model: one row per chat, pinned first, then newest, in dated groups.

Chats are grouped the way people remember them: "Pinned", "Today", "Yesterday", "Previous 7
days", "Previous 30 days", then month names. A group's name is not a row of its own: the first
chat of each group carries it (``GroupRole``) and the delegate draws it above that chat, so the
model holds exactly one row per chat (the window and its tests count chats by rows). The groups
are computed from each chat's ``updated_at`` against an injectable clock, so tests can pin "now".
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from app.ui.session.session_history import SidebarRow

IdRole = Qt.ItemDataRole.UserRole + 1
PinnedRole = Qt.ItemDataRole.UserRole + 2
DetailRole = Qt.ItemDataRole.UserRole + 3
GroupRole = Qt.ItemDataRole.UserRole + 4  # the group's name on the first chat of a group, else ""
RecoveredRole = Qt.ItemDataRole.UserRole + 5  # recovered or damaged: the row carries a mark

RECOVERED = "Recovered"
RECOVERED_TIP = "Recovered from a damaged history: some of this chat may be missing."
DAMAGED = "Damaged"
DAMAGED_TIP = "Part of this chat could not be read; what could not is shown with a stand-in."
UNKNOWN_DATE = "Date unknown"

Clock = Callable[[], float]


def group_of(updated_at: float, now: float) -> str:
    """The group a chat last used at ``updated_at`` falls in, by local calendar days: a chat
    from 23:59 yesterday is "Yesterday" at 00:01 today, as people count it. A damaged date
    (read as 0) is not filed under January 1970."""
    if updated_at <= 0:
        return UNKNOWN_DATE
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


class ConversationListModel(QAbstractListModel):
    """One row per chat (never a row per group name: the groups are drawn, see ``GroupRole``)."""

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
            mark = _mark(row)
            if mark:  # a search hit says it too: what it quotes may be all that is left
                detail = f"{mark[0]} · {detail}"
            return f"Pinned · {detail}" if row.pinned else detail
        if role == Qt.ItemDataRole.ToolTipRole:
            title = row.title or "New chat"
            mark = _mark(row)
            return f"{title}\n{mark[1]}" if mark else title
        if role == Qt.ItemDataRole.AccessibleTextRole:
            mark = _mark(row)
            marks = ("Pinned, " if row.pinned else "") + (f"{mark[0]}, " if mark else "")
            return f"{marks}{row.title or 'New chat'}"
        if role == Qt.ItemDataRole.AccessibleDescriptionRole:
            group = self.group_at(index.row())
            mark = _mark(row)
            return f"{group}. {mark[1]}" if mark else group
        if role == RecoveredRole:
            return bool(_mark(row))
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


def _mark(row: SidebarRow) -> tuple[str, str] | None:
    """The label and the explanation of a chat that may be incomplete, or None."""
    if row.recovered:
        return RECOVERED, RECOVERED_TIP
    if row.damaged:
        return DAMAGED, DAMAGED_TIP
    return None


def _when(timestamp: float, now: float) -> str:
    if timestamp <= 0:
        return UNKNOWN_DATE
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
