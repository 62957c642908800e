"""Recovering a damaged history runs off the GUI thread: the event loop keeps running while it
copies, and quitting half-way leaves a history the command line's salvage finishes."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from app.storage.history import HistoryStore
from app.ui.window import history_salvage
from app.ui.window.history_salvage import HistorySalvage
from tests.storage.test_history_cli import run as run_cli
from tests.test_main import _damaged_history

CHATS = 60


@pytest.fixture
def damaged_store(tmp_path: Path) -> Iterator[HistoryStore]:
    """The history opened on a damaged file: moved aside, a new one started."""
    data = tmp_path / "data"
    _damaged_history(data)
    store = HistoryStore.open(data)
    assert store.db.recovered_from is not None
    yield store
    with contextlib.suppress(sqlite3.Error):  # a test that quits has closed it already
        store.close()


def _held_at(
    monkeypatch, at: int, gate: threading.Event, seen: dict[str, object]
) -> threading.Event:
    """Salvage as usual, but the copy waits after conversation ``at`` until ``gate`` opens
    (the returned event says it got there): only the GUI thread's event loop opens it, so it
    opens only if that loop runs meanwhile."""
    real = history_salvage.salvage
    reached = threading.Event()

    def held(store, damaged, *, progress, cancelled):
        def hold(done: int, total: int) -> None:
            if done == at:
                seen["on_gui_thread"] = threading.current_thread() is threading.main_thread()
                reached.set()
                seen["opened"] = gate.wait(10)
            progress(done, total)

        return real(store, damaged, progress=hold, cancelled=cancelled)

    monkeypatch.setattr(history_salvage, "salvage", held)
    return reached


def test_the_event_loop_runs_while_the_salvage_copies(
    qtbot, monkeypatch, damaged_store: HistoryStore
) -> None:
    gate = threading.Event()
    seen: dict[str, object] = {}
    reached = _held_at(monkeypatch, 1, gate, seen)
    run = HistorySalvage(damaged_store, damaged_store.db.recovered_from)
    ticks = QTimer(interval=1)

    def on_tick() -> None:  # a GUI-thread timer, firing while the copy waits for it
        if reached.is_set():
            ticks.stop()
            seen["running_when_timer_fired"] = run.running
            gate.set()

    ticks.timeout.connect(on_tick)
    ticks.start()
    with qtbot.waitSignal(run.finished, timeout=20_000) as finished:
        run.start()
    assert seen == {"on_gui_thread": False, "opened": True, "running_when_timer_fired": True}
    assert str(finished.args[0]).startswith(f"Salvaged {CHATS} conversation(s)")
    assert len(damaged_store.list_conversations(limit=-1)) == CHATS


def test_quitting_half_way_keeps_whole_chats_and_the_command_line_copies_the_rest(
    qtbot, monkeypatch, damaged_store: HistoryStore, capsys
) -> None:
    gate = threading.Event()
    reached = _held_at(monkeypatch, 2, gate, {})
    moved = damaged_store.db.recovered_from
    assert moved is not None
    run = HistorySalvage(damaged_store, moved)
    with qtbot.waitSignal(run.finished, timeout=20_000) as finished:
        run.start()
        qtbot.waitUntil(reached.is_set, timeout=10_000)
        gate.set()
        run.stop()  # what quitting does (aboutToQuit): waits for the chat being written
    assert "Stopped before the end" in str(finished.args[0])
    copied = damaged_store.list_conversations(limit=-1)
    assert 2 <= len(copied) < CHATS
    assert all(damaged_store.load(info.id).messages for info in copied)  # whole, not half
    data = damaged_store.db.path.parent
    damaged_store.close()
    assert run_cli("history", "--data-dir", str(data), "salvage", str(moved)) == 0
    assert f"{len(copied)} conversation(s) were already in the history" in capsys.readouterr().out
    with HistoryStore.open(data) as reopened:
        titles = {info.title for info in reopened.list_conversations(limit=-1)}
        assert titles == {f"chat {i}" for i in range(CHATS)}
        assert all(info.recovered_at is not None for info in reopened.list_conversations(limit=-1))
