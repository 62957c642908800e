"""Salvage copies a conversation at a time: dates the damage made unreadable get the best one
known, every copied conversation is marked recovered, the history stays writable meanwhile,
and a copy stopped half-way is finished by salvaging the same file again."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from app.core.conversation import TextPart
from app.storage.database import DB_FILENAME
from app.storage.history import HistoryStore
from app.storage.salvage import salvage
from tests.storage.conftest import FakeClock

CHATS = 6
MESSAGE_TIME = 1_690_000_000.0


def _damaged_file(tmp_path: Path) -> Path:
    """A closed history of ``CHATS`` chats of two messages, as if moved aside when damaged."""
    clock = FakeClock(MESSAGE_TIME)
    with HistoryStore.open(tmp_path / "old", clock=clock) as old:
        for i in range(CHATS):
            cid = old.create_conversation(title=f"chat {i}")
            old.add_message(cid, "user", [TextPart(f"question {i}")])
            clock.advance(60)
            old.add_message(cid, "assistant", [TextPart(f"answer {i}")])
    return tmp_path / "old" / DB_FILENAME


def _scribble_rows(path: Path, sql: str, *args: object) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute(sql, args)
    conn.close()


def test_unreadable_dates_become_the_newest_message_time_and_the_chat_is_marked(
    tmp_path: Path, store: HistoryStore, clock: FakeClock
) -> None:
    damaged = _damaged_file(tmp_path)
    _scribble_rows(
        damaged, "UPDATE conversations SET created_at = 'garbage', updated_at = -5 WHERE id = 1"
    )
    _scribble_rows(damaged, "UPDATE messages SET created_at = 'x', updated_at = 'x' WHERE id = 3")
    report = salvage(store, damaged)
    assert report.conversations == CHATS and report.messages == 2 * CHATS
    chats = {info.title: info for info in store.list_conversations(limit=-1)}
    first = chats["chat 0"]
    assert not first.damaged
    assert first.updated_at == MESSAGE_TIME + 60  # its answer's time, not 1970
    assert first.created_at == first.updated_at
    assert first.recovered_at == clock()
    assert all(info.recovered_at == clock() for info in chats.values())
    second = store.load(chats["chat 1"].id)
    assert second.messages[0].created_at == second.info.updated_at


def test_a_chat_with_no_readable_date_gets_the_salvage_time(
    tmp_path: Path, store: HistoryStore, clock: FakeClock
) -> None:
    damaged = _damaged_file(tmp_path)
    _scribble_rows(damaged, "UPDATE conversations SET updated_at = 'x' WHERE id = 2")
    _scribble_rows(damaged, "DELETE FROM messages WHERE conversation_id = 2")
    salvage(store, damaged)
    info = next(i for i in store.list_conversations(limit=-1) if i.title == "chat 1")
    assert info.updated_at == clock() and not info.damaged


def test_the_history_stays_writable_while_salvage_copies(
    tmp_path: Path, store: HistoryStore
) -> None:
    """A chat started mid-salvage is written at once: the lock is not held for the whole copy."""
    damaged = _damaged_file(tmp_path)
    written: list[int] = []

    def new_chat() -> None:
        written.append(store.create_conversation(title="started meanwhile"))

    def progress(done: int, _total: int) -> None:
        if done == 2:
            other = threading.Thread(target=new_chat)
            other.start()
            other.join(timeout=5)  # a lock held for the whole copy would keep it waiting
            assert written, "the new chat waited for the salvage"

    salvage(store, damaged, progress=progress)
    titles = sorted(info.title for info in store.list_conversations(limit=-1))
    assert titles == sorted([*(f"chat {i}" for i in range(CHATS)), "started meanwhile"])


def test_a_stopped_salvage_leaves_whole_chats_and_the_rest_is_copied_later(
    tmp_path: Path, store: HistoryStore
) -> None:
    damaged = _damaged_file(tmp_path)
    _scribble_rows(damaged, "DELETE FROM conversations WHERE id = 5")  # its messages orphaned
    calls: list[int] = []

    def progress(done: int, _total: int) -> None:
        calls.append(done)

    report = salvage(store, damaged, progress=progress, cancelled=lambda: len(calls) >= 3)
    assert report.stopped and "recover again" in report.describe()
    listed = store.list_conversations(limit=-1)
    assert len(listed) == 3
    assert all(len(store.load(info.id).messages) == 2 for info in listed)
    rest = salvage(store, damaged)
    assert not rest.stopped and rest.already_present == 3 and rest.conversations == CHATS - 3
    again = salvage(store, damaged)  # the placeholder for the lost row is not made twice
    assert again.conversations == 0 and again.already_present == CHATS
    titles = [info.title for info in store.list_conversations(limit=-1)]
    assert len(titles) == CHATS and "Recovered messages (conversation 5)" in titles


def test_a_salvage_stopped_while_reading_writes_nothing(
    tmp_path: Path, store: HistoryStore
) -> None:
    """Quitting while a big file is still being read does not wait for the read to end."""
    asked: list[bool] = []

    def cancelled() -> bool:  # true from the second question on: checked between chunks
        asked.append(True)
        return len(asked) > 1

    report = salvage(store, _damaged_file(tmp_path), cancelled=cancelled)
    assert report.stopped and report.conversations == 0
    assert store.list_conversations(limit=-1) == []
