"""Writing an answer while it streams, and knowing after a crash which answers were cut off.

Tokens are buffered and committed at most ``interval`` seconds apart (about 1 s), so a crash
or power cut loses at most that much text while each commit holds the write lock for about a
millisecond. The buffer is kept when a commit fails (disk full), so nothing
the model produced is dropped before the caller has seen the error.

A message still marked ``streaming`` when a database is opened is only "interrupted" if the
instance that was writing it is gone: each open store holds an OS lock on a file named after
its instance id, and the kernel releases it when the process dies, even by SIGKILL. A second
app instance therefore never marks the first one's live answer as interrupted.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from app.storage.database import Database
from app.storage.errors import NotFoundError, translate

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
try:  # Windows
    import msvcrt
except ImportError:
    msvcrt = None  # type: ignore[assignment]


def _try_lock(handle: IO[bytes]) -> bool:
    try:
        if fcntl is not None:
            # flock (not lockf): held per open file, so two stores in one process exclude too.
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        elif msvcrt is not None:  # pragma: no cover - Windows
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        return True
    except OSError:
        return False


class InstanceLock:
    """Held for the life of a store; its presence means "this instance is still running"."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.id = uuid.uuid4().hex
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._handle: IO[bytes] | None = (self.directory / f"{self.id}.lock").open("wb")
        except OSError as exc:
            raise translate(exc, self.directory) from exc
        _try_lock(self._handle)

    def live_instances(self) -> set[str]:
        """Ids of instances whose lock is held; removes the files of dead ones."""
        alive = {self.id}
        for path in self.directory.glob("*.lock"):
            owner = path.stem
            if owner == self.id:
                continue
            try:
                with path.open("ab") as handle:
                    if not _try_lock(handle):
                        alive.add(owner)
                        continue
                path.unlink()
            except OSError:
                alive.add(owner)  # cannot tell: assume alive rather than interrupt a live answer
        return alive

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
            with contextlib.suppress(OSError):
                (self.directory / f"{self.id}.lock").unlink()


def recover_interrupted(db: Database, lock: InstanceLock) -> int:
    """Mark ``interrupted`` every streaming message whose writer is no longer running."""
    alive = sorted(lock.live_instances())
    marks = ",".join("?" * len(alive))
    with db.write() as conn:
        cursor = conn.execute(
            "UPDATE messages SET status = 'interrupted', stream_owner = NULL WHERE status = "
            f"'streaming' AND (stream_owner IS NULL OR stream_owner NOT IN ({marks}))",
            alive,
        )
        return cursor.rowcount


@dataclass
class _Pending:
    part_id: int
    chunks: list[str] = field(default_factory=list)
    last_commit: float = 0.0


class StreamWriter:
    """Batches ``append`` calls per message and commits them at most ``interval`` apart."""

    def __init__(
        self,
        db: Database,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.interval = interval
        self._clock = clock
        self._wall_clock = wall_clock
        self._pending: dict[int, _Pending] = {}
        self._lock = threading.Lock()

    def begin(self, message_id: int, part_id: int) -> None:
        """Start the clock for a new streaming message (its first commit is ~1 s later)."""
        with self._lock:
            self._pending[message_id] = _Pending(part_id, last_commit=self._clock())

    def append(self, message_id: int, text: str) -> bool:
        """Buffer ``text``; returns True when this call committed the buffer to disk."""
        with self._lock:
            pending = self._pending.get(message_id)
            if pending is None:
                pending = self._pending[message_id] = _Pending(
                    self.text_part_id(message_id), last_commit=self._clock()
                )
            pending.chunks.append(text)
            if self._clock() - pending.last_commit < self.interval:
                return False
            self._commit([message_id])
            return True

    def flush(self, message_id: int | None = None) -> None:
        """Commit buffered text now (all messages, or one); call on finish and on quit."""
        with self._lock:
            ids = list(self._pending) if message_id is None else [message_id]
            self._commit([i for i in ids if i in self._pending])

    def finish(self, message_id: int, apply: Callable[[], None]) -> None:
        """Commit the rest of the text and run ``apply`` (the final status) in one transaction."""
        with self._lock, self.db.write():
            if message_id in self._pending:
                self._commit([message_id])
            apply()
            self._pending.pop(message_id, None)

    def buffered_text(self, message_id: int) -> str:
        """Text received but not yet committed (shown by the UI, kept if a commit fails)."""
        with self._lock:
            pending = self._pending.get(message_id)
            return "".join(pending.chunks) if pending else ""

    def _commit(self, message_ids: list[int]) -> None:
        now = self._wall_clock()
        with self.db.write() as conn:
            for message_id in message_ids:
                pending = self._pending[message_id]
                if not pending.chunks:
                    continue
                conn.execute(
                    "UPDATE parts SET text = coalesce(text, '') || ? WHERE id = ?",
                    ("".join(pending.chunks), pending.part_id),
                )
                conn.execute("UPDATE messages SET updated_at = ? WHERE id = ?", (now, message_id))
        # Only forget the chunks once COMMIT succeeded: a failed write keeps them for retry.
        for message_id in message_ids:
            self._pending[message_id].chunks.clear()
            self._pending[message_id].last_commit = self._clock()

    def text_part_id(self, message_id: int) -> int:
        """The message's last text part, where streamed text goes (made if it has none)."""
        with self.db.read() as conn:
            if (
                conn.execute("SELECT 1 FROM messages WHERE id = ?", (message_id,)).fetchone()
                is None
            ):
                raise NotFoundError(f"There is no message {message_id} in the history.")
            row = conn.execute(
                "SELECT id FROM parts WHERE message_id = ? AND kind = 'text' "
                "ORDER BY position DESC LIMIT 1",
                (message_id,),
            ).fetchone()
        if row is not None:
            return int(row[0])
        with self.db.write() as conn:
            position = conn.execute(
                "SELECT coalesce(max(position) + 1, 0) FROM parts WHERE message_id = ?",
                (message_id,),
            ).fetchone()[0]
            cursor = conn.execute(
                "INSERT INTO parts (message_id, position, kind, text) VALUES (?, ?, 'text', '')",
                (message_id, position),
            )
            return int(cursor.lastrowid or 0)
