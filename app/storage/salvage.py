"""Copy what is still readable out of a history that was moved aside as damaged.

SQLite's ``.recover`` is a shell command, not an API, so this reads the damaged file the slow,
safe way: table by table, in rowid ranges of ``CHUNK`` rows. A range that fails is split in
two until the failing rows are single ones, which are skipped; everything around a damaged
page is still read. The rows go into the current history in one transaction:

- conversations keep their uid; one whose uid is already there is skipped (with its
  messages), so salvaging the same file twice copies nothing twice;
- a message whose conversation row was lost goes into a new "Recovered messages" one; a
  message whose parent was lost starts a branch of its own;
- attachments come from the ``blobs`` folder beside the damaged file (the history's own, when
  it was moved aside in place), checked against their sha256; a part whose file is missing or
  altered is left out and counted.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from app.storage.blobs import BlobStore, StagedBlob
from app.storage.errors import StorageError
from app.storage.history import HistoryStore
from app.storage.records import OLD_FALLBACK_KEY, dumps, loads, take_old_fallback_flag
from app.storage.tree import INSERT_COLUMNS

CHUNK = 256
_EMPTY_CHUNKS_PAST_END = 64
"""When ``max(rowid)`` cannot be read, scanning stops this many empty chunks past the last row."""
_CONVERSATION = (
    "uid, title, title_source, created_at, updated_at, pinned, archived, trashed_at, backend, "
    "model, system_prompt, sampling, private"
)
_MESSAGE = (
    "conversation_id, parent_id, role, status, created_at, updated_at, backend, model, usage, "
    "timings, error"
)
_PART = "message_id, position, kind, text, blob_sha256, meta"
_READ_ERRORS = (sqlite3.DatabaseError, MemoryError)  # SQLite reports some damage as NOMEM


@dataclass
class SalvageReport:
    source: Path
    conversations: int = 0
    messages: int = 0
    attachments: int = 0
    already_present: int = 0
    unreadable_rows: int = 0
    """Row ids whose read failed (an upper bound: some may have held no row)."""
    lost_attachments: int = 0
    new_ids: list[int] = field(default_factory=list)

    def describe(self) -> str:
        text = (
            f"Salvaged {self.conversations} conversation(s), {self.messages} message(s) and "
            f"{self.attachments} attachment(s) from {self.source}."
        )
        if self.already_present:
            text += f" {self.already_present} conversation(s) were already in the history."
        if self.unreadable_rows or self.lost_attachments:
            text += (
                f" Lost to the damage: up to {self.unreadable_rows} row(s) and "
                f"{self.lost_attachments} attachment(s)."
            )
        return text


def salvage(store: HistoryStore, damaged: Path) -> SalvageReport:
    """Copy every readable conversation, message and attachment of ``damaged`` into ``store``."""
    damaged = Path(damaged)
    if not damaged.is_file():
        raise StorageError(f"There is no history file to salvage at {damaged}.")
    if damaged.resolve() == store.db.path.resolve():
        raise StorageError(f"{damaged} is the history in use; salvage reads a moved-aside copy.")
    report = SalvageReport(damaged)
    source = _open_read_only(damaged)
    try:
        mimes = _blob_mimes(source)
        copier = _Copier(store, BlobStore(damaged.parent / "blobs"), mimes, report)
        with store.db.write() as conn:
            copier.conn = conn
            columns = _conversation_columns(source)
            for old_id, row in _rows(source, "conversations", columns, report):
                copier.conversation(old_id, row)
            for old_id, row in _rows(source, "messages", _MESSAGE, report):
                copier.message(old_id, row)
            for _old_id, row in _rows(source, "parts", _PART, report):
                copier.part(row)
            copier.finish(_active_leaves(source, copier.conversations))
    finally:
        source.close()
    return report


def _open_read_only(path: Path) -> sqlite3.Connection:
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
    conn: sqlite3.Connection, table: str, columns: str, report: SalvageReport
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
    report.unreadable_rows += sum(1 for rowid in failed if rowid <= end)


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
    return f"{_CONVERSATION}, {'allow_fallback' if 'allow_fallback' in names else '0'}"


def _blob_mimes(conn: sqlite3.Connection) -> dict[str, str]:
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


def _active_leaves(conn: sqlite3.Connection, old_ids: dict[int, int]) -> dict[int, int]:
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


class _Copier:
    """Inserts salvaged rows, mapping the damaged file's ids to the new ones."""

    def __init__(
        self, store: HistoryStore, source_blobs: BlobStore, mimes: dict[str, str], report: Any
    ) -> None:
        self.store = store
        self.source_blobs = source_blobs
        self.mimes = mimes
        self.report = report
        self.conn: sqlite3.Connection = store.db.conn
        self.conversations: dict[int, int] = {}
        self.skipped: set[int] = set()
        self.messages: dict[int, int] = {}
        self.newest: dict[int, int] = {}
        self.blobs: dict[str, bool] = {}

    def conversation(self, old_id: int, row: tuple[Any, ...]) -> None:
        if self.conn.execute("SELECT 1 FROM conversations WHERE uid = ?", (row[0],)).fetchone():
            self.skipped.add(old_id)
            self.report.already_present += 1
            return
        sampling = loads(row[11]) if isinstance(row[11], str) else None
        if sampling is not None and OLD_FALLBACK_KEY in sampling:
            allowed = take_old_fallback_flag(sampling) or bool(row[13])
            row = (*row[:11], dumps(sampling), row[12], int(allowed))
        try:
            cursor = self.conn.execute(
                f"INSERT INTO conversations ({_CONVERSATION}, allow_fallback) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                row,
            )
        except sqlite3.Error:  # a value the schema refuses: the row is garbage
            self.report.unreadable_rows += 1
            return
        self.conversations[old_id] = int(cursor.lastrowid or 0)
        self.report.conversations += 1
        self.report.new_ids.append(self.conversations[old_id])

    def message(self, old_id: int, row: tuple[Any, ...]) -> None:
        old_conversation = row[0]
        if old_conversation in self.skipped:
            return
        if old_conversation not in self.conversations:
            self._placeholder(old_conversation)
        status = "interrupted" if row[3] == "streaming" else row[3]  # its writer is long gone
        values = (self.conversations[old_conversation], self.messages.get(row[1]), row[2], status)
        values += row[4:]
        try:
            cursor = self.conn.execute(
                f"INSERT INTO messages ({INSERT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,NULL)",
                values,
            )
        except sqlite3.Error:
            self.report.unreadable_rows += 1
            return
        new_id = int(cursor.lastrowid or 0)
        self.messages[old_id] = new_id
        self.newest[old_conversation] = new_id
        self.report.messages += 1

    def part(self, row: tuple[Any, ...]) -> None:
        message_id = self.messages.get(row[0])
        if message_id is None:
            return
        sha = row[4]
        if sha is not None and not self._blob(sha, row[2]):
            self.report.lost_attachments += 1
            return
        try:
            self.conn.execute(
                f"INSERT INTO parts ({_PART}) VALUES (?,?,?,?,?,?)", (message_id, *row[1:])
            )
        except sqlite3.Error:
            self.report.unreadable_rows += 1

    def finish(self, leaves: dict[int, int]) -> None:
        """Show each conversation's old shown message, or its newest salvaged one."""
        for old_id, new_id in self.conversations.items():
            leaf = self.messages.get(leaves.get(old_id, -1), self.newest.get(old_id))
            if leaf is not None:
                self.conn.execute(
                    "UPDATE conversations SET active_leaf_id = ? WHERE id = ?", (leaf, new_id)
                )

    def _placeholder(self, old_conversation: int) -> None:
        now = self.store.clock()
        cursor = self.conn.execute(
            "INSERT INTO conversations (uid, title, title_source, created_at, updated_at) "
            "VALUES (lower(hex(randomblob(16))), ?, 'user', ?, ?)",
            (f"Recovered messages (conversation {old_conversation})", now, now),
        )
        self.conversations[old_conversation] = int(cursor.lastrowid or 0)
        self.report.conversations += 1
        self.report.new_ids.append(self.conversations[old_conversation])

    def _blob(self, sha: Any, kind: Any) -> bool:
        """The attachment is in the current store (copied and checked if need be)."""
        if not isinstance(sha, str) or len(sha) != 64:
            return False
        if sha not in self.blobs:
            self.blobs[sha] = self._copy_blob(sha, kind)
        return self.blobs[sha]

    def _copy_blob(self, sha: str, kind: Any) -> bool:
        try:
            path = self.source_blobs.path(sha)
            data = path.read_bytes() if path.is_file() else self.store.blobs.read(sha)
        except (OSError, StorageError):
            return False
        if hashlib.sha256(data).hexdigest() != sha:
            return False
        default = "image/png" if kind == "image" else "application/octet-stream"
        mime = self.mimes.get(sha) or default
        if not self.store.blobs.exists(sha):
            self.store.blobs.write(data, mime)
        self.store.blobs.register(self.conn, StagedBlob(sha, len(data), mime))
        self.report.attachments += 1
        return True
