"""Damage only search reads rebuilds the index; other damage moves the file aside, and what is
readable in it can be salvaged. Pages are scribbled in a real file."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from app.core.conversation import ImagePart, TextPart
from app.storage.database import DB_FILENAME, Database
from app.storage.errors import BusyError, StorageError
from app.storage.history import HistoryStore
from app.storage.salvage import salvage
from tests.storage.test_history_cli import run

CONVERSATIONS = 120


@pytest.fixture
def history(tmp_path: Path, make_image) -> Path:
    """A closed history: conversations of two messages each, every tenth with an image."""
    root = tmp_path / "data"
    with HistoryStore.open(root) as store:
        for i in range(CONVERSATIONS):
            cid = store.create_conversation(title=f"chat {i}")
            parts = [TextPart(f"question {i} about zebra{i} " + "filler words " * 40)]
            if i % 10 == 0:
                parts.insert(0, ImagePart(make_image(color=(i, 80, 160))))
            store.add_message(cid, "user", parts)
            store.add_message(cid, "assistant", [TextPart(f"answer {i} " + "more text " * 40)])
    return root


def pages_of(path: Path, names: tuple[str, ...], leaves_only: bool = False) -> list[int]:
    """Page numbers holding the named tables (``dbstat`` when SQLite has it, else roots)."""
    conn = sqlite3.connect(path)
    try:
        marks = ",".join("?" * len(names))
        try:
            kind = "AND pagetype = 'leaf'" if leaves_only else ""
            rows = conn.execute(
                f"SELECT pageno FROM dbstat WHERE name IN ({marks}) {kind}", names
            ).fetchall()
        except sqlite3.OperationalError:  # no dbstat: the root pages are enough for the index
            rows = conn.execute(
                f"SELECT rootpage FROM sqlite_master WHERE name IN ({marks})", names
            ).fetchall()
    finally:
        conn.close()
    assert rows, names
    return sorted({row[0] for row in rows})


def scribble(path: Path, pages: list[int]) -> None:
    conn = sqlite3.connect(path)
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    for page in pages:
        data[(page - 1) * size : page * size] = b"\xab" * size
    path.write_bytes(bytes(data))


SEARCH_TABLES = tuple(
    f"{table}{suffix}"
    for table in ("parts_fts", "conversations_fts")
    for suffix in ("", "_data", "_idx", "_docsize", "_config")
)


def test_damaged_search_index_is_rebuilt_and_the_history_kept(history: Path) -> None:
    path = history / DB_FILENAME
    scribble(path, pages_of(path, SEARCH_TABLES))
    with HistoryStore.open(history, verify=True) as store:
        assert store.db.recovered_from is None and store.recovery_notice is None
        assert store.db.search_rebuilt
        assert len(store.list_conversations(limit=-1)) == CONVERSATIONS
        hits = store.search("zebra7")
        assert [hit.title for hit in hits] == ["chat 7"]
        assert len(store.search("filler", limit=500)) == CONVERSATIONS
        assert store.db.integrity_check() == ["ok"]
        cid = store.create_conversation(title="after the repair")
        store.add_message(cid, "user", [TextPart("okapi")])
        assert [hit.title for hit in store.search("okapi")] == ["after the repair"]
    assert list(history.glob("*.corrupt-*")) == []


def test_a_busy_history_is_not_moved_aside_while_its_index_waits_for_repair(
    history: Path, monkeypatch
) -> None:
    from app.storage import database

    path = history / DB_FILENAME
    scribble(path, pages_of(path, SEARCH_TABLES))
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 200)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another instance in the middle of a write
    try:
        with pytest.raises(BusyError):
            Database.open(path, verify=True)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert list(history.glob("*.corrupt-*")) == []
    with HistoryStore.open(history, verify=True) as store:  # once free, repaired as usual
        assert store.db.search_rebuilt and [h.title for h in store.search("zebra5")] == ["chat 5"]


def test_search_damage_met_while_running_is_repaired_on_the_next_open(history: Path) -> None:
    path = history / DB_FILENAME
    scribble(path, pages_of(path, ("parts_fts_data",), leaves_only=True))
    with (
        HistoryStore.open(history) as store,  # header and schema read fine: not checked yet
        pytest.raises(StorageError, match="damaged"),
    ):
        for i in range(CONVERSATIONS):
            store.search(f"zebra{i}")
    with HistoryStore.open(history) as store:  # the marker makes this open check and repair
        assert store.db.search_rebuilt and store.db.recovered_from is None
        assert [hit.title for hit in store.search("zebra42")] == ["chat 42"]


@pytest.mark.parametrize("which", ["middle", "last"])
def test_damaged_messages_page_moves_aside_and_salvage_recovers_the_rest(
    history: Path, which: str
) -> None:
    """The last leaf is the harder case: ``max(rowid)`` fails, so the end is found by scanning
    (and its lost rows cannot be counted)."""
    path = history / DB_FILENAME
    leaves = pages_of(path, ("messages",), leaves_only=True)
    assert len(leaves) >= 3
    scribble(path, [leaves[len(leaves) // 2] if which == "middle" else leaves[-1]])
    with HistoryStore.open(history, verify=True) as store:
        moved = store.db.recovered_from
        assert moved is not None and store.list_conversations() == []
        assert "history salvage" in (store.recovery_notice or "")
        report = salvage(store, moved)
        listed = store.list_conversations(limit=-1)
        assert report.conversations == CONVERSATIONS == len(listed)
        assert CONVERSATIONS <= report.messages < 2 * CONVERSATIONS
        assert report.unreadable_rows <= 2 * CONVERSATIONS - report.messages
        assert report.unreadable_rows > 0 or which == "last"
        assert report.attachments + report.lost_attachments <= CONVERSATIONS // 10
        whole = [info for info in listed if len(store.load(info.id).messages) == 2]
        assert len(whole) >= CONVERSATIONS // 2
        for info in whole:
            messages = store.load(info.id).messages
            i = int(info.title.split()[1])
            assert messages[0].text.startswith(f"question {i} ")
            assert messages[1].text.startswith(f"answer {i} ")
            if i % 10 == 0:
                image = messages[0].parts[0]
                assert image.kind == "image" and store.blobs.read(image.sha256)
                messages[0].to_core(store.blobs)  # the pixels decode as before
        assert store.search("zebra3")  # the salvaged text is searchable
        again = salvage(store, moved)  # nothing is copied twice
        assert again.conversations == 0 and again.already_present == CONVERSATIONS
    assert Database.open(path).integrity_check() == ["ok"]


def test_salvage_keeps_the_fallback_flag_from_either_schema(
    tmp_path: Path, first_version_history
) -> None:
    """A file moved aside before it was migrated keeps the flag inside ``sampling``; one
    written since keeps it in its own column. Either way the copy has it in the column."""
    first = tmp_path / "first" / DB_FILENAME
    first_version_history(first, ['{"allow_fallback": true, "seed": 1}', '{"seed": 2}'])
    with HistoryStore.open(tmp_path / "current") as current:
        flagged = current.create_conversation(title="current flagged")
        current.update_conversation(flagged, allow_fallback=True)
        current.create_conversation(title="current asks")
    with HistoryStore.open(tmp_path / "data") as store:
        salvage(store, first)
        salvage(store, tmp_path / "current" / DB_FILENAME)
        found = {
            info.title: (info.allow_fallback, info.sampling)
            for info in store.list_conversations(limit=-1)
        }
    assert found == {
        "chat 0": (True, {"seed": 1}),
        "chat 1": (False, {"seed": 2}),
        "current flagged": (True, {}),
        "current asks": (False, {}),
    }


def test_salvage_from_the_command_line(history: Path, capsys) -> None:
    path = history / DB_FILENAME
    scribble(path, pages_of(path, ("messages", "parts"), leaves_only=True)[::3])
    with HistoryStore.open(history, verify=True) as store:
        moved = store.db.recovered_from
    assert moved is not None
    assert run("history", "--data-dir", str(history), "salvage", str(moved)) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Salvaged {CONVERSATIONS} conversation(s)") and "Lost to" in out
    with pytest.raises(StorageError, match="history in use"):
        run("history", "--data-dir", str(history), "salvage", str(path))
    with pytest.raises(StorageError, match="no history file"):
        run("history", "--data-dir", str(history), "salvage", str(history / "nope"))


def test_no_garbage_collection_while_a_damaged_history_waits(history: Path) -> None:
    path = history / DB_FILENAME
    scribble(path, pages_of(path, ("messages",), leaves_only=True)[:1])
    with HistoryStore.open(history, verify=True) as store:
        assert store.db.recovered_from is not None
        files = sorted(p.name for p in (history / "blobs").rglob("*") if p.is_file())
        assert files
        for name in files:  # old enough that no unfinished write can own them
            os.utime(store.blobs.path(name), (time.time() - 7200, time.time() - 7200))
        assert store.collect_garbage() == 0
        assert sorted(p.name for p in (history / "blobs").rglob("*") if p.is_file()) == files
