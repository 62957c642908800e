"""API keys: keyring, environment, session-only fallback, and never on disk."""

from __future__ import annotations

import logging
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from keyring.backend import KeyringBackend

from app.core.conversation import Message, MessageStatus, Role, TextPart
from app.engine.api_keys import ApiKeys, KeySource, openai_account
from app.engine.base import Finished, GenerationRequest, Token
from app.engine.mistral_api import MistralBackend
from tests.engine.fake_servers import FakeChatServer

SECRET = "sk-UNIQUE-5ecret-7f3a9c"


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in a dict, for tests."""

    priority = 10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.store:
            raise keyring.errors.PasswordDeleteError(username)
        del self.store[(service, username)]


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_set_get_remove_in_the_keyring(memory_keyring):
    keys = ApiKeys(environ={})
    assert keys.status().available
    assert keys.get() is None
    assert keys.set(f"  {SECRET}\n") is KeySource.KEYRING
    assert memory_keyring.store[("pixtral-desk", "mistral")] == SECRET
    assert keys.lookup() == (SECRET, KeySource.KEYRING)
    keys.remove()
    assert keys.get() is None
    keys.remove()  # removing twice is fine


def test_environment_wins(memory_keyring):
    keys = ApiKeys(environ={"MISTRAL_API_KEY": "from-env"})
    keys.set(SECRET)
    assert keys.lookup() == ("from-env", KeySource.ENVIRONMENT)


def test_one_key_per_openai_server(memory_keyring):
    keys = ApiKeys(environ={"MISTRAL_API_KEY": "x"})
    keys.set("a", openai_account("http://gpu-a:8000/v1/"))
    keys.set("b", openai_account("http://gpu-b:8000/v1"))
    assert keys.get(openai_account("http://gpu-a:8000/v1")) == "a"
    assert keys.get(openai_account("http://gpu-b:8000/v1")) == "b"


def test_no_keyring_keeps_the_key_for_the_session_only(no_keyring, tmp_path):
    keys = ApiKeys(environ={})
    status = keys.status()
    assert not status.available and "session only" in status.message
    assert keys.set(SECRET) is KeySource.SESSION
    assert keys.lookup() == (SECRET, KeySource.SESSION)
    assert ApiKeys(environ={}).get() is None  # a new session does not know it
    keys.remove()
    assert keys.get() is None


def test_keyring_that_errors_falls_back_to_session(memory_keyring):
    def refuse(*_args):
        raise keyring.errors.PasswordSetError("locked")

    memory_keyring.set_password = refuse  # type: ignore[method-assign]
    keys = ApiKeys(environ={})
    assert keys.set(SECRET) is KeySource.SESSION
    assert not keys.status().available
    assert keys.get() == SECRET


def test_plaintext_keyring_is_refused():
    class PlaintextKeyring(MemoryKeyring):
        pass

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    keys = ApiKeys(environ={}, backend=PlaintextKeyring())
    assert not keys.status().available
    assert keys.set(SECRET) is KeySource.SESSION


def test_key_is_nowhere_on_disk_after_a_session(memory_keyring, tmp_path: Path):
    """Settings, logs, history and exports after a real turn: the key string is in none."""
    from app.settings import Settings
    from app.storage.export import export_all_json, export_all_markdown
    from app.storage.history import HistoryStore

    keys = ApiKeys(environ={})
    keys.set(SECRET)
    log_file = tmp_path / "logs" / "app.log"
    log_file.parent.mkdir()
    handler = logging.FileHandler(log_file)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # the SDK and httpx log requests at DEBUG
    try:
        with FakeChatServer() as server:
            backend = MistralBackend(keys.provider(), "pixtral-large-latest", server_url=server.url)
            backend.list_models()
            events = list(backend.generate(GenerationRequest([Message.user("hello")])))
            backend.close()
            assert server.requests[-1].headers["authorization"] == f"Bearer {SECRET}"
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
    answer = "".join(e.text for e in events if isinstance(e, Token))
    assert isinstance(events[-1], Finished)

    settings = Settings(tmp_path / "config" / "settings.ini")
    settings.save()
    with HistoryStore.open(tmp_path / "data") as store:
        conversation = store.create_conversation(title="t", backend="mistral")
        store.add_message(conversation, Role.USER, [TextPart("hello")])
        store.add_message(
            conversation,
            Role.ASSISTANT,
            [TextPart(answer)],
            status=MessageStatus.COMPLETE,
            backend="mistral",
        )
        export_all_json(store, tmp_path / "exports" / "all.json")
        export_all_markdown(store, tmp_path / "exports" / "md")

    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert log_file.stat().st_size > 0 and len(files) >= 4
    leaks = [str(p) for p in files if SECRET.encode() in p.read_bytes()]
    assert leaks == []
