"""The history store: conversations, messages in a branch tree, streaming replies, trash.

Branches are a tree: every message has a ``parent_id`` (NULL for the first question), and the
conversation stores ``active_leaf_id``. The messages shown are the path from the root to that
leaf. Editing a question or regenerating an answer adds a *sibling* (same parent) and moves the
active leaf to it, so the earlier version is kept and "‹ 2/3 ›" is the sibling list.

Call the write methods off the GUI thread when they may be slow (``stage_parts`` writes image
files); the transactions themselves are short.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import platformdirs

from app.core.conversation import MessageStatus, Part, Role
from app.settings import APP_NAME
from app.storage import tree
from app.storage.blobs import BlobStore
from app.storage.conversations import ConversationsMixin
from app.storage.database import DB_FILENAME, Database
from app.storage.errors import NotFoundError, StorageError
from app.storage.records import (
    LoadedConversation,
    StagedPart,
    StoredMessage,
    StoredPart,
    auto_title,
    dumps,
    stage_part,
)
from app.storage.streaming import InstanceLock, StreamWriter, recover_interrupted

ACTIVE = -1
"""``parent_id`` default: attach to the conversation's active leaf."""


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


class HistoryStore(ConversationsMixin):
    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        *,
        stream_interval: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.blobs = blobs
        self.clock = clock
        self._instance = InstanceLock(db.path.parent / "instances")
        self.streams = StreamWriter(db, stream_interval, wall_clock=clock)
        recover_interrupted(db, self._instance)

    @classmethod
    def open(
        cls, data_dir: Path | str | None = None, *, verify: bool = False, **kwargs: Any
    ) -> HistoryStore:
        """Open the history in ``data_dir`` (default: the platform's user data folder)."""
        root = Path(data_dir) if data_dir else default_data_dir()
        db = Database.open(root / DB_FILENAME, verify=verify)
        try:
            return cls(db, BlobStore(root / "blobs"), **kwargs)
        except BaseException:
            db.close()
            raise

    @property
    def recovery_notice(self) -> str | None:
        return self.db.recovery_notice

    def close(self) -> None:
        try:
            self.streams.flush()
        finally:
            self._instance.release()
            self.db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Messages --------------------------------------------------------------------------------

    def stage_parts(self, parts: Iterable[Part | StoredPart | StagedPart]) -> list[StagedPart]:
        """Write the parts' blobs to disk (the slow half of saving a message; no lock held)."""
        return [stage_part(part, self.blobs) for part in parts]

    def add_message(
        self,
        conversation_id: int,
        role: Role | str,
        parts: Iterable[Part | StoredPart | StagedPart],
        *,
        parent_id: int | None = ACTIVE,
        status: MessageStatus | str = MessageStatus.COMPLETE,
        backend: str = "",
        model: str = "",
        usage: dict[str, Any] | None = None,
        timings: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> int:
        """Append a message under ``parent_id`` (default: the shown leaf) and show it."""
        staged = self.stage_parts(parts)
        role, status = Role(role), MessageStatus(status)
        now = self.clock()
        with self.db.write() as conn:
            info = conn.execute(
                "SELECT active_leaf_id, title_source, title FROM conversations WHERE id = ?",
                (conversation_id,),
            ).fetchone()
            if info is None:
                raise NotFoundError(f"There is no conversation {conversation_id} in the history.")
            if parent_id == ACTIVE:
                parent_id = info[0]
            elif parent_id is not None:
                owner = conn.execute(
                    "SELECT conversation_id FROM messages WHERE id = ?", (parent_id,)
                ).fetchone()
                if owner is None or owner[0] != conversation_id:
                    raise NotFoundError(f"Message {parent_id} is not in this conversation.")
            cursor = conn.execute(
                f"INSERT INTO messages ({tree.INSERT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    conversation_id,
                    parent_id,
                    role.value,
                    status.value,
                    now,
                    now,
                    backend,
                    model,
                    dumps(usage),
                    dumps(timings),
                    error,
                    self._instance.id if status is MessageStatus.STREAMING else None,
                ),
            )
            message_id = int(cursor.lastrowid or 0)
            tree.insert_parts(conn, self.blobs, message_id, staged)
            title = ""
            if role is Role.USER and info[1] == "auto" and not info[2]:
                title = auto_title([s.part for s in staged])
            conn.execute(
                "UPDATE conversations SET active_leaf_id = ?, updated_at = ?, "
                "title = CASE WHEN ? != '' THEN ? ELSE title END WHERE id = ?",
                (message_id, now, title, title, conversation_id),
            )
        return message_id

    def start_reply(
        self,
        conversation_id: int,
        *,
        parent_id: int | None = ACTIVE,
        backend: str = "",
        model: str = "",
    ) -> int:
        """An empty assistant message marked ``streaming``; feed it with ``append_stream``."""
        message_id = self.add_message(
            conversation_id,
            Role.ASSISTANT,
            [StoredPart.of_text("")],
            parent_id=parent_id,
            status=MessageStatus.STREAMING,
            backend=backend,
            model=model,
        )
        with self.db.read() as conn:
            part_id = conn.execute(
                "SELECT id FROM parts WHERE message_id = ?", (message_id,)
            ).fetchone()[0]
        self.streams.begin(message_id, part_id)
        return message_id

    def resume_reply(self, message_id: int) -> None:
        """Mark a finished answer ``streaming`` again so more text can be appended to it
        (Continue after the answer limit); ``finish_reply`` ends it as before."""
        message = self.get_message(message_id)
        if message.role is not Role.ASSISTANT:
            raise StorageError("Only an answer can be continued.")
        with self.db.write() as conn:
            conn.execute(
                "UPDATE messages SET status = 'streaming', stream_owner = ?, error = NULL, "
                "updated_at = ? WHERE id = ?",
                (self._instance.id, self.clock(), message_id),
            )
        self.streams.flush(message_id)
        self.streams.begin(message_id, self.streams.text_part_id(message_id))

    def append_stream(self, message_id: int, text: str) -> bool:
        """Add streamed text; committed at most ~1 s apart. True when this call committed."""
        return self.streams.append(message_id, text)

    def finish_reply(
        self,
        message_id: int,
        status: MessageStatus | str = MessageStatus.COMPLETE,
        *,
        usage: dict[str, Any] | None = None,
        timings: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Commit the rest of the text and the final status (complete/stopped/failed)."""
        status = MessageStatus(status)

        def apply() -> None:
            self.db.conn.execute(
                "UPDATE messages SET status = ?, usage = coalesce(?, usage), "
                "timings = coalesce(?, timings), error = ?, stream_owner = NULL, updated_at = ? "
                "WHERE id = ?",
                (status.value, dumps(usage), dumps(timings), error, self.clock(), message_id),
            )

        self.streams.finish(message_id, apply)

    def edit_message(self, message_id: int, parts: Iterable[Part | StoredPart | StagedPart]) -> int:
        """A new version of a question, beside the old one; returns the new message's id."""
        message = self.get_message(message_id)
        return self.add_message(
            message.conversation_id, message.role, parts, parent_id=message.parent_id
        )

    def regenerate(self, message_id: int, *, backend: str = "", model: str = "") -> int:
        """A new streaming answer beside ``message_id`` (an answer); the old one is kept."""
        message = self.get_message(message_id)
        if message.role is not Role.ASSISTANT:
            raise StorageError("Only an answer can be regenerated; edit a question instead.")
        return self.start_reply(
            message.conversation_id,
            parent_id=message.parent_id,
            backend=backend or message.backend,
            model=model or message.model,
        )

    def show_sibling(self, message_id: int, index: int) -> int:
        """Show sibling ``index`` of ``message_id`` (0-based) and its newest continuation.

        Returns the new active leaf.
        """
        message = self.get_message(message_id)
        if not 0 <= index < len(message.sibling_ids):
            raise StorageError(f"There is no version {index + 1} of this message.")
        with self.db.write() as conn:
            leaf = tree.newest_leaf(conn, message.sibling_ids[index])
            conn.execute(
                "UPDATE conversations SET active_leaf_id = ? WHERE id = ?",
                (leaf, message.conversation_id),
            )
        return leaf

    def delete_message(self, message_id: int) -> int | None:
        """Delete a message and everything that follows it in its branch, for good.

        Its other versions stay. The conversation then shows the newest remaining version at
        that place, or the branch up to the parent when there is none. Blobs nobody uses any
        more go in the same transaction. Returns the new active leaf (None: nothing left).
        """
        message = self.get_message(message_id)
        with self.blobs.releasing() as parked, self.db.write() as conn:
            subtree = [
                row[0]
                for row in conn.execute(
                    "WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL "
                    "SELECT m.id FROM messages m JOIN sub ON m.parent_id = sub.id) "
                    "SELECT id FROM sub",
                    (message_id,),
                )
            ]
            marks = ",".join("?" * len(subtree))
            hashes = [
                row[0]
                for row in conn.execute(
                    f"SELECT DISTINCT blob_sha256 FROM parts WHERE message_id IN ({marks}) "
                    "AND blob_sha256 IS NOT NULL",
                    subtree,
                )
            ]
            active = conn.execute(
                "SELECT active_leaf_id FROM conversations WHERE id = ?",
                (message.conversation_id,),
            ).fetchone()[0]
            conn.execute(f"DELETE FROM messages WHERE id IN ({marks})", subtree)
            leaf = active
            if active is None or active in subtree:
                others = [i for i in message.sibling_ids if i != message_id]
                leaf = tree.newest_leaf(conn, others[-1]) if others else message.parent_id
            conn.execute(
                "UPDATE conversations SET active_leaf_id = ?, updated_at = ? WHERE id = ?",
                (leaf, self.clock(), message.conversation_id),
            )
            self.blobs.release_unreferenced(conn, hashes, parked)
        return leaf

    def get_message(self, message_id: int) -> StoredMessage:
        with self.db.read() as conn:
            message = tree.read_message(conn, message_id)
        return tree.with_buffered(message, self.streams.buffered_text(message_id))

    def load(self, conversation_id: int) -> LoadedConversation:
        """The conversation and the messages of its shown branch, oldest first."""
        info = self.get_conversation(conversation_id)
        with self.db.read() as conn:
            messages = tree.read_branch(conn, conversation_id)
        messages = [tree.with_buffered(m, self.streams.buffered_text(m.id)) for m in messages]
        return LoadedConversation(info, messages)

    def search(self, query: str, *, limit: int = 20) -> list[Any]:
        from app.storage.search import search

        return search(self.db, query, limit=limit, now=self.clock())

    def collect_garbage(self) -> int:
        """Remove blob files left by crashes (walks the folder: run in the background).

        Not while a damaged history moved aside lies beside this one: its attachments are
        files this history does not know yet, and salvaging it needs them.
        """
        if any(self.db.path.parent.glob(f"{self.db.path.stem}.corrupt-*{self.db.path.suffix}")):
            return 0
        with self.db.read() as conn:
            return self.blobs.collect_garbage(conn)
