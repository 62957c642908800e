"""Read every row still readable in a damaged history, around the pages that fail.

SQLite's ``.recover`` is a shell command, not an API, so this reads the damaged file the slow,
safe way: table by table, in rowid ranges of ``CHUNK`` rows. A range that fails is split in
two until the failing rows are single ones, which are skipped; everything around a damaged
page is still read. ``salvage.py`` writes what was read into the current history.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from app.storage.errors import StorageError

CHUNK = 256
_EMPTY_CHUNKS_PAST_END = 64
"""When ``max(rowid)`` cannot be read, scanning stops this many empty chunks past the last row."""
CONVERSATION = (
    "uid, title, title_source, created_at, updated_at, pinned, archived, trashed_at, backend, "
    "model, system_prompt, sampling, private"
)
MESSAGE = (
    "conversation_id, parent_id, role, status, created_at, updated_at, backend, model, usage, "
    "timings, error"
)
PART = "message_id, position, kind, text, blob_sha256, meta"
_READ_ERRORS = (sqlite3.DatabaseError, MemoryError)  # SQLite reports some damage as NOMEM


@dataclass
class Found:
    """Every readable row of the damaged file, grouped by the conversation they belong to."""

    conversations: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    messages: dict[int, list[tuple[int, tuple[Any, ...]]]] = field(default_factory=dict)
    parts: dict[int, list[tuple[Any, ...]]] = field(default_factory=dict)
    leaves: dict[int, int] = field(default_factory=dict)
    unreadable_rows: int = 0
    """Row ids whose read failed (an upper bound: some may have held no row)."""
    cancelled: Callable[[], bool] = lambda: False
    stopped: bool = False


def read_found(source: sqlite3.Connection, cancelled: Callable[[], bool] | None = None) -> Found:
    """Every readable row; once ``cancelled()`` is true (checked between chunks) it stops
    reading, and ``stopped`` says the rows found are not all there are."""
    found = Found(cancelled=cancelled) if cancelled is not None else Found()
    for old_id, row in _rows(source, "conversations", _conversation_columns(source), found):
        found.conversations[old_id] = row
    for old_id, row in _rows(source, "messages", MESSAGE, found):
        found.messages.setdefault(row[0], []).append((old_id, row))
    for _old_id, row in _rows(source, "parts", PART, found):
        found.parts.setdefault(row[0], []).append(row)
    found.leaves = _active_leaves(source, found.conversations)
    return found


def open_read_only(path: Path) -> sqlite3.Connection:
    uri = f"file:{quote(str(path.resolve()))}"
    for flags in ("?mode=ro", "?immutable=1"):  # immutable: a read-only folder (WAL ignored)
        try:
            conn = sqlite3.connect(uri + flags, uri=True, isolation_level=None)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError:
            continue
        except _READ_ERRORS as exc:
            raise StorageError(f"Nothing can be salvaged from {path}: {exc}.") from exc
    raise StorageError(f"{path} cannot be opened to salvage it.")


def _rows(
    conn: sqlite3.Connection, table: str, columns: str, into: Found
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """``(rowid, row)`` of every readable row, in rowid order."""
    try:
        top = conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return
        top = None
    except _READ_ERRORS:
        top = None
    start, last_found, empty = 1, 0, 0
    failed: list[int] = []
    while top is None or start <= top:
        if into.cancelled():
            into.stopped = True
            return
        found = _range(conn, table, columns, start, start + CHUNK - 1, failed)
        yield from found
        if found:
            last_found, empty = found[-1][0], 0
        elif top is None and start > last_found:
            empty += 1
            if empty >= _EMPTY_CHUNKS_PAST_END:
                break
        start += CHUNK
    # Past the last row read, a failed id may never have held a row: count up to there only.
    end = top if top is not None else last_found
    into.unreadable_rows += sum(1 for rowid in failed if rowid <= end)


def _range(
    conn: sqlite3.Connection, table: str, columns: str, low: int, high: int, failed: list[int]
) -> list[tuple[int, tuple[Any, ...]]]:
    """The rows with ids in ``low..high``, splitting the range around ids that fail."""
    try:
        rows = conn.execute(
            f"SELECT rowid, {columns} FROM {table} WHERE rowid BETWEEN ? AND ? ORDER BY rowid",
            (low, high),
        ).fetchall()
        return [(row[0], tuple(row[1:])) for row in rows]
    except _READ_ERRORS:
        if low == high:
            failed.append(low)
            return []
        middle = (low + high) // 2
        return _range(conn, table, columns, low, middle, failed) + _range(
            conn, table, columns, middle + 1, high, failed
        )


def _conversation_columns(conn: sqlite3.Connection) -> str:
    """What to read of a conversation: a file written before the fallback flag had its own
    column keeps it inside ``sampling`` (read as 0 here, moved out when copied)."""
    try:
        names = {row[1] for row in conn.execute("PRAGMA table_info(conversations)")}
    except _READ_ERRORS:
        names = set()
    return f"{CONVERSATION}, {'allow_fallback' if 'allow_fallback' in names else '0'}"


def blob_mimes(conn: sqlite3.Connection) -> dict[str, str]:
    """sha256 → mime from the ``blobs`` table (keyed by hash, so read by hash prefix)."""
    out: dict[str, str] = {}

    def read(prefix: str) -> None:
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        try:
            rows = conn.execute(
                "SELECT sha256, mime FROM blobs WHERE sha256 >= ? AND sha256 < ?", (prefix, upper)
            ).fetchall()
        except _READ_ERRORS:
            if len(prefix) < 4:
                for digit in "0123456789abcdef":
                    read(prefix + digit)
            return
        out.update((sha, mime) for sha, mime in rows if isinstance(mime, str))

    for digit in "0123456789abcdef":
        read(digit)
    return out


def _active_leaves(conn: sqlite3.Connection, old_ids: dict[int, Any]) -> dict[int, int]:
    leaves = {}
    for old_id in old_ids:
        try:
            row = conn.execute(
                "SELECT active_leaf_id FROM conversations WHERE id = ?", (old_id,)
            ).fetchone()
        except _READ_ERRORS:
            continue
        if row and isinstance(row[0], int):
            leaves[old_id] = row[0]
    return leaves
