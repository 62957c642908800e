"""The history half of ``ChatSession``: the conversation list and the conversation shown.

Every history call runs on one storage thread (a pool of one, so writes keep their order and
the GUI thread never waits on the disk); results come back as signals on the GUI thread. Listing,
opening, renaming, pinning, trashing, exporting, switching a message's version and deleting
live here; ``ChatSession`` adds the turn that writes an answer, which needs the engine.

The branch shown is kept as ``ShownMessage`` pairs: the stored row (ids, siblings, status) and
the engine's view of it (decoded images), so a follow-up turn never re-reads the history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal

from app.core.conversation import Message, Role
from app.engine.base import Usage
from app.storage.errors import NotFoundError
from app.storage.history import HistoryStore
from app.storage.records import ConversationInfo, StoredMessage
from app.ui.common.background import run_in_background


@dataclass(frozen=True)
class SidebarRow:
    """What one line of the conversation list shows (the sidebar draws it)."""

    conversation_id: int
    title: str
    updated_at: float
    pinned: bool = False
    snippet: str = ""
    recovered: bool = False
    """Salvaged out of a damaged history: it may be incomplete."""
    damaged: bool = False
    """A stored value of it could not be read (shown with a stand-in, e.g. no date)."""


def sidebar_row(info: ConversationInfo, snippet: str = "") -> SidebarRow:
    """A chat's line, listed or found by a search: its marks are read here and only here, so
    a search hit shows what the chat's line in the list shows."""
    return SidebarRow(
        info.id,
        info.title,
        info.updated_at,
        info.pinned,
        snippet,
        recovered=info.recovered_at is not None,
        damaged=info.damaged,
    )


@dataclass
class ShownMessage:
    stored: StoredMessage
    core: Message


@dataclass
class OpenedConversation:
    info: ConversationInfo | None
    messages: list[ShownMessage]


class SessionHistory(QObject):
    conversations_listed = Signal(list)  # list[SidebarRow]
    conversation_opened = Signal(object)  # OpenedConversation
    storage_failed = Signal(str)

    def __init__(self, store: HistoryStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.db_pool = QThreadPool(self)
        self.db_pool.setMaxThreadCount(1)
        self.info: ConversationInfo | None = None
        self.messages: list[ShownMessage] = []
        self.last_usage: Usage | None = None  # of the answer written last in what is shown
        self._core: dict[int, Message] = {}
        self._query = ""
        self._closed = False

    @property
    def conversation_id(self) -> int | None:
        return self.info.id if self.info else None

    def refresh_list(self, query: str | None = None) -> None:
        if query is not None:
            self._query = query
        text = self._query

        def work() -> list[SidebarRow]:
            if text:
                hits = self.store.search(text, limit=50)
                return [sidebar_row(hit.conversation, hit.snippet) for hit in hits]
            return [sidebar_row(info) for info in self.store.list_conversations(limit=500)]

        self._db(work, self.conversations_listed.emit)

    def new_chat(self) -> None:
        self.info = None
        self.messages = []
        self.last_usage = None
        self.conversation_opened.emit(OpenedConversation(None, []))

    def open(self, conversation_id: int, *, quiet: bool = False) -> None:
        """Show a conversation; ``quiet`` ignores one that no longer exists (last session's)."""

        def failed(error: Exception) -> None:
            if not (quiet and isinstance(error, NotFoundError)):
                self._on_db_failed(error)

        run_in_background(
            lambda: self._load(conversation_id), self._show, failed, pool=self.db_pool
        )

    def export(
        self, conversation_id: int, out: Path, done: Callable[[], None] | None = None
    ) -> None:
        """Markdown (images in a folder beside it) or lossless JSON, by the file's suffix;
        ``done`` runs on the GUI thread once the file is written (a failure is reported as
        every storage failure is, and ``done`` does not run)."""
        from app.storage.export import export_json, export_markdown

        write = export_json if out.suffix.lower() == ".json" else export_markdown
        finished = (lambda _r: done()) if done is not None else ignore_result
        self._db(lambda: write(self.store, conversation_id, out), finished)

    def rename(self, conversation_id: int, title: str) -> None:
        self._db(lambda: self.store.rename(conversation_id, title), lambda _r: self.refresh_list())

    def set_pinned(self, conversation_id: int, pinned: bool) -> None:
        self._db(
            lambda: self.store.set_pinned(conversation_id, pinned), lambda _r: self.refresh_list()
        )

    def trash(self, conversation_id: int) -> None:
        def done(_result: object) -> None:
            if conversation_id == self.conversation_id:
                self.new_chat()
            self.refresh_list()

        self._db(lambda: self.store.trash(conversation_id), done)

    def update_settings(self, **fields: Any) -> None:
        """Per-conversation system prompt / sampling (saved with the conversation)."""
        if self.info is None:
            return
        cid = self.info.id
        self._db(
            lambda: (self.store.update_conversation(cid, **fields), self._load(cid))[1], self._show
        )

    def set_private(self, private: bool) -> None:
        self.update_settings(private=private)

    def show_sibling(self, message_id: int, delta: int) -> None:
        def work() -> OpenedConversation:
            message = self.store.get_message(message_id)
            index = message.sibling_index + delta
            if 0 <= index < message.sibling_count:
                self.store.show_sibling(message_id, index)
            return self._load(message.conversation_id)

        self._db(work, self._show)

    def delete_message(self, message_id: int) -> None:
        """Delete a message and what follows it in this branch (other versions stay)."""

        def work() -> OpenedConversation:
            cid = self.store.get_message(message_id).conversation_id
            self.store.delete_message(message_id)
            return self._load(cid)

        self._db(work, self._show)

    # ------------------------------------------------------------------------------ private
    def close(self) -> None:
        """Finish pending history writes; later work is ignored."""
        self._closed = True
        self.db_pool.waitForDone(10_000)

    def _db(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        if self._closed:
            return
        run_in_background(work, done, self._on_db_failed, pool=self.db_pool, guard=self)

    def _on_db_failed(self, error: Exception) -> None:
        if not self._closed:
            self.storage_failed.emit(str(error))

    def _core_of(self, stored: StoredMessage) -> Message:
        core = self._core.get(stored.id)
        if core is None or core.status != stored.status:
            core = stored.to_core(self.store.blobs)
            if stored.role is Role.USER:
                self._core[stored.id] = core
        return core

    def _load(self, conversation_id: int) -> OpenedConversation:
        loaded = self.store.load(conversation_id)
        shown = [ShownMessage(m, self._core_of(m)) for m in loaded.messages]
        return OpenedConversation(loaded.info, shown)

    def _show(self, opened: OpenedConversation) -> None:
        self.info = opened.info
        self.messages = opened.messages
        self.last_usage = None
        self.conversation_opened.emit(opened)


def ignore_result(_result: object) -> None:
    pass
