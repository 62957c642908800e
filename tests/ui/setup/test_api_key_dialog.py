"""The API key dialog: set, test (against the loopback server), remove; keyring status shown."""

from __future__ import annotations

import keyring
import keyring.backends.fail
import pytest

from app.engine.api_keys import ApiKeys
from app.ui.setup.api_key_dialog import ApiKeyDialog, mistral_key_tester
from tests.engine.fake_servers import FakeChatServer, Reply
from tests.engine.test_api_keys import MemoryKeyring


@pytest.fixture
def ring():
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


def test_set_test_remove(qtbot, ring, tmp_path):
    keys = ApiKeys(environ={})
    with FakeChatServer() as server:
        dialog = ApiKeyDialog(keys, mistral_key_tester(server.url))
        qtbot.addWidget(dialog)
        assert "No key is set" in dialog.storage_label.text()
        assert not dialog.remove_button.isEnabled()
        dialog.key_edit.setText("sk-dialog")
        dialog.save_button.click()
        assert ring.store[("pixtral-desk", "mistral")] == "sk-dialog"
        assert dialog.key_edit.text() == "" and "system keyring" in dialog.storage_label.text()
        dialog.test_button.click()
        assert "2 vision models" in dialog.result_label.text()
        assert server.requests[-1].headers["authorization"] == "Bearer sk-dialog"
        server.script(Reply(status=401))
        dialog.test_button.click()
        assert "refused the API key" in dialog.result_label.text()
        dialog.show()
        dialog.grab().save(str(tmp_path / "api_key_dialog.png"))
        dialog.remove_button.click()
        assert keys.get() is None and "No key is set" in dialog.storage_label.text()


def test_no_keyring_says_session_only(qtbot):
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        dialog = ApiKeyDialog(ApiKeys(environ={}), lambda key: "ok")
        qtbot.addWidget(dialog)
        assert "session only" in dialog.storage_label.text()
        dialog.key_edit.setText("k")
        dialog.save_button.click()
        assert "this session only" in dialog.result_label.text()
    finally:
        keyring.set_keyring(previous)


def test_environment_key_is_reported(qtbot, ring):
    dialog = ApiKeyDialog(ApiKeys(environ={"MISTRAL_API_KEY": "e"}), lambda key: "ok")
    qtbot.addWidget(dialog)
    assert "MISTRAL_API_KEY" in dialog.storage_label.text()
