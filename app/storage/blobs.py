"""Content-addressed files for images and documents, stored once next to the database.

A message refers to a blob by the sha256 of its bytes, so the user's original file may be
moved or deleted and one screenshot pasted into ten chats costs one file.

Ordering is what keeps rows and files consistent without a shared transaction:
- writing: the file lands first (temp file + fsync + rename, so it is whole or absent), then
  the row is inserted in the caller's transaction; a crash between leaves an orphan file that
  ``collect_garbage`` removes, never a row without its file;
- deleting: inside the transaction that deletes the rows, unreferenced files are renamed into
  ``.trash/``; after COMMIT they are unlinked, after a ROLLBACK renamed back. Another instance
  that adds the same blob takes the write lock first, so it either sees the row (and the file)
  or sees neither and rewrites the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.storage.errors import StorageError, translate

ORPHAN_GRACE_SECONDS = 3600.0
"""Files younger than this may belong to another instance's unfinished write: keep them."""


@dataclass(frozen=True)
class StagedBlob:
    """A blob whose file is written; ``data`` lets the insert rewrite it if a delete raced."""

    sha256: str
    size: int
    mime: str
    data: bytes | None = field(default=None, repr=False, compare=False)


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._tmp = self.root / ".tmp"
        self._trash = self.root / ".trash"

    def path(self, sha256: str) -> Path:
        """Where the blob's file lives (two-letter fan-out keeps folders small)."""
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise StorageError(f"'{sha256}' is not a sha256 hex digest.")
        return self.root / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def read(self, sha256: str) -> bytes:
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError:
            raise StorageError(
                f"An attachment of this conversation is missing from {self.root} ({sha256[:12]}…)."
            ) from None
        except OSError as exc:
            raise translate(exc, self.root) from exc

    def write(self, data: bytes, mime: str = "application/octet-stream") -> StagedBlob:
        """Store ``data`` (idempotent). Slow for large files: call it off the GUI thread."""
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path(sha256)
        if not target.is_file():
            self._write_file(target, data)
        return StagedBlob(sha256, len(data), mime, data)

    def register(self, conn: sqlite3.Connection, blob: StagedBlob) -> None:
        """Insert the blob's row inside the caller's write transaction."""
        if not self.exists(blob.sha256):
            if blob.data is None:
                raise StorageError(
                    f"An attachment was removed while it was being saved ({blob.sha256[:12]}…); "
                    "attach it again."
                )
            self._write_file(self.path(blob.sha256), blob.data)
        conn.execute(
            "INSERT OR IGNORE INTO blobs (sha256, size, mime, created_at) VALUES (?, ?, ?, ?)",
            (blob.sha256, blob.size, blob.mime, time.time()),
        )

    def release_unreferenced(
        self, conn: sqlite3.Connection, candidates: Iterable[str], parked: list[Path]
    ) -> None:
        """Inside a write transaction: drop rows and park files of blobs no part uses any more.

        Parked files are appended to ``parked`` as they move (so a failure half-way still
        knows them); pass it to ``finish_release`` after COMMIT or ``undo_release`` after a
        rollback.
        """
        for sha256 in sorted(set(candidates)):
            used = conn.execute(
                "SELECT 1 FROM parts WHERE blob_sha256 = ? LIMIT 1", (sha256,)
            ).fetchone()
            if used:
                continue
            conn.execute("DELETE FROM blobs WHERE sha256 = ?", (sha256,))
            source = self.path(sha256)
            if source.is_file():
                self._trash.mkdir(parents=True, exist_ok=True)
                target = self._trash / f"{sha256}.{uuid.uuid4().hex[:8]}"
                os.replace(source, target)
                parked.append(target)

    @contextlib.contextmanager
    def releasing(self) -> Iterator[list[Path]]:
        """Wrap a write transaction that releases blobs: undo on failure, delete on success.

        Open it *outside* ``db.write()`` so COMMIT has happened (or failed) before the parked
        files are deleted (or put back).
        """
        parked: list[Path] = []
        try:
            yield parked
        except BaseException:
            self.undo_release(parked)
            raise
        self.finish_release(parked)

    def finish_release(self, parked: Iterable[Path]) -> None:
        for path in parked:
            with contextlib.suppress(OSError):
                path.unlink()

    def undo_release(self, parked: Iterable[Path]) -> None:
        for path in parked:
            with contextlib.suppress(OSError):
                os.replace(path, self.path(path.name.split(".")[0]))

    def collect_garbage(self, conn: sqlite3.Connection, now: float | None = None) -> int:
        """Remove files no row knows (left by crashes); restore parked files still referenced.

        Walks the whole folder, so run it in the background (e.g. once at startup).
        """
        now = time.time() if now is None else now
        removed = 0
        known = {row[0] for row in conn.execute("SELECT sha256 FROM blobs")}
        if self._trash.is_dir():
            for parked in self._trash.iterdir():
                sha256 = parked.name.split(".")[0]
                if sha256 in known and not self.exists(sha256):
                    self.undo_release([parked])
                else:
                    self.finish_release([parked])
                    removed += 1
        for directory in (p for p in self.root.glob("??") if p.is_dir()):
            for file in directory.iterdir():
                if file.name not in known and now - file.stat().st_mtime > ORPHAN_GRACE_SECONDS:
                    with contextlib.suppress(OSError):
                        file.unlink()
                        removed += 1
        if self._tmp.is_dir():
            for file in self._tmp.iterdir():
                if now - file.stat().st_mtime > ORPHAN_GRACE_SECONDS:
                    with contextlib.suppress(OSError):
                        file.unlink()
        return removed

    def _write_file(self, target: Path, data: bytes) -> None:
        """Temp file, fsync, rename, fsync the folder: the blob is whole or absent."""
        try:
            self._tmp.mkdir(parents=True, exist_ok=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._tmp / f"{target.name}.{uuid.uuid4().hex}"
            try:
                with tmp.open("wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, target)
            finally:
                with contextlib.suppress(OSError):
                    tmp.unlink()
            _fsync_dir(target.parent)
        except OSError as exc:
            raise translate(exc, self.root) from exc


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return  # Windows cannot open folders for fsync; NTFS journals the rename itself.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
