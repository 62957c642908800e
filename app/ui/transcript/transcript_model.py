"""The transcript as a list model: one row per message, streamed into one row at a time.

Picard's message-log shape: new messages arrive with ``beginInsertRows``, a streamed token
restyles its row with ``dataChanged`` for that row alone, and nothing short of opening another
conversation resets the model (a reset makes the view throw away every cached layout).
Rows hold a small ``TranscriptItem`` so the model knows nothing about storage; the window maps
history messages to items and passes ids through.

Rendering is lazy and cached per row: ``RenderedRole`` renders Markdown the first time the
view asks (only rows that are painted or measured), and a streaming row keeps a
``MarkdownStream`` so each chunk re-renders just the trailing block.

Once any question in the conversation carries document pages, answers render their page
citations as links; each item keeps the pages its message sent, so the
window can show the page a citation names without going back to storage.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractListModel, QByteArray, QModelIndex, QObject, Qt
from PySide6.QtGui import QImage

from app.core.conversation import Message, MessageStatus, Part, Role, TextPart
from app.core.images import PreparedImage
from app.ui.transcript.markdown_render import (
    LIGHT,
    MarkdownStream,
    Rendered,
    RenderTheme,
    render_markdown,
    render_plain,
)
from app.workflows.citations import SentPage, question_shown, sent_pages

ImageLike = PreparedImage | QImage


class TranscriptRole(IntEnum):
    """Item data roles; ``CacheKeyRole`` lets the view cache layouts per row revision."""

    ItemRole = Qt.ItemDataRole.UserRole + 1
    RoleRole = Qt.ItemDataRole.UserRole + 2
    StatusRole = Qt.ItemDataRole.UserRole + 3
    TextRole = Qt.ItemDataRole.UserRole + 4
    ImagesRole = Qt.ItemDataRole.UserRole + 5
    RenderedRole = Qt.ItemDataRole.UserRole + 6
    BranchRole = Qt.ItemDataRole.UserRole + 7
    ErrorRole = Qt.ItemDataRole.UserRole + 8
    MessageIdRole = Qt.ItemDataRole.UserRole + 9
    CacheKeyRole = Qt.ItemDataRole.UserRole + 10


@dataclass(frozen=True)
class TranscriptItem:
    """One message as shown. ``branch_index`` is 0-based; the label reads ``‹ 2/3 ›``."""

    role: Role
    text: str = ""
    images: tuple[ImageLike, ...] = ()
    status: MessageStatus = MessageStatus.COMPLETE
    message_id: str | int | None = None
    branch_index: int = 0
    branch_count: int = 1
    error: str = ""
    badge: str = ""
    """Where a remote answer came from ("La Plateforme", a host); empty for local answers."""
    pages: tuple[SentPage, ...] = ()
    """Document pages this question sent (labelled "p. N"), for citations in later answers."""
    shown: str = ""
    """What the bubble shows when it differs from ``text`` (a document question: one line per
    document, not every page's text); ``text`` stays whole for copying and editing."""
    limit_reached: bool = False
    """The answer stopped at the answer limit: marked as cut, with a Continue action."""
    sent: str = ""
    """Everything the question sent, in order (the app's instructions and the documents' pages,
    images named in brackets), for "Show prompt"; set when ``shown`` hides some of it."""

    @classmethod
    def from_message(
        cls, message: Message, message_id: str | int | None = None, **fields: Any
    ) -> TranscriptItem:
        fields.setdefault("pages", tuple(sent_pages(message.parts)))
        if message.role is Role.USER:
            fields.setdefault("shown", question_shown(message.parts) or "")
            if fields["shown"]:
                fields.setdefault("sent", sent_text(message.parts))
        return cls(
            message.role,
            message.text,
            tuple(message.images),
            message.status,
            message_id,
            **fields,
        )


def sent_text(parts: Sequence[Part]) -> str:
    """The parts as the model reads them: neighbouring texts joined by a blank line (as the
    prompt joins them), each image as ``[image: name]`` where it stands."""
    pieces: list[str] = []
    joined = False  # the last piece is text, and the next text joins it
    for part in parts:
        if isinstance(part, TextPart):
            if not part.text:
                continue
            if joined:
                pieces[-1] += f"\n\n{part.text}"
            else:
                pieces.append(part.text)
            joined = True
        else:
            pieces.append(f"[image: {part.image.name}]")
            joined = False
    return "\n\n".join(pieces)


_keys = itertools.count()


@dataclass
class _Row:
    item: TranscriptItem
    key: int = field(default_factory=lambda: next(_keys))
    revision: int = 0
    rendered: Rendered | None = None
    stream: MarkdownStream | None = None


_GETTERS = {
    TranscriptRole.ItemRole: lambda row: row.item,
    TranscriptRole.RoleRole: lambda row: row.item.role,
    TranscriptRole.StatusRole: lambda row: row.item.status,
    TranscriptRole.ImagesRole: lambda row: row.item.images,
    TranscriptRole.BranchRole: lambda row: (row.item.branch_index, row.item.branch_count),
    TranscriptRole.ErrorRole: lambda row: row.item.error,
    TranscriptRole.MessageIdRole: lambda row: row.item.message_id,
    TranscriptRole.CacheKeyRole: lambda row: (row.key, row.revision),
}


class TranscriptModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []
        self._theme = LIGHT
        self._cite_pages = False  # a question sent document pages: answers link citations

    # --- Qt model interface ---------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        item = row.item
        if role == Qt.ItemDataRole.DisplayRole or role == TranscriptRole.TextRole:
            return item.text
        if role == Qt.ItemDataRole.AccessibleTextRole:
            who = "You" if item.role == Role.USER else "Assistant"
            pictures = f" ({len(item.images)} images)" if item.images else ""
            error = f" Error: {item.error}" if item.error else ""
            return f"{who}{pictures}: {item.text}{error}"
        if role == TranscriptRole.RenderedRole:
            return self._rendered(row)
        getter = _GETTERS.get(role)
        return getter(row) if getter is not None else None

    def roleNames(self) -> dict[int, QByteArray]:
        names = super().roleNames()
        for role in TranscriptRole:
            names[int(role)] = QByteArray(role.name.removesuffix("Role").lower().encode())
        return names

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # --- the window's API -----------------------------------------------------------------

    def set_messages(self, items: Iterable[TranscriptItem]) -> None:
        """Show another conversation (or branch): the one place that resets the model."""
        self.beginResetModel()
        self._rows = [_Row(item) for item in items]
        self._cite_pages = any(row.item.pages for row in self._rows)
        self.endResetModel()

    def append_message(self, item: TranscriptItem) -> int:
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(_Row(item))
        self.endInsertRows()
        if item.pages and not self._cite_pages:
            self._cite_pages = True
            self._rerender_all()
        return row

    def append_text(self, row: int, text: str) -> None:
        """Streaming: grow one message; only its row is reported changed."""
        if text:
            self._update(row, text=self._rows[row].item.text + text)

    def set_text(self, row: int, text: str) -> None:
        self._update(row, text=text)

    def set_status(self, row: int, status: MessageStatus) -> None:
        self._update(row, status=status)

    def set_limit_reached(self, row: int, reached: bool) -> None:
        """Mark (or unmark) an answer as cut at the answer limit."""
        self._update(row, limit_reached=reached)

    def set_error(self, row: int, message: str) -> None:
        """Show an engine error inline on this row, with a retry action."""
        self._update(row, status=MessageStatus.FAILED, error=message)

    def set_branch(self, row: int, index: int, count: int) -> None:
        """Show the "‹ index/count ›" control on a row (the README screenshots script sets it)."""
        self._update(row, branch_index=index, branch_count=count)

    def clear(self) -> None:
        self.set_messages([])

    def item(self, row: int) -> TranscriptItem:
        return self._rows[row].item

    def cache_key(self, row: int) -> tuple[int, int]:
        """(identity, revision) of a row: the view's layout caches are keyed by it.

        A plain Python call: the delegate asks for every row on every relayout, and going
        through ``QModelIndex.data`` (C++ and back) costs several times more."""
        entry = self._rows[row]
        return entry.key, entry.revision

    def items(self) -> Sequence[TranscriptItem]:
        return [row.item for row in self._rows]

    def rendered(self, row: int) -> Rendered:
        return self._rendered(self._rows[row])

    def code_block(self, row: int, index: int) -> str:
        """The text of code block ``index`` in ``row`` (what a ``copy-code:N`` link copies)."""
        blocks = self.rendered(row).code_blocks
        return blocks[index] if 0 <= index < len(blocks) else ""

    @property
    def theme(self) -> RenderTheme:
        return self._theme

    def set_theme(self, theme: RenderTheme) -> None:
        """Light/dark switch: drop every rendering; rows re-render when next painted."""
        if theme == self._theme:
            return
        self._theme = theme
        self._rerender_all()

    def sent_pages_before(self, row: int) -> list[SentPage]:
        """Document pages sent by the questions above ``row``, oldest first."""
        return [page for entry in self._rows[: max(row, 0)] for page in entry.item.pages]

    # --- internals ------------------------------------------------------------------------

    def _rerender_all(self) -> None:
        for row in self._rows:
            row.rendered, row.stream = None, None
            row.revision += 1
        if self._rows:
            last = len(self._rows) - 1
            self.dataChanged.emit(self.index(0), self.index(last), [TranscriptRole.RenderedRole])

    def _update(self, row: int, **changes: Any) -> None:
        entry = self._rows[row]
        before = entry.item
        entry.item = dataclasses.replace(before, **changes)
        self._changed(row, before)

    def _changed(self, row: int, before: TranscriptItem) -> None:
        entry = self._rows[row]
        item = entry.item
        entry.revision += 1
        streaming = item.status == MessageStatus.STREAMING
        if streaming:
            if item.text != before.text:
                entry.rendered = None  # the stream re-renders its tail when next painted
        elif entry.stream is not None:
            # The answer ended: one last, exact rendering (incremental unless references).
            entry.rendered = entry.stream.finish(item.text)
            entry.stream = None
        elif item.text != before.text:
            entry.rendered = None
        index = self.index(row)
        self.dataChanged.emit(index, index, [])

    def _rendered(self, row: _Row) -> Rendered:
        if row.rendered is not None:
            return row.rendered
        item = row.item
        if item.role == Role.USER:
            row.rendered = render_plain(item.shown or item.text)
        elif item.status == MessageStatus.STREAMING:
            if row.stream is None:
                row.stream = MarkdownStream(self._theme, self._cite_pages)
            row.rendered = row.stream.render(item.text)
        else:
            row.rendered = render_markdown(item.text, self._theme, self._cite_pages)
        return row.rendered
