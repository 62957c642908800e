"""The model folders the user added by hand, kept in ``model_folders.json``.

A model in a folder of the user's own (not the Hugging Face cache, LM Studio's or Jan's) is
found only when that folder is searched. The setup assistant and Settings → Models both search
these folders, so a folder added in one — or the folder of a model picked with "Choose model
files…" — is listed by the other and after a restart. The file lives beside ``settings.ini``
(as ``models.json`` does) so ``--config`` moves it too. It is outside input: a hand edit or a
damaged file may hold anything, so only a list of sane absolute path strings is believed, and
a file that is not such a list is said so once in the log (never a crash, never a dialog).

A folder can be forgotten too (``forget_folder``): a USB stick, a temporary download folder or
a mistyped path would otherwise be searched forever. Forgetting deletes no file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

FILE_NAME = "model_folders.json"
#: More folders than anyone adds by hand; a longer list is a damaged or hostile file.
MAX_FOLDERS = 100
#: Longer than any real path (Linux PATH_MAX is 4096); keeps a bogus entry from costing much.
MAX_PATH_CHARS = 4096
#: Twice the largest honest file (``MAX_FOLDERS`` longest paths); a bigger one is not read.
MAX_FILE_BYTES = 2 * MAX_FOLDERS * (MAX_PATH_CHARS + 8)

#: The damaged files already reported, by (path, mtime, size): one log line per damage, not
#: one per search (each refresh reads the file again).
_REPORTED: set[tuple[str, int, int]] = set()


def folders_path(settings_path: str | Path) -> Path:
    """``model_folders.json`` beside the settings file, so ``--config`` moves both together."""
    return Path(settings_path).with_name(FILE_NAME)


def _valid(entry: object) -> Path | None:
    """The entry as an absolute folder path, or ``None`` when it is not a sane one."""
    if not isinstance(entry, str) or not 0 < len(entry) <= MAX_PATH_CHARS or "\0" in entry:
        return None
    try:
        os.fsencode(entry)  # a lone surrogate from a JSON escape names no file on this system
        path = Path(entry).expanduser()
    except (ValueError, RuntimeError):  # RuntimeError: "~nosuchuser" has no home to expand
        return None
    # A relative path would mean a different folder for every working directory.
    return path if path.is_absolute() else None


class ModelFolders:
    """Read and add to the remembered folders; every write replaces the file atomically."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @classmethod
    def beside(cls, settings_path: str | Path) -> ModelFolders:
        return cls(folders_path(settings_path))

    def folders(self) -> list[Path]:
        """The remembered folders, oldest first; ``[]`` when the file is missing or damaged."""
        try:
            stat = self.path.stat()
        except OSError:
            return []  # not written yet (or unreadable: nothing to believe either way)
        if stat.st_size > MAX_FILE_BYTES:
            self._report(stat, f"{stat.st_size:,} bytes, more than {MAX_FILE_BYTES:,}")
            return []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as error:  # [[[[… nested past the stack
            self._report(stat, f"not readable JSON ({error.__class__.__name__})")
            return []
        if not isinstance(data, list):
            self._report(stat, f"a JSON {type(data).__name__}, not a list of folders")
            return []
        found: list[Path] = []
        for entry in data[: MAX_FOLDERS * 2]:  # never walk a huge list only to drop most of it
            path = _valid(entry)
            if path is not None and path not in found:
                found.append(path)
        found = found[:MAX_FOLDERS]
        dropped = len(data) - len(found)
        if dropped:
            self._report(
                stat,
                f"{dropped:,} of {len(data):,} entries ignored (not absolute "
                f"folder paths, repeated, or past the first {MAX_FOLDERS})",
            )
        return found

    def _report(self, stat: os.stat_result, problem: str) -> None:
        """One warning per damaged version of the file; the next add or remove rewrites it."""
        key = (str(self.path), stat.st_mtime_ns, stat.st_size)
        if key not in _REPORTED:
            _REPORTED.add(key)
            log.warning("%s: %s; using what is valid of it", self.path, problem)

    def add(self, folder: str | Path) -> list[Path]:
        """Remember ``folder`` (absolute); the newest stays when the list is full. Returns the
        folders after it; an invalid folder is not saved."""
        path = _valid(str(Path(folder).expanduser().absolute()))
        current = self.folders()
        if path is None:
            return current
        folders = [f for f in current if f != path] + [path]
        folders = folders[-MAX_FOLDERS:]
        if folders != current:
            self._save(folders)
        return folders

    def remove(self, folder: str | Path) -> list[Path]:
        """Stop remembering ``folder`` (no file is touched). Returns the folders after it."""
        path = Path(folder).expanduser()
        current = self.folders()
        folders = [f for f in current if f != path]
        if folders != current:
            self._save(folders)
        return folders

    def _save(self, folders: list[Path]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps([str(f) for f in folders], indent=2), encoding="utf-8")
        os.replace(tmp, self.path)  # a crash mid-write leaves the old file, never half a file


def remembered_folders(store: ModelFolders | None, session: list[Path]) -> list[Path]:
    """The stored folders and this session's, once each: the stored file may have grown
    since (the other page added one), and a folder that could not be saved still counts."""
    stored = store.folders() if store is not None else []
    return stored + [f for f in session if f not in stored]


def remember_folder(store: ModelFolders | None, session: list[Path], folder: str | Path) -> None:
    """Add ``folder`` to this session's list and to the store; a store that cannot be
    written (read-only config folder) must not stop this session's search."""
    path = Path(folder).expanduser().absolute()
    if path not in session:
        session.append(path)
    if store is not None:
        with contextlib.suppress(OSError):
            store.add(path)


def forget_folder(store: ModelFolders | None, session: list[Path], folder: str | Path) -> None:
    """Stop searching ``folder``: drop it from this session's list and from the store.
    Raises ``OSError`` when the store cannot be written (it would come back next start)."""
    path = Path(folder).expanduser()
    session[:] = [f for f in session if f != path]
    if store is not None:
        store.remove(path)


@dataclass(frozen=True)
class SearchedFolder:
    """A folder the model search looks in, as the Models page lists it."""

    path: Path
    #: Whose folder it is when the app always searches it ("Hugging Face cache", "LM Studio"),
    #: ``""`` for one the user added: only those can be removed.
    always: str = ""
    found: bool = True

    @property
    def removable(self) -> bool:
        return not self.always


def searched_folders(own: list[Path], always: list[tuple[str, Path]]) -> list[SearchedFolder]:
    """The folders searched, the always-searched ones first, each marked found or not.

    Checks the disk (a vanished network path may take seconds): call it off the GUI thread.
    """
    listed = [SearchedFolder(path, label) for label, path in always]
    shown = {f.path for f in listed}
    for path in own:
        if path not in shown:
            shown.add(path)
            listed.append(SearchedFolder(path, found=_is_dir(path)))
    return listed


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):  # no permission, or a name this system cannot hold
        return False
