"""A local conversation opens no network connection: only the pipe to the local worker.

Every way Python opens a network connection goes through ``socket.socket.connect`` /
``connect_ex`` (httpx, urllib, the mistralai SDK, huggingface_hub all do). The guard records
any attempt to reach an internet (AF_INET/AF_INET6) address and fails it; the engine's worker
talks over an inherited pipe, which the guard lets through.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.conversation import MessageStatus
from tests.fixtures.pixtral_gguf import GgufPair
from tests.ui.test_main_window import TIMEOUT_MS, _close, _open, _send, _settings


@pytest.fixture
def no_network(monkeypatch) -> Iterator[list[object]]:
    attempts: list[object] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded(real):
        def connect(self: socket.socket, address: object) -> object:
            if self.family in (socket.AF_INET, socket.AF_INET6):
                attempts.append(address)
                raise OSError("network access is not allowed in this test")
            return real(self, address)

        return connect

    monkeypatch.setattr(socket.socket, "connect", guarded(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(real_connect_ex))
    with pytest.raises(OSError):  # the guard is live: a real connection attempt is caught
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    assert attempts == [("127.0.0.1", 9)]
    attempts.clear()
    yield attempts


def test_a_private_local_conversation_opens_no_socket(
    qtbot, tmp_path: Path, tiny_pair: GgufPair, no_network: list[object]
) -> None:
    window = _open(qtbot, _settings(tmp_path, tiny_pair), tmp_path / "data")
    try:
        _send(qtbot, window, "First, locally")
        with qtbot.waitSignal(window.session.conversation_opened, timeout=TIMEOUT_MS):
            window.header.private_box.click()
        _send(qtbot, window, "And privately")
        assert window.transcript.item(3).status is MessageStatus.COMPLETE
        assert "nothing leaves this computer" in window.header.model_label.text()
    finally:
        _close(window)
    assert no_network == []


def test_first_run_without_network_still_offers_every_path(
    qtbot, tmp_path: Path, no_network: list[object], monkeypatch
) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    window = _open(qtbot, _settings(tmp_path, None), tmp_path / "data")
    try:
        assert window.setup is not None and window.stack.currentWidget() is window.setup
        qtbot.waitUntil(lambda: window.setup.recommendation is not None, timeout=TIMEOUT_MS)
        assert window.header.choose_button.isVisible()
    finally:
        _close(window)
    assert no_network == []
