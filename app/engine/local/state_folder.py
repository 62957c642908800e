"""The folder of saved chat states: its size, its byte budget, and clearing it.

Shared by the worker (evicting after each write) and Settings (the size shown, the Clear
button; both run off the GUI thread). Recency is the file's modification time: a state is
touched when it is restored, so least recently used means oldest ``mtime``. Partial files are
writes the worker did not finish (it was stopped): they count, and go first.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from app.engine.local.state_files import PARTIAL, SUFFIX


@dataclass(frozen=True)
class StateFile:
    path: Path
    size: int
    mtime: float


def state_files(folder: Path) -> list[StateFile]:
    """The folder's state files (finished and partial), oldest first."""
    found: list[StateFile] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        if not entry.name.endswith((SUFFIX, PARTIAL)) or not entry.is_file(follow_symlinks=False):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        found.append(StateFile(Path(entry.path), info.st_size, info.st_mtime))
    return sorted(found, key=lambda f: (not f.path.name.endswith(PARTIAL), f.mtime))


def used_bytes(folder: Path) -> int:
    return sum(f.size for f in state_files(folder))


def evict(folder: Path, budget_bytes: int, keep: Path | None = None) -> list[Path]:
    """Delete the least recently used files until the folder fits ``budget_bytes``.

    ``keep`` (the file just written) goes last of all: only when it alone is over budget.
    """
    files = state_files(folder)
    total = sum(f.size for f in files)
    order = [f for f in files if f.path != keep] + [f for f in files if f.path == keep]
    removed: list[Path] = []
    for file in order:
        if total <= budget_bytes:
            break
        try:
            file.path.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            continue
        total -= file.size
        removed.append(file.path)
    return removed


def clear(folder: Path) -> int:
    """Delete every state file; returns the bytes freed."""
    freed = 0
    for file in state_files(folder):
        try:
            file.path.unlink()
            freed += file.size
        except OSError:
            continue
    return freed


def touch(path: Path) -> None:
    """Mark ``path`` as just used (restored), so eviction keeps it longer."""
    with contextlib.suppress(OSError):
        os.utime(path)
