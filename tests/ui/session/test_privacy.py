"""A local conversation opens no network connection: only the pipe to the local worker; a
document's pages are never sent to a server, whatever the chat's backend.

Every way Python opens a network connection goes through ``socket.socket.connect`` /
``connect_ex`` (httpx, urllib, the mistralai SDK, huggingface_hub all do). The guard records
any attempt to reach an internet (AF_INET/AF_INET6) address and fails it; the engine's worker
talks over an inherited pipe, which the guard lets through.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtWidgets import QMessageBox

from app.core.composition import Composition
from app.core.conversation import MessageStatus, TextPart
from app.core.document_marks import document_header, page_label
from app.engine.backend_choice import DOCUMENT_STAYS_LOCAL
from tests.engine.fake_servers import FakeChatServer
from tests.fixtures.pixtral_gguf import GgufPair
from tests.ui.window.test_main_window import TIMEOUT_MS, _close, _open, _send, _settings


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
        assert "nothing leaves this computer" in window.header.summary()
    finally:
        _close(window)
    assert no_network == []


def test_first_run_without_network_still_offers_every_path(
    qtbot, tmp_path: Path, no_network: list[object], monkeypatch
) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    window = _open(qtbot, _settings(tmp_path, None), tmp_path / "data")
    try:
        assert window.setup is not None and window.stack.currentWidget() is window.setup_page
        qtbot.waitUntil(lambda: window.setup.recommendation is not None, timeout=TIMEOUT_MS)
        assert window.header.model_button.isVisible()
        assert "Choose model files…" in window.header.model_menu.entry_texts()
    finally:
        _close(window)
    assert no_network == []


@pytest.fixture
def offers(monkeypatch) -> Iterator[list[str]]:
    """Every "answer it here instead?" question asked, each accepted; no keyring lookups."""
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())  # no key lookups outside the test
    asked: list[str] = []

    def accept(_parent: object, _title: str, text: str, *_rest: object) -> object:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", accept)
    yield asked
    keyring.set_keyring(previous)


def test_document_pages_in_a_remote_chat_stay_here_and_the_local_model_is_offered(
    qtbot, tmp_path: Path, tiny_pair: GgufPair, offers: list[str]
) -> None:
    """An existing, non-private chat on a server gets a document's pages: nothing is sent, the
    answer says why, and accepting the offer answers it with the local model."""
    with FakeChatServer("openai") as server:
        settings = _settings(
            tmp_path,
            tiny_pair,
            backend="openai",
            openai_base_url=server.url + "/v1",
            openai_model="pixtral",
        )
        window = _open(qtbot, settings, tmp_path / "data")
        shown_errors: list[str] = []
        try:
            _send(qtbot, window, "Hello there")  # an ordinary chat, answered by the server
            assert len(server.chat_requests()) == 1
            window.session.turn_failed.connect(
                lambda _error: shown_errors.append(window.transcript.item(3).error)
            )
            pages = [
                TextPart(document_header("lease.pdf", 2, [1])),
                TextPart(page_label("lease.pdf", 1) + "The rent is 900 a month.\n"),
            ]
            with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS):
                window.session.send(Composition("What is the rent?", document=pages))
            assert len(server.chat_requests()) == 1  # the pages never left
            assert shown_errors == [DOCUMENT_STAYS_LOCAL]
            assert len(offers) == 1 and offers[0].startswith(DOCUMENT_STAYS_LOCAL)
            assert window.settings["backend"] == "local"
            assert window.transcript.item(3).status is MessageStatus.COMPLETE
        finally:
            _close(window)


def test_a_backend_of_unknown_kind_counts_as_remote() -> None:
    """Fail safe: a private chat is refused on a backend the privacy check does not know."""
    from types import SimpleNamespace

    from app.ui.session.chat_session import target_of

    assert not target_of(SimpleNamespace(name="local")).remote
    for unknown in (SimpleNamespace(name="ollama-cloud"), SimpleNamespace(), None):
        assert target_of(unknown).remote  # type: ignore[arg-type]


def test_a_private_chat_refused_by_a_server_is_offered_the_local_model(
    qtbot, tmp_path: Path, tiny_pair: GgufPair, offers: list[str]
) -> None:
    """Not only document chats: a chat marked private gets the same offer, and nothing is sent."""
    with FakeChatServer("openai") as server:
        settings = _settings(
            tmp_path, tiny_pair, backend="openai",
            openai_base_url=server.url + "/v1", openai_model="pixtral",
        )  # fmt: skip
        window = _open(qtbot, settings, tmp_path / "data")
        try:
            _send(qtbot, window, "Hello there")
            assert len(server.chat_requests()) == 1
            with qtbot.waitSignal(window.session.conversation_opened, timeout=TIMEOUT_MS):
                window.session.set_private(True)
            assert window.session.info is not None and window.session.info.private
            with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS):
                window.session.send(Composition("And now something secret"))
            assert len(server.chat_requests()) == 1
            assert len(offers) == 1 and "private" in offers[0]
            assert window.settings["backend"] == "local"
            assert window.transcript.item(3).status is MessageStatus.COMPLETE
        finally:
            _close(window)
