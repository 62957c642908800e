"""Shared fixtures for the history tests: a store in a temp folder and small prepared images."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from app.core.images import PreparedImage, prepare_image
from app.storage.history import HistoryStore


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
