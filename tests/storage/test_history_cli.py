"""``pixtral-desk history …`` through the same argparse wiring ``app/cli.py`` uses."""

from __future__ import annotations

import argparse
import json
import zipfile
from pathlib import Path

import pytest

from app.core.conversation import ImagePart, TextPart
from app.core.errors import UserFacingError
from app.storage.history import HistoryStore
from app.storage.history_cli import add_history_commands


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="pixtral-desk")
    add_history_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.run(args))


@pytest.fixture
def data(tmp_path: Path, make_image) -> Path:
    root = tmp_path / "data"
    with HistoryStore.open(root) as store:
        cid = store.create_conversation()
        store.add_message(cid, "user", [ImagePart(make_image()), TextPart("what is the weather?")])
        store.add_message(cid, "assistant", [TextPart("Sunny with light wind.")])
        store.create_conversation(title="Second chat")
    return root


def test_list_show_search(data: Path, capsys) -> None:
    assert run("history", "--data-dir", str(data), "list") == 0
    out = capsys.readouterr().out
    assert "what is the weather?" in out and "Second chat" in out
    assert run("history", "--data-dir", str(data), "list", "--json") == 0
    assert {row["id"] for row in json.loads(capsys.readouterr().out)} == {1, 2}
    assert run("history", "--data-dir", str(data), "show", "1") == 0
    out = capsys.readouterr().out
    assert "## You" in out and "[image: shot.png]" in out and "Sunny" in out
    assert run("history", "--data-dir", str(data), "search", "light", "wind") == 0
    assert "[light] [wind]" in capsys.readouterr().out
    assert run("history", "--data-dir", str(data), "search", "wind", "--json") == 0
    (hit,) = json.loads(capsys.readouterr().out)
    assert hit["conversation_id"] == 1 and hit["snippet"].endswith("[wind].")
    assert run("history", "--data-dir", str(data), "search", "nothing-like-this") == 1


def test_export_and_import(data: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert (
        run("history", "--data-dir", str(data), "export", "1", "--format", "md", "--out", str(out))
        == 0
    )
    md = Path(capsys.readouterr().out.strip())
    assert md.parent == out and md.suffix == ".md"
    assert (out / f"{md.stem}_files").is_dir()
    archive = tmp_path / "all.zip"
    assert (
        run(
            "history",
            "--data-dir",
            str(data),
            "export",
            "--all",
            "--format",
            "json",
            "--out",
            str(archive),
        )
        == 0
    )
    assert zipfile.is_zipfile(archive)
    capsys.readouterr()
    assert run("history", "--data-dir", str(tmp_path / "new"), "import", str(archive)) == 0
    assert "Imported 2 conversation(s)" in capsys.readouterr().out


def test_bad_input_is_one_user_facing_error(data: Path, tmp_path: Path) -> None:
    with pytest.raises(UserFacingError, match="no conversation 42"):
        run("history", "--data-dir", str(data), "show", "42")
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    with pytest.raises(UserFacingError, match="cannot be imported"):
        run("history", "--data-dir", str(data), "import", str(bad))
    with pytest.raises(SystemExit):
        run("history", "--data-dir", str(data), "export", "1", "--all", "--out", "x")


def test_an_empty_history_says_so(tmp_path: Path, capsys) -> None:
    assert run("history", "--data-dir", str(tmp_path / "empty"), "list") == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "No conversations yet." in captured.err
    assert run("history", "--data-dir", str(tmp_path / "empty"), "list", "--trash") == 0
    assert "The trash is empty." in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ("show", "99999999999999999999999"),  # SQLite raised OverflowError: a traceback
        ("show", "0"),
        ("trash", "1", "-3"),
        ("export", "123456789012345678901234567890", "--out", "x"),
        ("list", "--limit", "-5"),  # SQLite read a negative limit as "no limit"
        ("search", "weather", "--limit", "0"),
    ],
)
def test_ids_and_limits_are_checked_as_the_line_is_read(data: Path, capsys, argv) -> None:
    with pytest.raises(SystemExit) as refused:
        run("history", "--data-dir", str(data), *argv)
    assert refused.value.code == 2
    said = capsys.readouterr().err.strip().splitlines()[-1]
    assert "is not a chat id" in said or "is not a number of rows" in said


def test_a_recovered_chat_is_marked_in_list_and_search(data: Path, capsys) -> None:
    with HistoryStore.open(data) as store, store.db.write() as conn:  # as salvage stamps it
        conn.execute("UPDATE conversations SET recovered_at = 1700000000 WHERE id = 1")
    assert run("history", "--data-dir", str(data), "list") == 0
    listed = capsys.readouterr()
    assert "(recovered)" in listed.out and "may be missing" in listed.err
    assert run("history", "--data-dir", str(data), "search", "wind") == 0
    assert "(recovered)" in capsys.readouterr().out
    assert run("history", "--data-dir", str(data), "list", "--json") == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows[1]["recovered_at"] == 1700000000 and rows[2]["recovered_at"] is None
    assert run("history", "--data-dir", str(data), "search", "wind", "--json") == 0
    (hit,) = json.loads(capsys.readouterr().out)
    assert hit["recovered_at"] == 1700000000
