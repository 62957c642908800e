"""Copy what is still readable out of a history that was moved aside as damaged.

The damaged file is read whole first (``salvage_reader``: around the pages that fail), then
each conversation goes into the current history with its messages and parts in a short write
transaction of its own, so the app stays usable while a big history is copied, and a copy
stopped half-way leaves whole conversations only:

- conversations keep their uid; one whose uid is already there is skipped (with its
  messages), so salvaging the same file twice copies nothing twice;
- a message whose conversation row was lost goes into a new "Recovered messages" one; a
  message whose parent was lost starts a branch of its own;
- attachments come from the ``blobs`` folder beside the damaged file (the history's own, when
  it was moved aside in place), checked against their sha256; a part whose file is missing or
  altered is left out and counted;
- each salvaged conversation is stamped ``recovered_at`` (it may be incomplete: the list marks
  it), and a date the damage made unreadable becomes the newest readable one of its messages,
  or the time of the salvage.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.storage.blobs import BlobStore, StagedBlob
from app.storage.errors import StorageError
from app.storage.history import HistoryStore
from app.storage.records import (
    OLD_FALLBACK_KEY,
    dumps,
    is_time,
    loads,
    take_old_fallback_flag,
)
from app.storage.salvage_reader import (
    CONVERSATION,
    PART,
    Found,
    blob_mimes,
    open_read_only,
    read_found,
)
from app.storage.tree import INSERT_COLUMNS


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
    stopped: bool = False
    """Stopped before the end (the app was closed): salvaging the file again copies the rest."""

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
        if self.stopped:
            text += " Stopped before the end: recover again to copy the rest."
        return text


def salvage(
    store: HistoryStore,
    damaged: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> SalvageReport:
    """Copy every readable conversation, message and attachment of ``damaged`` into ``store``.

    Safe on a pool thread while the app uses the history: the damaged file is read on a
    connection of its own, and each conversation goes in with its own short write transaction
    (the store's lock is never held for the whole copy). ``progress(done, total)`` is called
    after each conversation; once ``cancelled()`` is true the copy stops between two
    conversations: what was copied is whole, and salvaging the same file again copies the rest.
    """
    damaged = Path(damaged)
    if not damaged.is_file():
        raise StorageError(f"There is no history file to salvage at {damaged}.")
    if damaged.resolve() == store.db.path.resolve():
        raise StorageError(f"{damaged} is the history in use; salvage reads a moved-aside copy.")
    report = SalvageReport(damaged)
    source = open_read_only(damaged)
    try:
        mimes = blob_mimes(source)
        found = read_found(source, cancelled)
    finally:
        source.close()
    report.unreadable_rows += found.unreadable_rows
    if found.stopped:  # stopped while reading: nothing was written yet
        report.stopped = True
        return report
    copier = _Copier(store, BlobStore(damaged.parent / "blobs"), mimes, report, damaged.name)
    order = list(dict.fromkeys([*found.conversations, *found.messages]))
    for done, old_id in enumerate(order, 1):
        if cancelled is not None and cancelled():
            report.stopped = True
            break
        copier.copy(old_id, found)
        if progress is not None:
            progress(done, len(order))
    return report


class _Copier:
    """Inserts salvaged rows one conversation at a time, mapping the damaged file's ids to the
    new ones, with dates the damage made unreadable replaced by the best one known."""

    def __init__(
        self,
        store: HistoryStore,
        source_blobs: BlobStore,
        mimes: dict[str, str],
        report: SalvageReport,
        source_name: str,
    ) -> None:
        self.store = store
        self.source_blobs = source_blobs
        self.mimes = mimes
        self.report = report
        self.source_name = source_name
        self.blobs: dict[str, StagedBlob | None] = {}

    def copy(self, old_id: int, found: Found) -> None:
        """One conversation with its messages and parts, in one short write transaction."""
        row = found.conversations.get(old_id)
        uid = row[0] if row is not None else self._placeholder_uid(old_id)
        if self._present(uid):
            self.report.already_present += 1
            return
        messages = found.messages.get(old_id, [])
        # Attachments are read, checked and written before the transaction: files are slow.
        staged = {
            part[4]: self._blob(part[4], part[2])
            for old_message, _row in messages
            for part in found.parts.get(old_message, [])
            if part[4] is not None
        }
        now = self.store.clock()
        with self.store.db.write() as conn:
            new_id = self._conversation(conn, old_id, row, messages, now)
            if new_id is None:
                return
            ids: dict[int, int] = {}
            fallback = _newest_time(messages) or now
            for old_message, message in messages:
                new_message = self._message(conn, new_id, message, ids, fallback)
                if new_message is None:
                    continue
                ids[old_message] = new_message
                for part in found.parts.get(old_message, []):
                    self._part(conn, new_message, part, staged)
            leaf = ids.get(found.leaves.get(old_id, -1))
            if leaf is None and ids:
                leaf = max(ids.values())
            if leaf is not None:
                conn.execute(
                    "UPDATE conversations SET active_leaf_id = ? WHERE id = ?", (leaf, new_id)
                )

    def _present(self, uid: Any) -> bool:
        with self.store.db.read() as conn:
            return bool(
                conn.execute("SELECT 1 FROM conversations WHERE uid = ?", (uid,)).fetchone()
            )

    def _conversation(
        self,
        conn: sqlite3.Connection,
        old_id: int,
        row: tuple[Any, ...] | None,
        messages: list[tuple[int, tuple[Any, ...]]],
        now: float,
    ) -> int | None:
        if row is None:  # its row was lost: its messages go into a placeholder
            title = f"Recovered messages (conversation {old_id})"
            when = _newest_time(messages) or now
            empty = ("", "", "", "{}", 0, 0)  # backend, model, prompt, sampling, private, fallback
            row = (self._placeholder_uid(old_id), title, "user", when, when, 0, 0, None, *empty)
        sampling = loads(row[11]) if isinstance(row[11], str) else None
        if sampling is not None and OLD_FALLBACK_KEY in sampling:
            allowed = take_old_fallback_flag(sampling) or bool(row[13])
            row = (*row[:11], dumps(sampling), row[12], int(allowed))
        updated = row[4] if is_time(row[4]) else (_newest_time(messages) or now)
        created = row[3] if is_time(row[3]) else updated
        trashed = row[7] if row[7] is None or is_time(row[7]) else now
        row = (*row[:3], created, updated, *row[5:7], trashed, *row[8:], now)
        try:
            cursor = conn.execute(
                f"INSERT INTO conversations ({CONVERSATION}, allow_fallback, recovered_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                row,
            )
        except sqlite3.Error:  # a value the schema refuses: the row is garbage
            self.report.unreadable_rows += 1
            return None
        new_id = int(cursor.lastrowid or 0)
        self.report.conversations += 1
        self.report.new_ids.append(new_id)
        return new_id

    def _message(
        self,
        conn: sqlite3.Connection,
        conversation: int,
        row: tuple[Any, ...],
        ids: dict[int, int],
        fallback: float,
    ) -> int | None:
        status = "interrupted" if row[3] == "streaming" else row[3]  # its writer is long gone
        created = row[4] if is_time(row[4]) else fallback
        updated = row[5] if is_time(row[5]) else created
        values = (conversation, ids.get(row[1]), row[2], status, created, updated, *row[6:])
        try:
            cursor = conn.execute(
                f"INSERT INTO messages ({INSERT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,NULL)",
                values,
            )
        except sqlite3.Error:
            self.report.unreadable_rows += 1
            return None
        self.report.messages += 1
        return int(cursor.lastrowid or 0)

    def _part(
        self,
        conn: sqlite3.Connection,
        message: int,
        row: tuple[Any, ...],
        staged: dict[Any, StagedBlob | None],
    ) -> None:
        sha = row[4]
        if sha is not None:
            blob = staged.get(sha)
            if blob is None:
                self.report.lost_attachments += 1
                return
            self.store.blobs.register(conn, blob)
        try:
            conn.execute(f"INSERT INTO parts ({PART}) VALUES (?,?,?,?,?,?)", (message, *row[1:]))
        except sqlite3.Error:
            self.report.unreadable_rows += 1

    def _placeholder_uid(self, old_conversation: int) -> str:
        """The same for the same lost conversation of the same file: salvaging it twice
        finds it already there instead of copying its messages twice."""
        key = f"{self.source_name}\0{old_conversation}".encode()
        return hashlib.sha256(key).hexdigest()[:32]

    def _blob(self, sha: Any, kind: Any) -> StagedBlob | None:
        """The attachment, in the current store's folder (copied and checked if need be)."""
        if not isinstance(sha, str) or len(sha) != 64:
            return None
        if sha not in self.blobs:
            self.blobs[sha] = self._copy_blob(sha, kind)
        return self.blobs[sha]

    def _copy_blob(self, sha: str, kind: Any) -> StagedBlob | None:
        try:
            path = self.source_blobs.path(sha)
            data = path.read_bytes() if path.is_file() else self.store.blobs.read(sha)
        except (OSError, StorageError):
            return None
        if hashlib.sha256(data).hexdigest() != sha:
            return None
        default = "image/png" if kind == "image" else "application/octet-stream"
        mime = self.mimes.get(sha) or default
        try:
            if not self.store.blobs.exists(sha):
                self.store.blobs.write(data, mime)
        except (OSError, StorageError):
            return None
        self.report.attachments += 1
        return StagedBlob(sha, len(data), mime)


def _newest_time(messages: list[tuple[int, tuple[Any, ...]]]) -> float | None:
    """The latest readable time among a conversation's messages: its best known date."""
    times = [t for _old, row in messages for t in (row[4], row[5]) if is_time(t)]
    return float(max(times)) if times else None
