"""Shared test setup: Qt offscreen, and the tiny Pixtral GGUF pair generated once per session."""

from __future__ import annotations

import gc
import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Logs and crash reports of the code under test go to a temp folder, not the user's.
os.environ.setdefault("PIXTRAL_DESK_LOG_DIR", tempfile.mkdtemp(prefix="pixtral-desk-logs-"))
os.environ.setdefault("PIXTRAL_DESK_STATE_DIR", tempfile.mkdtemp(prefix="pixtral-desk-states-"))

from app.ui.studio.web_setup import prepare_web_engine
from tests.fixtures.pixtral_gguf import GgufPair, write_pixtral_pair

# Before pytest-qt creates the QApplication: the HTML preview's WebEngine needs it then.
prepare_web_engine()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Cycles are collected on the main thread only, as the app does (``GuiThreadCollector``).

    Left to itself, Python collects on whichever thread allocates when a generation fills up.
    A finished test's widgets can sit in reference cycles (a closed HTML studio, its web view);
    a pool thread of a later test then destroyed them, and QtWebEngine stopped the process
    ("Must be called on Chrome_UIThread", SIGTRAP, seen in CI). So automatic collection is off
    for the session and ``pytest_runtest_logfinish`` collects what is due after each test, on
    this thread, once pytest has let go of the test's arguments (a full collection after every
    test had doubled the time of the storage and core tests).
    """
    gc.disable()


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    from app.ui.common.gui_gc import collect_due_now

    gc.disable()  # a test that switched it back on (the collector's own tests) leaves it off
    collect_due_now()


@pytest.fixture(scope="session")
def tiny_pair(tmp_path_factory: pytest.TempPathFactory) -> GgufPair:
    """A random-weight Pixtral-shaped text model + mmproj, written in well under a second."""
    return write_pixtral_pair(tmp_path_factory.mktemp("tiny-pixtral"))


@pytest.fixture
def image_file(tmp_path: Path):
    """Write an RGB test image of the given size and format; returns its path."""
    from PIL import Image

    def make(
        width: int,
        height: int,
        name: str = "image.png",
        color: tuple[int, int, int] = (200, 40, 40),
    ) -> Path:
        path = tmp_path / name
        Image.new("RGB", (width, height), color).save(path)
        return path

    return make
