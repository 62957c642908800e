"""Chat states held by the worker: RAM by budget, disk writes a chunk at a time, oldest out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.engine.local import state_files
from app.engine.local.prefix_cache import ImageUnit
from app.engine.local.state_cache import ChatStates
from app.engine.local.state_files import (
    ChatState,
    Fingerprint,
    StateFileError,
    chat_file_name,
    read_data,
    read_header,
)

PRINT = Fingerprint("10:aa", "5:bb", 4096, "f16")


def _state(chat: str, size: int, fill: int = 1) -> ChatState:
    units = [1, 5, ImageUnit("c0ffee", 12), 7, 9]
    return ChatState(chat, PRINT, units, {"an answer": [7, 9]}, bytearray([fill]) * size)


def test_ram_keeps_the_most_recently_left_chats_within_its_budget() -> None:
    states = ChatStates(ram_budget=250)
    for chat in ("a", "b", "c"):
        states.keep(_state(chat, 100))
    assert list(states.ram) == ["b", "c"]
    assert states.take("a") is None
    assert states.take("b") is not None and list(states.ram) == ["c"]
    states.keep(_state("big", 300))  # over the budget alone: not held
    assert list(states.ram) == ["c"]


def test_a_saved_state_reads_back_exactly(tmp_path: Path) -> None:
    states = ChatStates(0, tmp_path, 10_000)
    state = _state("chat-1", 1000, fill=42)
    states.keep(state)
    states.flush()
    header = read_header(tmp_path / chat_file_name("chat-1"))
    assert header.chat == "chat-1" and header.fingerprint == PRINT
    assert header.units == state.units and header.answers == state.answers
    assert read_data(header) == state.data
    assert states.files_written == 1 and not states.has_pending()


def test_states_are_written_a_chunk_at_a_time(tmp_path: Path, monkeypatch) -> None:
    """The worker looks at its pipe between chunks, so a command never waits for a whole file."""
    monkeypatch.setattr(state_files, "CHUNK_BYTES", 100)
    states = ChatStates(0, tmp_path, 10_000)
    states.keep(_state("chat-1", 450))
    steps = 0
    while states.has_pending():
        states.save_step()
        steps += 1
    assert steps == 5
    assert (tmp_path / chat_file_name("chat-1")).is_file()
    assert not list(tmp_path.glob("*.partial"))


def test_leaving_again_replaces_a_state_still_being_written(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(state_files, "CHUNK_BYTES", 100)
    states = ChatStates(0, tmp_path, 10_000)
    states.keep(_state("chat-1", 450, fill=1))
    states.save_step()
    assert list(tmp_path.glob("*.partial"))
    states.keep(_state("chat-1", 300, fill=2))
    assert not list(tmp_path.glob("*.partial"))  # the older write was dropped
    states.flush()
    header = read_header(tmp_path / chat_file_name("chat-1"))
    assert read_data(header) == bytearray([2]) * 300


def test_the_disk_budget_evicts_the_least_recently_saved(tmp_path: Path) -> None:
    one = len(_saved_size(tmp_path / "probe"))
    states = ChatStates(0, tmp_path / "states", int(one * 2.5))
    for i, chat in enumerate(("a", "b", "c")):
        states.keep(_state(chat, 1000))
        states.flush()
        path = tmp_path / "states" / chat_file_name(chat)
        os.utime(path, (1_000 + i, 1_000 + i))  # mtimes a second apart, whatever the clock
    names = {p.name for p in (tmp_path / "states").iterdir()}
    assert names == {chat_file_name("b"), chat_file_name("c")}


def test_a_state_over_the_disk_budget_is_not_written(tmp_path: Path) -> None:
    states = ChatStates(0, tmp_path, 500)
    states.keep(_state("chat-1", 1000))
    assert not states.has_pending()


def _saved_size(folder: Path) -> bytes:
    states = ChatStates(0, folder, 10_000)
    states.keep(_state("a", 1000))
    states.flush()
    return (folder / chat_file_name("a")).read_bytes()


@pytest.mark.parametrize(
    "damage",
    ["empty", "short preamble", "bad magic", "header flipped", "data flipped", "cut", "longer"],
)
def test_damaged_files_are_refused_before_any_byte_reaches_llama(
    tmp_path: Path, damage: str
) -> None:
    raw = bytearray(_saved_size(tmp_path))
    path = tmp_path / chat_file_name("a")
    changed = {
        "empty": b"",
        "short preamble": raw[:10],
        "bad magic": b"XXXXXXXX" + raw[8:],
        "header flipped": raw[:40] + bytes([raw[40] ^ 1]) + raw[41:],
        "data flipped": raw[:-1] + bytes([raw[-1] ^ 1]),
        "cut": raw[:-1],
        "longer": raw + b"\0",
    }[damage]
    path.write_bytes(bytes(changed))
    with pytest.raises(StateFileError):
        read_data(read_header(path))
    if damage == "data flipped":
        return  # the header is sound: the data's CRC is checked as it is read (above)
    reason = ChatStates(0, tmp_path, 10_000).header("a")
    assert isinstance(reason, str) and "unusable, deleted" in reason
    assert not path.exists()
