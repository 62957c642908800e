"""The saved states' folder: least recently used out first, partial writes before all."""

from __future__ import annotations

import os
from pathlib import Path

from app.engine.local import state_folder


def _file(folder: Path, name: str, size: int, mtime: float) -> Path:
    path = folder / name
    path.write_bytes(b"x" * size)
    os.utime(path, (mtime, mtime))
    return path


def test_evicts_the_oldest_first_until_the_folder_fits(tmp_path: Path) -> None:
    oldest = _file(tmp_path, "a.state", 100, 1_000)
    middle = _file(tmp_path, "b.state", 100, 2_000)
    newest = _file(tmp_path, "c.state", 100, 3_000)
    other = _file(tmp_path, "readme.txt", 10_000, 0)  # not ours: never counted or deleted
    assert state_folder.used_bytes(tmp_path) == 300
    assert state_folder.evict(tmp_path, 200) == [oldest]
    assert state_folder.evict(tmp_path, 100) == [middle]
    assert newest.exists() and other.exists()


def test_a_restored_state_is_recent_again(tmp_path: Path) -> None:
    first = _file(tmp_path, "a.state", 100, 1_000)
    second = _file(tmp_path, "b.state", 100, 2_000)
    state_folder.touch(first)
    assert state_folder.evict(tmp_path, 100) == [second]


def test_partial_files_go_first_and_the_kept_file_last(tmp_path: Path) -> None:
    kept = _file(tmp_path, "new.state", 300, 1_000)
    partial = _file(tmp_path, "old.partial", 50, 5_000)
    newer = _file(tmp_path, "b.state", 100, 4_000)
    assert state_folder.evict(tmp_path, 350, keep=kept) == [partial, newer]
    assert state_folder.evict(tmp_path, 100, keep=kept) == [kept]  # alone over budget


def test_clear_deletes_only_state_files(tmp_path: Path) -> None:
    _file(tmp_path, "a.state", 100, 1_000)
    _file(tmp_path, "b.partial", 20, 1_000)
    other = _file(tmp_path, "keep.txt", 5, 1_000)
    assert state_folder.clear(tmp_path) == 120
    assert list(tmp_path.iterdir()) == [other]
    assert state_folder.clear(tmp_path / "missing") == 0
