"""Reading the message tree: the shown branch, a message with its siblings, newest leaves.

Kept apart from ``history.py`` because these are the hot read paths the benchmark measures
(loading a 2,000-message branch is one recursive query plus one query for its parts).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from app.core.conversation import MessageStatus, Role
from app.storage.blobs import BlobStore
from app.storage.errors import NotFoundError
from app.storage.records import StagedPart, StoredMessage, StoredPart, as_time, dumps, loads

MESSAGE_COLUMNS = (
    "id, conversation_id, parent_id, role, status, created_at, updated_at, backend, model, "
    "usage, timings, error"
)
INSERT_COLUMNS = MESSAGE_COLUMNS.replace("id, ", "", 1) + ", stream_owner"
_PREFIXED = ", ".join("m." + column for column in MESSAGE_COLUMNS.split(", "))


def read_branch(conn: sqlite3.Connection, conversation_id: int) -> list[StoredMessage]:
    """The path from the first message to the conversation's active leaf, oldest first."""
    rows = conn.execute(
        "WITH RECURSIVE path(id, depth) AS ("
        "  SELECT active_leaf_id, 0 FROM conversations WHERE id = ?"
        "  UNION ALL SELECT m.parent_id, path.depth + 1 FROM messages m"
        "  JOIN path ON m.id = path.id WHERE m.parent_id IS NOT NULL)"
        f" SELECT {_PREFIXED} FROM path JOIN messages m ON m.id = path.id"
        " ORDER BY path.depth DESC",
        (conversation_id,),
    ).fetchall()
    children: dict[int | None, list[int]] = {}
    for message_id, parent_id in conn.execute(
        "SELECT id, parent_id FROM messages WHERE conversation_id = ? ORDER BY id",
        (conversation_id,),
    ):
        children.setdefault(parent_id, []).append(message_id)
    parts = parts_of(conn, [row[0] for row in rows])
    return [
        message_from_row(row, parts.get(row[0], []), tuple(children.get(row[2], [row[0]])))
        for row in rows
    ]


def read_message(conn: sqlite3.Connection, message_id: int) -> StoredMessage:
    row = conn.execute(
        f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,)
    ).fetchone()
    if row is None:
        raise NotFoundError(f"There is no message {message_id} in the history.")
    siblings = tuple(
        r[0]
        for r in conn.execute(
            "SELECT id FROM messages WHERE conversation_id = ? AND parent_id IS ? ORDER BY id",
            (row[1], row[2]),
        )
    )
    return message_from_row(row, parts_of(conn, [message_id]).get(message_id, []), siblings)


def insert_parts(
    conn: sqlite3.Connection, blobs: BlobStore, message_id: int, staged: Sequence[StagedPart]
) -> None:
    """Insert a message's parts in order, registering their blobs in the same transaction."""
    for position, item in enumerate(staged):
        if item.blob is not None:
            blobs.register(conn, item.blob)
        part = item.part
        conn.execute(
            "INSERT INTO parts (message_id, position, kind, text, blob_sha256, meta) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (message_id, position, part.kind, part.text, part.sha256, dumps(part.meta or None)),
        )


def newest_leaf(conn: sqlite3.Connection, message_id: int) -> int:
    """Follow the newest child down from ``message_id``: what a switched-to version shows."""
    leaf = message_id
    while True:
        row = conn.execute("SELECT max(id) FROM messages WHERE parent_id = ?", (leaf,)).fetchone()
        if row[0] is None:
            return leaf
        leaf = row[0]


def parts_of(conn: Any, message_ids: list[int]) -> dict[int, list[StoredPart]]:
    out: dict[int, list[StoredPart]] = {}
    for start in range(0, len(message_ids), 500):
        chunk = message_ids[start : start + 500]
        for mid, kind, text, sha, meta in conn.execute(
            "SELECT message_id, kind, text, blob_sha256, meta FROM parts "
            f"WHERE message_id IN ({','.join('?' * len(chunk))}) ORDER BY message_id, position",
            chunk,
        ):
            out.setdefault(mid, []).append(StoredPart(kind, text, sha, loads(meta) or {}))
    return out


def message_from_row(
    row: Sequence[Any], parts: list[StoredPart], siblings: tuple[int, ...]
) -> StoredMessage:
    return StoredMessage(
        id=row[0],
        conversation_id=row[1],
        parent_id=row[2],
        role=Role(row[3]),
        status=MessageStatus(row[4]),
        parts=parts,
        created_at=as_time(row[5]),
        updated_at=as_time(row[6]),
        backend=row[7],
        model=row[8],
        usage=loads(row[9]),
        timings=loads(row[10]),
        error=row[11],
        sibling_ids=siblings,
    )


def with_buffered(message: StoredMessage, buffered: str) -> StoredMessage:
    """Show text received but not yet committed, appended to the last text part."""
    if not buffered:
        return message
    parts = list(message.parts)
    for index in range(len(parts) - 1, -1, -1):
        if parts[index].kind == "text":
            parts[index] = StoredPart.of_text((parts[index].text or "") + buffered)
            break
    message.parts = parts
    return message
