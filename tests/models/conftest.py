"""Shared fixtures for the model tests: the loopback fake Hugging Face Hub."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from huggingface_hub import constants as hf_constants

from tests.models.fake_hub import FakeHub


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    # Small chunks, so progress, cancel and cuts happen mid-file; no waiting between retries.
    monkeypatch.setattr(hf_constants, "DOWNLOAD_CHUNK_SIZE", 64 * 1024)
    monkeypatch.setattr("huggingface_hub.file_download.time.sleep", lambda _s: None)
    server = FakeHub().start()
    yield server
    server.stop()
