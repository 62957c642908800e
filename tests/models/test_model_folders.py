"""The remembered model folders: round trip, removal, and a hostile file is ignored, never
trusted."""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models.model_folders import (
    MAX_FILE_BYTES,
    MAX_FOLDERS,
    MAX_PATH_CHARS,
    ModelFolders,
    SearchedFolder,
    folders_path,
    forget_folder,
    remember_folder,
    remembered_folders,
    searched_folders,
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


def test_a_removed_folder_is_forgotten_and_its_files_kept(tmp_path: Path) -> None:
    store = ModelFolders.beside(tmp_path / "conf" / "settings.ini")
    (tmp_path / "usb").mkdir()
    (tmp_path / "usb" / "model.gguf").write_bytes(b"GGUF")
    for name in ("a", "usb", "b"):
        store.add(tmp_path / name)
    assert store.remove(tmp_path / "usb") == [tmp_path / "a", tmp_path / "b"]
    assert ModelFolders(store.path).folders() == [tmp_path / "a", tmp_path / "b"]
    assert json.loads(store.path.read_text()) == [str(tmp_path / "a"), str(tmp_path / "b")]
    assert not list(store.path.parent.glob("*.tmp"))  # written through a temporary file
    assert (tmp_path / "usb" / "model.gguf").read_bytes() == b"GGUF"  # no file deleted
    assert store.remove(tmp_path / "never added") == [tmp_path / "a", tmp_path / "b"]


def test_forgetting_drops_the_folder_from_the_session_too(tmp_path: Path) -> None:
    store = ModelFolders(tmp_path / "model_folders.json")
    session: list[Path] = []
    remember_folder(store, session, tmp_path / "usb")
    remember_folder(store, session, tmp_path / "models")
    forget_folder(store, session, tmp_path / "usb")
    assert remembered_folders(store, session) == [tmp_path / "models"]
    forget_folder(None, session, tmp_path / "models")  # no store: this session only
    assert session == []


def test_forgetting_in_a_store_that_cannot_be_written_says_so(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    session = [tmp_path / "usb"]
    store = ModelFolders(blocker / "model_folders.json")
    store.folders = lambda: [tmp_path / "usb"]  # type: ignore[method-assign]
    with pytest.raises(OSError):
        forget_folder(store, session, tmp_path / "usb")


def test_searched_folders_mark_the_missing_and_the_always_searched(tmp_path: Path) -> None:
    (tmp_path / "hub").mkdir()
    (tmp_path / "mine").mkdir()
    listed = searched_folders(
        [tmp_path / "mine", tmp_path / "gone", tmp_path / "hub"],
        [("Hugging Face cache", tmp_path / "hub")],
    )
    assert listed == [
        SearchedFolder(tmp_path / "hub", "Hugging Face cache"),
        SearchedFolder(tmp_path / "mine"),
        SearchedFolder(tmp_path / "gone", found=False),
    ]  # an own folder that is also always searched is listed once, as always searched
    assert [f.removable for f in listed] == [False, True, True]


def test_a_damaged_file_is_logged_once(tmp_path: Path, caplog) -> None:
    path = tmp_path / "model_folders.json"
    path.write_text(json.dumps(["/good", "relative", 7]))
    store = ModelFolders(path)
    with caplog.at_level(logging.WARNING, logger="app.models.model_folders"):
        assert store.folders() == [Path("/good")]
        assert store.folders() == [Path("/good")]  # every search reads it: one line only
    assert len(caplog.records) == 1
    assert "2 of 3 entries ignored" in caplog.records[0].getMessage()


@pytest.mark.parametrize(
    "content",
    [
        "[" * 100_000 + "]" * 100_000,  # nested past Python's stack
        json.dumps(["/x" * 10]) + " " * (MAX_FILE_BYTES + 1),  # too big to read
        json.dumps(["/lone\udc00surrogate", "~nosuchuser-pixtral/x"]),
    ],
    ids=["deep", "huge", "unnameable"],
)
def test_files_that_would_crash_a_naive_reader_are_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "model_folders.json"
    path.write_text(content, encoding="utf-8", errors="surrogatepass")
    assert ModelFolders(path).folders() == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=300),
        lambda inner: st.lists(inner, max_size=20) | st.dictionaries(st.text(), inner),
        max_leaves=60,
    )
)
def test_any_json_gives_a_bounded_list_of_absolute_paths(data: object) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model_folders.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        found = ModelFolders(path).folders()
        assert len(found) <= MAX_FOLDERS and len(set(found)) == len(found)
        assert all(f.is_absolute() and len(str(f)) <= MAX_PATH_CHARS for f in found)
        assert searched_folders(found, []) is not None  # checking them raises nothing either
