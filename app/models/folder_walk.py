"""Walk folders for model files without being trapped by what else lies in them.

The folders searched are the user's: ``models find ~/Downloads`` or a
folder added in the setup assistant can hold symlink loops, a FIFO or device that happens to
be called ``x.gguf``, folders we may not read, or a link to ``/``. A walk must end, must not
block, and must say in one line what it passed over instead of failing with a traceback. So:

* folder links are followed (people link model folders in from other disks) but each real
  folder, known by ``(st_dev, st_ino)``, is listed once, so a loop ends where it closes;
* only regular files are handed out, decided by ``stat`` before anyone opens them (opening a
  FIFO for reading waits for a writer forever);
* an entry that cannot be looked at is recorded with a short reason, never raised;
* a walk stops at a depth, a number of entries and a time budget, and says which.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

MAX_DEPTH = 8  # a user folder like ~ must not turn into a whole-disk crawl
MAX_ENTRIES = 200_000
MAX_SECONDS = 30.0

# Reasons, as the summary line counts them: "skipped 3 entries (symlink loop: 2, …)".
LOOP = "symlink loop"
NOT_REGULAR = "not a regular file"  # a FIFO, socket or device
DENIED = "permission denied"
UNREADABLE = "unreadable"
TOO_DEEP = "too deep"
BROKEN_LINK = "broken link"


@dataclass(frozen=True)
class WalkLimits:
    """How far one walk may go, over all its roots together."""

    max_depth: int = MAX_DEPTH
    max_entries: int = MAX_ENTRIES
    max_seconds: float = MAX_SECONDS


@dataclass(frozen=True)
class FoundFile:
    """A regular file the walk found; ``identity`` is its (st_dev, st_ino), links resolved."""

    path: Path
    identity: tuple[int, int]


class Walk:
    """One walk over several roots sharing its limits; it keeps what it skipped and why."""

    def __init__(
        self, limits: WalkLimits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or WalkLimits()
        self.clock = clock
        self.skipped: list[tuple[Path, str]] = []
        self.stopped = ""  # why the walk ended early, if it did
        self._entries = 0
        self._deadline: float | None = None  # set by the first files() call
        self._visited: set[tuple[int, int]] = set()

    def files(self, root: Path, suffix: str = ".gguf") -> Iterator[FoundFile]:
        """Regular files named ``*suffix`` under ``root``, depth first in name order.

        Folders starting with a dot and the HF cache's ``blobs`` are not entered: the cache's
        ``snapshots`` link to every blob under its real file name.
        """
        if self._deadline is None:
            self._deadline = self.clock() + self.limits.max_seconds
        try:
            info = os.stat(root)
        except OSError as exc:
            self._skip(root, _reason(exc))
            return
        if (info.st_dev, info.st_ino) in self._visited:
            return  # the same folder given twice, or inside a root already searched
        self._visited.add((info.st_dev, info.st_ino))
        stack = [(root, ((info.st_dev, info.st_ino),))]
        while stack:
            folder, ancestors = stack.pop()
            entries = self._list(folder)
            below: list[tuple[Path, tuple[tuple[int, int], ...]]] = []
            for entry in entries:
                if self._out_of_budget():
                    return
                found = self._look_at(entry, ancestors, suffix, below)
                if found is not None:
                    yield found
            stack.extend(reversed(below))

    def summary(self) -> str:
        """One line on what was passed over and why, or "" when nothing was."""
        parts = []
        if self.skipped:
            counts = Counter(reason for _, reason in self.skipped)
            kinds = ", ".join(f"{reason}: {n}" for reason, n in counts.most_common())
            parts.append(
                f"skipped {len(self.skipped)} entr{'y' if len(self.skipped) == 1 else 'ies'} "
                f"({kinds}; first: {self.skipped[0][0]})"
            )
        if self.stopped:
            parts.append(self.stopped)
        return "; ".join(parts)

    def _list(self, folder: Path) -> list[os.DirEntry[str]]:
        room = max(self.limits.max_entries - self._entries, 0) + 1
        try:
            with os.scandir(folder) as listing:
                return sorted(islice(listing, room), key=lambda e: e.name)
        except OSError as exc:
            self._skip(folder, _reason(exc))
            return []

    def _look_at(
        self,
        entry: os.DirEntry[str],
        ancestors: tuple[tuple[int, int], ...],
        suffix: str,
        below: list[tuple[Path, tuple[tuple[int, int], ...]]],
    ) -> FoundFile | None:
        """Classify one entry: a file to hand out, a folder to enter later, or a skip."""
        path = Path(entry.path)
        wanted = entry.name.lower().endswith(suffix)
        try:
            plain_file = not entry.is_symlink() and not entry.is_dir(follow_symlinks=False)
            if plain_file and not wanted:
                return None  # the common case, decided without a stat call
            info = entry.stat()  # follows links
        except OSError as exc:
            reason = _reason(exc)
            if wanted or reason == LOOP:
                self._skip(path, reason)
            return None
        identity = (info.st_dev, info.st_ino)
        if stat.S_ISDIR(info.st_mode):
            if entry.name.startswith(".") or entry.name == "blobs":
                return None
            if identity in ancestors:
                self._skip(path, LOOP)
            elif identity in self._visited:
                pass  # reached again through another link: listed once is enough
            elif len(ancestors) > self.limits.max_depth:
                self._skip(path, TOO_DEEP)
            else:
                self._visited.add(identity)
                below.append((path, (*ancestors, identity)))
            return None
        if not wanted:
            return None
        if not stat.S_ISREG(info.st_mode):
            self._skip(path, NOT_REGULAR)
            return None
        return FoundFile(path, identity)

    def _out_of_budget(self) -> bool:
        if self.stopped:
            return True
        self._entries += 1
        if self._entries > self.limits.max_entries:
            self.stopped = f"stopped after {self.limits.max_entries:,} entries"
        elif self._deadline is not None and self.clock() > self._deadline:
            self.stopped = f"stopped after {self.limits.max_seconds:g} s"
        return bool(self.stopped)

    def _skip(self, path: Path, reason: str) -> None:
        self.skipped.append((path, reason))


def _reason(exc: OSError) -> str:
    """A short reason for the summary line, from the error a look at an entry raised."""
    if exc.errno == errno.ELOOP:
        return LOOP
    if isinstance(exc, PermissionError):
        return DENIED
    if isinstance(exc, FileNotFoundError):
        return BROKEN_LINK
    return UNREADABLE
