"""Open the history database: WAL, foreign keys, migrations, and the two ways opening fails.

A damaged file (not SQLite, or failing its check) is never silently replaced: it is moved
aside with a timestamp, the new ``Database`` says where (``recovered_from``), and a fresh one
starts; ``salvage.py`` copies what is still readable out of it. Damage confined to the search
index is repaired instead (``repair.py``): the index is rebuilt from the messages. A file
from a newer app version is refused with a clear message and left untouched, because
migrating it "down" would lose data.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from app.storage import repair
from app.storage.errors import (
    CorruptDatabaseError,
    NewerSchemaError,
    StorageError,
    is_corruption,
    translate,
)
from app.storage.schema import MIGRATIONS, SCHEMA_VERSION

DB_FILENAME = "history.sqlite3"
SQLITE_HEADER = b"SQLite format 3\x00"
_log = logging.getLogger(__name__)
BUSY_TIMEOUT_MS = 10_000
"""How long a writer waits for another instance's transaction; ours last milliseconds."""


class Database:
    """One connection, shared by the GUI thread and the background helper under a lock.

    Writes go through ``write()`` (``BEGIN IMMEDIATE`` … ``COMMIT``): taking the write lock up
    front means two app instances queue on ``busy_timeout`` instead of failing with
    SQLITE_BUSY when a reader tries to upgrade.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path, recovered_from: Path | None = None):
        self.conn = conn
        self.path = path
        self.recovered_from = recovered_from
        self.search_rebuilt = False
        """The search index was damaged and rebuilt on open; the conversations were intact."""
        self.last_write_seconds = 0.0
        """How long the last ``write()`` held the write lock (BEGIN to COMMIT), for benchmarks."""
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: Path, *, verify: bool = False) -> Database:
        """Open (creating and migrating as needed) the database at ``path``.

        ``verify`` runs ``PRAGMA quick_check`` too (seconds on a big history, so not by
        default); without it a damaged file is still caught when its header or schema cannot
        be read. Damage found while running leaves a marker that makes the next open verify.
        """
        path = Path(path)
        marker = _check_marker(path)
        verify = verify or marker.exists()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise translate(exc, path.parent) from exc
        recovered_from = None
        search_rebuilt = False
        try:
            try:
                conn = _connect(path, verify)
            except _SearchIndexDamaged:
                _rebuild_search_index(path)
                search_rebuilt = True
                conn = _connect(path, verify=True)  # still damaged: moved aside below
        except _Damaged:
            recovered_from = _move_aside(path)
            conn = _connect(path, verify=False)
        db = cls(conn, path, recovered_from)
        db.search_rebuilt = search_rebuilt
        try:
            db._migrate()
        except BaseException:
            conn.close()
            raise
        if verify:
            with suppress(OSError):
                marker.unlink()
        return db

    @property
    def recovery_notice(self) -> str | None:
        """The sentence to show when a damaged database was moved aside on open."""
        if self.recovered_from is None:
            return None
        return (
            f"The history database was damaged, so it was moved to {self.recovered_from} "
            "and a new, empty history was started. What is still readable in it can be "
            f"copied back: pixtral-desk history salvage '{self.recovered_from}'."
        )

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction; any failure rolls back whole and raises StorageError.

        Nested ``write()`` calls on the same thread join the outer transaction.
        """
        with self._lock:
            conn = self.conn
            if conn.in_transaction:
                yield conn
                return
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc
            started = time.perf_counter()
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    with suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error | OSError | MemoryError):
                    raise self._translate(exc) from exc
                raise
            finally:
                self.last_write_seconds = time.perf_counter() - started

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several SELECTs (WAL readers never block the writer)."""
        with self._lock:
            conn = self.conn
            if conn.in_transaction:
                yield conn
                return
            try:
                conn.execute("BEGIN")
                yield conn
            except (sqlite3.Error, MemoryError) as exc:
                raise self._translate(exc) from exc
            finally:
                if conn.in_transaction:
                    with suppress(sqlite3.Error):
                        conn.execute("COMMIT")

    def integrity_check(self) -> list[str]:
        """``PRAGMA integrity_check`` rows; ``["ok"]`` when the file is sound."""
        with self._lock:
            return [row[0] for row in self.conn.execute("PRAGMA integrity_check")]

    def close(self) -> None:
        with self._lock:
            with suppress(sqlite3.Error):
                # Fold the WAL back so the file can be copied on its own after quitting.
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.conn.close()

    def _translate(self, exc: BaseException) -> StorageError:
        error = translate(exc, self.path)
        # SQLite reports some damage (e.g. a scribbled FTS index) as SQLITE_NOMEM, which
        # Python raises as MemoryError: have the next open check the file to be sure.
        if isinstance(error, CorruptDatabaseError) or isinstance(exc, MemoryError):
            with suppress(OSError):
                _check_marker(self.path).touch()  # the next open runs the full check
        return error

    def _migrate(self) -> None:
        conn = self.conn
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise NewerSchemaError(
                f"The history at {self.path} was written by a newer version of Pixtral Desk "
                f"(schema {version}; this version understands up to {SCHEMA_VERSION}). "
                "Update Pixtral Desk, or use another folder with --data-dir."
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.write():
                # Re-read inside the lock: another instance may have migrated meanwhile.
                if conn.execute("PRAGMA user_version").fetchone()[0] >= target:
                    continue
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
                )
                migration = MIGRATIONS[target - 1]
                migration(conn)
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    (target, migration.__name__.lstrip("_"), time.time()),
                )
                conn.execute(f"PRAGMA user_version = {int(target)}")


class _Damaged(Exception):
    """Internal: the file at the path is not a usable SQLite database."""


class _SearchIndexDamaged(_Damaged):
    """Internal: the check failed, but every table outside the search index passes it."""


def _rebuild_search_index(path: Path) -> None:
    try:
        repair.rebuild_search_index(path, BUSY_TIMEOUT_MS / 1000)
    except MemoryError as exc:
        raise _Damaged from exc
    except sqlite3.DatabaseError as exc:
        if is_corruption(exc) or "already exists" in str(exc):
            raise _Damaged from exc
        raise translate(exc, path) from exc  # busy (another instance): nothing moved aside
    _log.warning("The search index of %s was damaged and has been rebuilt.", path)


def _passes_quick_check(conn: sqlite3.Connection) -> bool:
    try:
        return [row[0] for row in conn.execute("PRAGMA quick_check")] == ["ok"]
    except MemoryError:  # SQLite reports some FTS damage as SQLITE_NOMEM
        return False
    except sqlite3.DatabaseError as exc:
        if is_corruption(exc):
            return False
        raise


def _set_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL, waiting out another instance that is creating the same new file.

    Changing the journal mode needs the database to itself, and SQLite reports "locked" at
    once instead of using the busy timeout when another connection is busy with it (two app
    instances starting on an empty history at the same moment). Retry within the timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _connect(path: Path, verify: bool) -> sqlite3.Connection:
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as handle:
            if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                raise _Damaged
    try:
        conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
    except sqlite3.Error as exc:
        raise translate(exc, path) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # WAL because readers (the sidebar, search) never block the writer streaming an answer,
        # a crash mid-commit leaves the previous state intact, and a second app instance can
        # read and write the same file safely.
        _set_wal(conn)
        # FULL fsyncs the WAL at each commit so a power cut loses nothing committed; streaming
        # commits at most about once a second, so the cost is a few fsyncs per answer.
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if verify and not _passes_quick_check(conn):
            search_only = repair.damage_is_search_only(conn)
            conn.close()
            raise _SearchIndexDamaged if search_only else _Damaged
    except sqlite3.DatabaseError as exc:
        conn.close()
        if is_corruption(exc):
            raise _Damaged from exc
        raise translate(exc, path) from exc
    return conn


def _check_marker(path: Path) -> Path:
    return path.with_name(path.name + ".needs-check")


def _move_aside(path: Path) -> Path:
    """Rename the damaged file (and its WAL/SHM, kept together) to ``name.corrupt-STAMP``."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.corrupt-{stamp}{path.suffix}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.stem}.corrupt-{stamp}-{counter}{path.suffix}")
    try:
        path.rename(target)
        for extra in ("-wal", "-shm"):
            side = path.with_name(path.name + extra)
            if side.exists():
                side.rename(target.with_name(target.name + extra))
    except OSError as exc:
        raise CorruptDatabaseError(
            f"The history database {path} is damaged and could not be moved aside "
            f"({exc.strerror or exc}). Move it away by hand and restart."
        ) from exc
    return target


__all__ = ["DB_FILENAME", "Database", "StorageError"]
