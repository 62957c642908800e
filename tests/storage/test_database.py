"""Opening the database: pragmas, migrations, newer schemas, damaged files, failing disks."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.core.conversation import TextPart
from app.storage.database import DB_FILENAME, Database
from app.storage.errors import DiskFullError, NewerSchemaError, ReadOnlyError, StorageError
from app.storage.history import HistoryStore
from app.storage.schema import SCHEMA_VERSION


def test_wal_foreign_keys_and_recorded_migrations(tmp_path: Path) -> None:
    db = Database.open(tmp_path / DB_FILENAME)
    conn = db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    applied = conn.execute("SELECT version, name FROM schema_migrations").fetchall()
    assert applied == [
        (1, "v1_initial"),
        (2, "v2_allow_fallback_column"),
        (3, "v3_recovered_at_column"),
    ]
    db.close()
    # Reopening applies nothing twice.
    db = Database.open(tmp_path / DB_FILENAME)
    assert db.conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_the_fallback_flag_moves_out_of_the_sampling_settings_into_its_column(
    tmp_path: Path, first_version_history
) -> None:
    samplings = [
        '{"allow_fallback": true, "seed": 7}',
        '{"allow_fallback": false, "temperature": 0.5}',
        '{"seed": 3}',
        '{"allow_fallback": 1}',  # any true value allowed it
        "not json, mentions allow_fallback",  # damaged: left as it was, shown as damaged
    ]
    path = tmp_path / DB_FILENAME
    first_version_history(path, samplings)
    with HistoryStore.open(tmp_path) as store:
        assert store.db.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        chats = sorted(store.list_conversations(), key=lambda info: info.uid)
        assert [(c.allow_fallback, c.sampling) for c in chats] == [
            (True, {"seed": 7}),
            (False, {"temperature": 0.5}),
            (False, {"seed": 3}),
            (True, {}),
            (False, {}),
        ]
        assert [c.damaged for c in chats] == [False, False, False, False, True]
        assert [c.updated_at for c in chats] == [2.0] * 5  # moving the flag is no new activity
        raw = store.db.conn.execute("SELECT sampling FROM conversations ORDER BY uid").fetchall()
        assert raw[-1][0] == samplings[-1]


def test_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / DB_FILENAME
    Database.open(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    with pytest.raises(NewerSchemaError, match="newer version of Pixtral Desk"):
        Database.open(path)
    assert path.read_bytes() == before
    assert list(tmp_path.glob("*.corrupt-*")) == []


def test_not_a_database_is_moved_aside_and_reported(tmp_path: Path) -> None:
    path = tmp_path / DB_FILENAME
    path.write_bytes(b"this is a text file, not SQLite" * 100)
    with HistoryStore.open(tmp_path) as store:
        assert store.recovery_notice is not None
        moved = store.db.recovered_from
        assert moved is not None and moved.exists()
        assert str(moved) in store.recovery_notice
        assert moved.read_bytes().startswith(b"this is a text file")
        assert ".corrupt-" in moved.name
        assert store.list_conversations() == []  # a fresh, working history
        store.create_conversation(title="works")


def test_damaged_pages_fail_the_check_and_are_moved_aside(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path) as store:
        for i in range(300):
            cid = store.create_conversation(title=f"chat {i}")
            store.add_message(cid, "user", [TextPart("some words " * 50)])
    path = tmp_path / DB_FILENAME
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page * 3, min(len(data), page * 30), page):
        data[offset : offset + 64] = b"\xff" * 64  # scribble over b-tree page headers
    path.write_bytes(bytes(data))
    db = Database.open(path, verify=True)
    try:
        assert db.recovered_from is not None and db.recovered_from.exists()
        assert db.integrity_check() == ["ok"]
    finally:
        db.close()


def test_read_only_database_raises_clearly_and_loses_nothing(store: HistoryStore) -> None:
    cid = store.create_conversation()
    store.add_message(cid, "user", [TextPart("kept")])
    store.db.conn.execute("PRAGMA query_only = ON")  # what a read-only folder/file looks like
    with pytest.raises(ReadOnlyError, match="read-only"):
        store.add_message(cid, "user", [TextPart("not saved")])
    store.db.conn.execute("PRAGMA query_only = OFF")
    assert [m.text for m in store.load(cid).messages] == ["kept"]
    assert not store.db.conn.in_transaction


def test_read_only_sqlite_uri_gives_the_read_only_message(tmp_path: Path) -> None:
    path = tmp_path / DB_FILENAME
    Database.open(path).close()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    db = Database(conn, path)
    with pytest.raises(ReadOnlyError), db.write() as c:
        c.execute("INSERT INTO blobs VALUES ('x', 1, 'a', 0)")


def test_disk_full_raises_before_anything_is_half_written(store: HistoryStore) -> None:
    cid = store.create_conversation()
    store.add_message(cid, "user", [TextPart("first")])
    pages = store.db.conn.execute("PRAGMA page_count").fetchone()[0]
    store.db.conn.execute(f"PRAGMA max_page_count = {pages}")  # no room to grow: ENOSPC
    with pytest.raises(DiskFullError, match="The disk is full"):
        store.add_message(cid, "user", [TextPart("x" * 200_000)])
    store.db.conn.execute("PRAGMA max_page_count = 1073741823")
    loaded = store.load(cid)
    assert [m.text for m in loaded.messages] == ["first"]
    assert store.db.conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 1
    assert store.db.integrity_check() == ["ok"]


def test_errors_are_user_facing(tmp_path: Path) -> None:
    from app.core.errors import UserFacingError

    assert issubclass(StorageError, UserFacingError)


WRITER = textwrap.dedent(
    """
    import sys
    from app.core.conversation import TextPart
    from app.storage.history import HistoryStore

    data_dir, tag, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with HistoryStore.open(data_dir, stream_interval=0.0) as store:
        print("ready", flush=True)
        sys.stdin.readline()  # start together
        for i in range(count):
            cid = store.create_conversation(title=f"{tag} {i}")
            store.add_message(cid, "user", [TextPart(f"{tag} question {i}")])
            reply = store.start_reply(cid)
            for token in range(5):
                store.append_stream(reply, f"{tag}-{i}-{token} ")
            store.finish_reply(reply)
    """
)


def test_two_processes_write_concurrently_and_nothing_is_lost(tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    root = Path(__file__).resolve().parents[2]
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(tmp_path / "data"), tag, "60"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=root,
        )
        for tag in ("alpha", "beta")
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        assert proc.wait(timeout=60) == 0
    with HistoryStore.open(tmp_path / "data") as store:
        assert store.db.integrity_check() == ["ok"]
        conversations = store.list_conversations(limit=1000)
        assert len(conversations) == 120
        for info in conversations:
            tag, i = info.title.split()
            messages = store.load(info.id).messages
            assert [m.text for m in messages] == [
                f"{tag} question {i}",
                "".join(f"{tag}-{i}-{t} " for t in range(5)),
            ]
            assert messages[1].status.value == "complete"


def test_damage_found_while_running_makes_the_next_open_check(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path) as store:
        for i in range(300):
            cid = store.create_conversation(title=f"chat {i}")
            store.add_message(cid, "user", [TextPart(f"words {i} " * 60)])
    path = tmp_path / DB_FILENAME
    data = bytearray(path.read_bytes())
    for offset in range(len(data) // 2, len(data) - 4096, 4096):
        data[offset : offset + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    db = Database.open(path)  # header and schema still read fine
    assert db.recovered_from is None
    with pytest.raises(StorageError, match="damaged"), db.read() as conn:
        conn.execute("SELECT count(*), sum(length(text)) FROM parts").fetchone()
        conn.execute("SELECT count(*) FROM parts_fts WHERE parts_fts MATCH 'words'").fetchone()
    db.close()
    assert path.with_name(path.name + ".needs-check").exists()
    db = Database.open(path)
    try:
        assert db.recovered_from is not None
        assert not path.with_name(path.name + ".needs-check").exists()
    finally:
        db.close()
