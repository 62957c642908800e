"""Shared test setup: Qt offscreen, and the tiny Pixtral GGUF pair generated once per session."""

from __future__ import annotations

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
