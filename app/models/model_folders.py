"""The model folders the user added by hand, kept in ``model_folders.json``.

A model in a folder of the user's own (not the Hugging Face cache, LM Studio's or Jan's) is
found only when that folder is searched. The setup assistant and Settings → Models both search
these folders, so a folder added in one — or the folder of a model picked with "Choose model
files…" — is listed by the other and after a restart. The file lives beside ``settings.ini``
(as ``models.json`` does) so ``--config`` moves it too. It is outside input: a hand edit or a
damaged file may hold anything, so only a list of sane absolute path strings is believed.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

FILE_NAME = "model_folders.json"
#: More folders than anyone adds by hand; a longer list is a damaged or hostile file.
MAX_FOLDERS = 100
#: Longer than any real path (Linux PATH_MAX is 4096); keeps a bogus entry from costing much.
MAX_PATH_CHARS = 4096


def folders_path(settings_path: str | Path) -> Path:
    """``model_folders.json`` beside the settings file, so ``--config`` moves both together."""
    return Path(settings_path).with_name(FILE_NAME)


def _valid(entry: object) -> Path | None:
    """The entry as an absolute folder path, or ``None`` when it is not a sane one."""
    if not isinstance(entry, str) or not 0 < len(entry) <= MAX_PATH_CHARS or "\0" in entry:
        return None
    path = Path(entry).expanduser()
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
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []  # a damaged file must not stop the search; the next add rewrites it
        if not isinstance(data, list):
            return []
        found: list[Path] = []
        for entry in data[: MAX_FOLDERS * 2]:  # never walk a huge list only to drop most of it
            path = _valid(entry)
            if path is not None and path not in found:
                found.append(path)
        return found[:MAX_FOLDERS]

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
