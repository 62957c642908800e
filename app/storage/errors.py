"""Storage errors written for people, and the one place that turns SQLite/OS failures into them.

Every write goes through ``translate`` so the window and the CLI can show one actionable
sentence ("The disk is full…") instead of ``sqlite3.OperationalError``.
A write that fails raises before anything is half-written: transactions roll back whole.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from app.core.errors import UserFacingError


class StorageError(UserFacingError):
    """The history could not be read or written."""


class DiskFullError(StorageError):
    """No space left for the history."""


class ReadOnlyError(StorageError):
    """The history folder or file cannot be written."""


class BusyError(StorageError):
    """Another process held the write lock for longer than the busy timeout."""


class CorruptDatabaseError(StorageError):
    """The database file is not SQLite or fails its integrity check."""


class NewerSchemaError(StorageError):
    """The database was written by a newer version of the app."""


class NotFoundError(StorageError):
    """A conversation or message id that does not exist (or no longer does)."""


class ImportFormatError(StorageError):
    """An import file that is not a Pixtral Desk export, with the reason."""


# Primary result codes (the low byte of the extended code), from sqlite3.h.
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26


def disk_full(where: Path | str) -> DiskFullError:
    return DiskFullError(
        f"The disk is full, so the history could not be saved ({where}). "
        "Free some space and try again; nothing already saved was lost."
    )


def read_only(where: Path | str) -> ReadOnlyError:
    return ReadOnlyError(
        f"The history folder is read-only ({where}), so nothing can be saved. "
        "Check its permissions, or choose another folder with --data-dir."
    )


def is_corruption(exc: sqlite3.DatabaseError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return True
    text = str(exc).lower()
    # "vtable constructor failed": FTS5 could not read its own index tables (scribbled pages).
    return "malformed" in text or "not a database" in text or "vtable constructor failed" in text


def translate(exc: BaseException, where: Path | str) -> StorageError:
    """Map a sqlite3 or OS error to the StorageError a person can act on."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, MemoryError):
        return StorageError(
            f"The history could not be read ({where}): SQLite ran out of memory, which can "
            "also mean the file is damaged. Restart Pixtral Desk to check it."
        )
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            return disk_full(where)
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return read_only(where)
        return StorageError(f"The history could not be written ({where}): {exc.strerror or exc}.")
    if isinstance(exc, sqlite3.DatabaseError):
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        text = str(exc).lower()
        if code == _SQLITE_FULL or "disk is full" in text or "database or disk is full" in text:
            return disk_full(where)
        if code == _SQLITE_READONLY or "readonly" in text or "read-only" in text:
            return read_only(where)
        if code in (_SQLITE_BUSY, _SQLITE_LOCKED) or "locked" in text:
            return BusyError(
                "The history is busy in another Pixtral Desk window or command; try again."
            )
        if is_corruption(exc):
            return CorruptDatabaseError(
                f"The history database is damaged ({where}). Restart Pixtral Desk to check it: "
                "a damaged search index is rebuilt; other damage moves the file aside, and what "
                "is still readable in it can be salvaged."
            )
        if code == _SQLITE_CANTOPEN:
            return StorageError(f"The history database cannot be opened ({where}).")
        if code == _SQLITE_IOERR:
            return StorageError(f"The disk reported an error while saving the history ({where}).")
        return StorageError(f"The history could not be saved ({where}): {exc}.")
    return StorageError(f"The history could not be saved ({where}): {exc}.")
