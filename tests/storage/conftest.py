"""Shared fixtures for the history tests: a store in a temp folder and small prepared images."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from app.core.images import PreparedImage, prepare_image
from app.storage.history import HistoryStore
from app.storage.schema import MIGRATIONS


class FakeClock:
    """Wall clock the tests move by hand (recency ranking, timestamps)."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[HistoryStore]:
    with HistoryStore.open(tmp_path / "data", clock=clock) as opened:
        yield opened


@pytest.fixture
def make_image():
    def make(color: tuple[int, int, int] = (200, 40, 40), size=(40, 24), name="shot.png"):
        buffer = io.BytesIO()
        Image.new("RGB", size, color).save(buffer, format="PNG")
        image: PreparedImage = prepare_image(buffer.getvalue(), name=name)
        return image

    return make


def _first_version_history(path: Path, samplings: list[str]) -> None:
    """A history file as the first schema wrote it, one conversation per ``sampling`` JSON
    text (that schema kept the per-chat fallback flag inside it); titles "chat 0", "chat 1"…"""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    MIGRATIONS[0](conn)
    conn.execute(
        "CREATE TABLE schema_migrations ("
        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
    )
    conn.execute("INSERT INTO schema_migrations VALUES (1, 'v1_initial', 0)")
    for number, sampling in enumerate(samplings):
        conn.execute(
            "INSERT INTO conversations (uid, title, created_at, updated_at, sampling) "
            "VALUES (?, ?, 1.0, 2.0, ?)",
            (f"uid-{number}", f"chat {number}", sampling),
        )
    conn.execute("PRAGMA user_version = 1")
    conn.execute("COMMIT")
    conn.close()


@pytest.fixture
def first_version_history() -> Callable[[Path, list[str]], None]:
    return _first_version_history
