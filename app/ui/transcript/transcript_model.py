"""The transcript as a list model: one row per message, streamed into one row at a time.

Picard's message-log shape: new messages arrive with ``beginInsertRows``, a streamed token
restyles its row with ``dataChanged`` for that row alone, and nothing short of opening another
conversation resets the model (a reset makes the view throw away every cached layout).
Rows hold a small ``TranscriptItem`` so the model knows nothing about storage; the window maps
history messages to items and passes ids through.

Rendering is lazy and cached per row: ``RenderedRole`` renders Markdown the first time the
view asks (only rows that are painted or measured), and a streaming row keeps a
``MarkdownStream`` so each chunk re-renders just the trailing block.

A long conversation opens progressively: ``set_messages`` shows the newest ``OPEN_FIRST``
rows (what the screen can hold) at once and puts the older ones in above them
``OPEN_SLICE`` rows per event-loop pass, so no pass pays for laying out thousands of rows.
The row count lives in C++ (``QStringListModel`` keeps a list of empty strings as long as
the rows): the view asks for it twice per row on every relayout, and a Python ``rowCount``
doubled the cost of each (measured: 2,000 rows 8.4 → 4.5 ms).

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

from PySide6.QtCore import QByteArray, QModelIndex, QObject, QStringListModel, Qt, QTimer, Signal
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
from app.ui.transcript.render_steps import fenced_code, highlight_ahead, warm_highlighters
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
    """Where an answer ran ("Local · CUDA", "La Plateforme", a host); "" when not stored."""
    model: str = ""
    """The short name of the model that wrote an answer ("Pixtral 12B"); "" when unknown."""
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
    unhighlighted: list[tuple[str, str]] | None = None  # code to highlight before rendering


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


OPEN_FIRST = 40
"""Rows shown at once when a conversation opens: more than a screen of short messages."""
OPEN_SLICE = 250
"""Older rows put in per event-loop pass after those (each insertion relays out every row)."""
OPEN_DEFER_MS = 500
"""The longest a view may hold the older rows back (``defer_opening``)."""


class TranscriptModel(QStringListModel):
    """The rows; ``opened`` fires once every row of a conversation being opened is in."""

    opened = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []
        self._waiting: list[TranscriptItem] = []  # older rows not put in yet, oldest first
        self._opener = QTimer(self, interval=0, timeout=self._on_opener_timeout)
        warm_highlighters()  # the usual languages' lexers, off the GUI thread
        self._fallback = QTimer(self, singleShot=True, interval=OPEN_DEFER_MS)
        self._fallback.timeout.connect(self.continue_opening)
        self._theme = LIGHT
        self._cite_pages = False  # a question sent document pages: answers link citations

    # --- Qt model interface ---------------------------------------------------------------

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        item = row.item
        if role == Qt.ItemDataRole.DisplayRole or role == TranscriptRole.TextRole:
            return item.text
        if role == Qt.ItemDataRole.AccessibleTextRole:
            who = "You" if item.role == Role.USER else "Assistant"
            byline = ", ".join(part for part in (item.model, item.badge) if part)
            who += f" ({byline})" if byline else ""
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
        """Show another conversation (or branch): the one place that resets the model.

        The newest ``OPEN_FIRST`` rows come at once; the older ones follow, a slice per
        event-loop pass, above them (``opening`` until then; ``opened`` when done). A view
        told of the reset may ``defer_opening`` until what it shows is laid out."""
        items = list(items)
        self._waiting = items[:-OPEN_FIRST]
        self._rows = [_Row(item) for item in items[-OPEN_FIRST:]]
        self._cite_pages = any(item.pages for item in items)
        self._opener.stop()
        self._fallback.stop()
        if self._waiting:
            self._opener.start()  # before the reset, so that its listeners can defer it
        self.setStringList([""] * len(self._rows))  # resets the model
        if not self._waiting:
            self.opened.emit()

    @property
    def opening(self) -> bool:
        """Older rows of the conversation just opened are still to be put in."""
        return bool(self._waiting)

    @property
    def slicing(self) -> bool:
        """Older rows go in above, a slice a pass, now (row numbers shift each pass)."""
        return self._opener.isActive()

    def defer_opening(self) -> None:
        """Hold the older rows back (each slice relays out every row) while the view lays
        out what is on screen; ``continue_opening`` goes on, or, at the latest, a timer."""
        if self._waiting and self._opener.isActive():
            self._opener.stop()
            self._fallback.start()

    def continue_opening(self) -> None:
        """Put the rows still waiting in, a slice per pass, from now on."""
        self._fallback.stop()
        if self._waiting and not self._opener.isActive():
            self._opener.start()

    def finish_opening(self) -> None:
        """Put every row still waiting in now (a new turn needs the whole conversation)."""
        while self._waiting:
            self._on_opener_timeout(len(self._waiting))

    def _on_opener_timeout(self, count: int = OPEN_SLICE) -> None:
        if not self._waiting:
            self._opener.stop()
            return
        older = self._waiting[-count:]
        del self._waiting[-count:]
        self._rows[:0] = [_Row(item) for item in older]
        self.insertRows(0, len(older))  # the C++ count; the view hears of them here
        if not self._waiting:
            self._opener.stop()
            self._fallback.stop()
            self.opened.emit()

    def append_message(self, item: TranscriptItem) -> int:
        self.finish_opening()
        row = len(self._rows)
        self._rows.append(_Row(item))
        self.insertRows(row, 1)
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

    def set_byline(self, row: int, model: str, badge: str) -> None:
        """Say which model wrote an answer and where it ran (known for sure once it ends)."""
        self._update(row, model=model, badge=badge)

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
        """Every row's item, those still waiting to be put in first."""
        return [*self._waiting, *(row.item for row in self._rows)]

    def rendered(self, row: int) -> Rendered:
        return self._rendered(self._rows[row])

    def is_rendered(self, row: int) -> bool:
        """Whether ``rendered(row)`` is ready (a view renders and lays out in two steps)."""
        return self._rows[row].rendered is not None

    def render_step(self, row: int) -> bool:
        """One bounded piece of rendering ``row``: highlight one of its code blocks, or, once
        none is left, render it (see ``render_steps``). True when it is rendered."""
        entry = self._rows[row]
        item = entry.item
        if entry.rendered is None and item.role is Role.ASSISTANT:
            if entry.unhighlighted is None:
                entry.unhighlighted = fenced_code(item.text)
            if entry.unhighlighted and item.status is not MessageStatus.STREAMING:
                highlight_ahead(entry.unhighlighted.pop(), self._theme.pygments_style)
                return False
        self._rendered(entry)
        return True

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
        above = [*self._waiting, *(entry.item for entry in self._rows[: max(row, 0)])]
        return [page for item in above for page in item.pages]

    # --- internals ------------------------------------------------------------------------

    def _rerender_all(self) -> None:
        for row in self._rows:
            row.rendered, row.stream, row.unhighlighted = None, None, None
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
        entry.unhighlighted = None
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
