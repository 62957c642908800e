"""A bad row already in the history (an older import stored it) is shown as damaged, never a
crash, and can always be removed from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.conversation import TextPart
from app.core.errors import UserFacingError
from app.storage.export import export_all_json, export_json, render_markdown
from app.storage.history import HistoryStore
from app.storage.importer import import_file
from tests.storage.test_history_cli import run

# What rows written by earlier versions (or by hand) can hold: SQLite keeps any type anywhere.
DAMAGE = {
    "huge time": "UPDATE conversations SET updated_at = 1e300",
    "infinite time": "UPDATE conversations SET updated_at = 9e999, created_at = -9e999",
    "text time": "UPDATE conversations SET created_at = 'soon', trashed_at = NULL",
    "sampling not json": "UPDATE conversations SET sampling = '{not json'",
    "sampling a list": "UPDATE conversations SET sampling = '[1, 2]'",
    "message time": "UPDATE messages SET created_at = 1e300, updated_at = 'x'",
    "usage not json": "UPDATE messages SET usage = '{', timings = '[[['",
    "meta not json": "UPDATE parts SET meta = 'nope'",
}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    with HistoryStore.open(root) as store:
        cid = store.create_conversation(title="Poisoned")
        store.add_message(cid, "user", [TextPart("hello")])
        store.add_message(cid, "assistant", [TextPart("hi")], usage={"prompt_tokens": 3})
        store.create_conversation(title="Healthy")
    return root


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_list_show_export_survive_a_bad_row(
    data: Path, tmp_path: Path, damage: str, capsys
) -> None:
    with HistoryStore.open(data) as store:
        store.db.conn.execute(damage + " WHERE rowid = 1")
    assert run("history", "--data-dir", str(data), "list") == 0
    out = capsys.readouterr().out
    assert "Poisoned" in out and "Healthy" in out
    assert run("history", "--data-dir", str(data), "list", "--json") == 0
    json.loads(capsys.readouterr().out)
    assert run("history", "--data-dir", str(data), "show", "1") == 0
    assert "hello" in capsys.readouterr().out
    with HistoryStore.open(data) as store:
        render_markdown(store, 1, None)
        store.load(1)
        store.search("hello")
        one = export_json(store, 1, tmp_path / "one.json")
        everything = export_all_json(store, tmp_path / "all.zip")
    # What export writes for a damaged row imports again (with the stand-ins shown).
    with HistoryStore.open(tmp_path / "again") as again:
        assert len(import_file(again, one)) == 1
        assert len(import_file(again, everything)) == 2


def test_a_damaged_row_is_marked_and_can_be_deleted(data: Path, capsys) -> None:
    with HistoryStore.open(data) as store:
        store.db.conn.execute("UPDATE conversations SET updated_at = 1e300 WHERE id = 1")
        assert store.get_conversation(1).damaged and not store.get_conversation(2).damaged
    assert run("history", "--data-dir", str(data), "list") == 0
    captured = capsys.readouterr()
    assert "(damaged)" in captured.out and "history delete ID" in captured.err
    assert run("history", "--data-dir", str(data), "delete", "1") == 0
    assert "Deleted for good: 1" in capsys.readouterr().out
    with HistoryStore.open(data) as store:
        assert [c.title for c in store.list_conversations()] == ["Healthy"]
        assert store.db.conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 0


def test_trash_and_delete_name_a_wrong_id_and_touch_nothing(data: Path, capsys) -> None:
    with pytest.raises(UserFacingError, match="no conversation 9"):
        run("history", "--data-dir", str(data), "delete", "1", "9")
    with HistoryStore.open(data) as store:
        assert len(store.list_conversations()) == 2
    assert run("history", "--data-dir", str(data), "trash", "2") == 0
    with HistoryStore.open(data) as store:
        assert [c.title for c in store.list_trash()] == ["Healthy"]
    with pytest.raises(UserFacingError, match="no conversation 9"):
        run("history", "--data-dir", str(data), "trash", "1", "9")
    with HistoryStore.open(data) as store:
        assert [c.title for c in store.list_trash()] == ["Healthy"]  # 1 was not trashed


def test_a_trashed_conversation_is_restored_from_the_command_line(data: Path) -> None:
    """The window's trash notice names this command: it must exist and undo the trash."""
    assert run("history", "--data-dir", str(data), "trash", "2") == 0
    with pytest.raises(UserFacingError, match="no conversation 9"):
        run("history", "--data-dir", str(data), "restore", "2", "9")
    with HistoryStore.open(data) as store:
        assert [c.title for c in store.list_trash()] == ["Healthy"]  # nothing half-done
    assert run("history", "--data-dir", str(data), "restore", "2") == 0
    with HistoryStore.open(data) as store:
        assert store.list_trash() == []
        assert len(store.list_conversations()) == 2
