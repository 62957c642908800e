"""The remembered model folders: round trip, and a hostile file is ignored, never trusted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.models.model_folders import (
    MAX_FOLDERS,
    ModelFolders,
    folders_path,
    remember_folder,
    remembered_folders,
)


def test_it_lives_beside_the_settings_file(tmp_path: Path) -> None:
    assert folders_path(tmp_path / "settings.ini") == tmp_path / "model_folders.json"


def test_added_folders_round_trip_once_each_in_order(tmp_path: Path) -> None:
    store = ModelFolders.beside(tmp_path / "conf" / "settings.ini")
    assert store.folders() == []  # no file yet
    store.add(tmp_path / "a")
    store.add(tmp_path / "b")
    store.add(tmp_path / "a")  # again: moves to the end, not listed twice
    again = ModelFolders.beside(tmp_path / "conf" / "settings.ini")
    assert again.folders() == [tmp_path / "b", tmp_path / "a"]
    assert json.loads(again.path.read_text()) == [str(tmp_path / "b"), str(tmp_path / "a")]
    assert not list(again.path.parent.glob("*.tmp"))  # written through a temporary file


def test_a_relative_folder_is_saved_absolute(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = ModelFolders(tmp_path / "model_folders.json")
    assert store.add("models") == [tmp_path / "models"]


@pytest.mark.parametrize(
    "content",
    [
        "not json {",
        '{"folders": ["/x"]}',
        '"/x"',
        "null",
        "[1, true, null, {}, []]",
        json.dumps(["", "relative/path", "/nul\u0000byte", "/" + "x" * 5000]),
        b"\xff\xfe garbage",
    ],
)
def test_hostile_contents_are_ignored(tmp_path: Path, content: str | bytes) -> None:
    path = tmp_path / "model_folders.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    store = ModelFolders(path)
    assert store.folders() == []
    assert store.add(tmp_path / "ok") == [tmp_path / "ok"]  # and the next add repairs the file


def test_good_entries_survive_among_bad_ones(tmp_path: Path) -> None:
    path = tmp_path / "model_folders.json"
    path.write_text(json.dumps([7, "/good/one", "bad", "/good/one", "/good/two"]))
    assert ModelFolders(path).folders() == [Path("/good/one"), Path("/good/two")]


def test_the_list_is_bounded_and_keeps_the_newest(tmp_path: Path) -> None:
    path = tmp_path / "model_folders.json"
    path.write_text(json.dumps([f"/f{i}" for i in range(10_000)]))
    store = ModelFolders(path)
    assert len(store.folders()) == MAX_FOLDERS
    after = store.add("/newest")
    assert len(after) == MAX_FOLDERS and after[-1] == Path("/newest")
    assert Path("/f0") not in after


def test_a_store_that_cannot_be_written_still_lets_the_session_search(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    store = ModelFolders(blocker / "model_folders.json")  # its folder is a file: writes fail
    session: list[Path] = []
    remember_folder(store, session, tmp_path / "models")
    assert remembered_folders(store, session) == [tmp_path / "models"]
    assert remembered_folders(None, session) == [tmp_path / "models"]
