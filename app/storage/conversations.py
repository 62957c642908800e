"""Conversation-level operations of the history store: create, list, rename, pin, trash.

A mixin so ``HistoryStore`` stays one object for the UI while each module stays small; it uses
the store's ``db``, ``blobs`` and ``clock``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from app.storage.blobs import BlobStore
from app.storage.database import Database
from app.storage.errors import NotFoundError, StorageError
from app.storage.records import ConversationInfo, dumps

_UPDATABLE = frozenset(
    {
        "backend",
        "model",
        "system_prompt",
        "sampling",
        "private",
        "pinned",
        "archived",
        "allow_fallback",
    }
)


class ConversationsMixin:
    db: Database
    blobs: BlobStore
    clock: Callable[[], float] = time.time

    def create_conversation(
        self,
        *,
        title: str = "",
        backend: str = "",
        model: str = "",
        system_prompt: str = "",
        sampling: dict[str, Any] | None = None,
        private: bool = False,
    ) -> int:
        now = self.clock()
        with self.db.write() as conn:
            cursor = conn.execute(
                "INSERT INTO conversations (uid, title, title_source, created_at, updated_at, "
                "backend, model, system_prompt, sampling, private) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    uuid.uuid4().hex,
                    title,
                    "user" if title else "auto",
                    now,
                    now,
                    backend,
                    model,
                    system_prompt,
                    dumps(sampling or {}),
                    int(private),
                ),
            )
            return int(cursor.lastrowid or 0)

    def get_conversation(self, conversation_id: int) -> ConversationInfo:
        with self.db.read() as conn:
            row = conn.execute(
                f"SELECT {ConversationInfo.COLUMNS} FROM conversations WHERE id = ?",
                (conversation_id,),
            ).fetchone()
        if row is None:
            raise NotFoundError(f"There is no conversation {conversation_id} in the history.")
        return ConversationInfo.from_row(row)

    def list_conversations(
        self, *, limit: int = 100, offset: int = 0, include_archived: bool = False
    ) -> list[ConversationInfo]:
        """Pinned first, then most recently updated; the trash is excluded."""
        archived = "" if include_archived else "AND archived = 0 "
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT {ConversationInfo.COLUMNS} FROM conversations "
                f"WHERE trashed_at IS NULL {archived}"
                "ORDER BY pinned DESC, updated_at DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [ConversationInfo.from_row(r) for r in rows]

    def list_trash(self) -> list[ConversationInfo]:
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT {ConversationInfo.COLUMNS} FROM conversations "
                "WHERE trashed_at IS NOT NULL ORDER BY trashed_at DESC"
            ).fetchall()
        return [ConversationInfo.from_row(r) for r in rows]

    def update_conversation(self, conversation_id: int, **fields: Any) -> None:
        """Change backend, model, system_prompt, sampling, private, pinned, archived or
        allow_fallback."""
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise TypeError(f"cannot update {', '.join(sorted(unknown))}")
        if "sampling" in fields:
            fields["sampling"] = dumps(fields["sampling"] or {})
        for key in ("private", "pinned", "archived", "allow_fallback"):
            if key in fields:
                fields[key] = int(bool(fields[key]))
        assignments = ", ".join(f"{key} = ?" for key in fields)
        self._update(conversation_id, assignments, tuple(fields.values()))

    def rename(self, conversation_id: int, title: str) -> None:
        """A title the user typed; the automatic title never replaces it."""
        title = " ".join(title.split())
        if not title:
            raise StorageError("A conversation title cannot be empty.")
        self._update(conversation_id, "title = ?, title_source = 'user'", (title,), touch=False)

    def set_pinned(self, conversation_id: int, pinned: bool) -> None:
        self._update(conversation_id, "pinned = ?", (int(pinned),), touch=False)

    def trash(self, conversation_id: int) -> None:
        """Move to the trash (undo with ``restore``); nothing is deleted yet."""
        self._update(conversation_id, "trashed_at = ?", (self.clock(),), touch=False)

    def restore(self, conversation_id: int) -> None:
        self._update(conversation_id, "trashed_at = NULL", (), touch=False)

    def delete_forever(self, conversation_ids: int | Iterable[int]) -> None:
        """Delete rows and the blobs nobody else uses, in one transaction."""
        ids = [conversation_ids] if isinstance(conversation_ids, int) else list(conversation_ids)
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        with self.blobs.releasing() as parked, self.db.write() as conn:
            hashes = [
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT p.blob_sha256 FROM parts p JOIN messages m "
                    f"ON m.id = p.message_id WHERE m.conversation_id IN ({marks}) "
                    "AND p.blob_sha256 IS NOT NULL",
                    ids,
                )
            ]
            conn.execute(f"DELETE FROM conversations WHERE id IN ({marks})", ids)
            self.blobs.release_unreferenced(conn, hashes, parked)

    def _update(
        self, conversation_id: int, assignments: str, values: tuple[Any, ...], touch: bool = True
    ) -> None:
        if touch:
            assignments += ", updated_at = ?"
            values = (*values, self.clock())
        with self.db.write() as conn:
            cursor = conn.execute(
                f"UPDATE conversations SET {assignments} WHERE id = ?", (*values, conversation_id)
            )
            if cursor.rowcount == 0:
                raise NotFoundError(f"There is no conversation {conversation_id} in the history.")
