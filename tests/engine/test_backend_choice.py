"""Privacy and fallback policy, and replaying a local conversation on a remote backend."""

from __future__ import annotations

import socket

import pytest

from app.core.conversation import Message, MessageStatus
from app.engine.backend_choice import (
    Action,
    ConversationPolicy,
    LocalFailure,
    PrivacyError,
    Target,
    check_allowed,
    decide_fallback,
    local_failure,
)
from app.engine.base import EngineError, ErrorKind, Finished, GenerationRequest
from app.engine.mistral_api import MistralBackend
from app.engine.openai_compat import OpenAICompatBackend
from tests.engine.fake_servers import FakeChatServer, decode_uri, sent_images, solid_image

# The targets the registry makes (its labels are tested with it, in tests/test_backends.py).
LOCAL = Target("Local — nothing leaves this computer", remote=False)
PLATEFORME = Target("La Plateforme (Mistral servers)")
SERVER = Target("gpu-box.lan:8000 (your server)")


def test_a_target_is_remote_unless_said_otherwise():
    assert Target("somewhere").remote and not LOCAL.remote


@pytest.mark.parametrize("target", [PLATEFORME, SERVER])
def test_private_conversations_never_go_remote(target):
    with pytest.raises(PrivacyError, match="private"):
        check_allowed(ConversationPolicy(private=True), target)
    check_allowed(ConversationPolicy(private=True), LOCAL)
    check_allowed(ConversationPolicy(), target)
    for failure in LocalFailure:
        decision = decide_fallback(
            failure, ConversationPolicy(private=True, allow_fallback=True), target
        )
        assert decision.action is Action.REFUSE and "private" in decision.message


@pytest.mark.parametrize("failure", list(LocalFailure))
def test_fallback_is_offered_unless_allowed(failure):
    offer = decide_fallback(failure, ConversationPolicy(), PLATEFORME)
    assert offer.action is Action.OFFER and offer.target == PLATEFORME
    assert "La Plateforme" in offer.message
    perform = decide_fallback(failure, ConversationPolicy(allow_fallback=True), PLATEFORME)
    assert perform.action is Action.PERFORM
    none = decide_fallback(failure, ConversationPolicy(allow_fallback=True), None)
    assert none.action is Action.REFUSE and "Settings" in none.message


def test_only_fallback_worthy_failures_move_a_conversation():
    def err(kind, message="", detail=""):
        return EngineError(kind, message, detail=detail)

    assert local_failure(err(ErrorKind.OUT_OF_MEMORY)) is LocalFailure.OUT_OF_MEMORY
    assert local_failure(err(ErrorKind.CONTEXT_OVERFLOW)) is LocalFailure.CONTEXT_OVERFLOW
    assert local_failure(err(ErrorKind.MODEL_FILE, "x.gguf not found")) is (
        LocalFailure.MODEL_MISSING
    )
    assert local_failure(err(ErrorKind.MODEL_FILE, "bad header")) is LocalFailure.LOAD_FAILED
    assert local_failure(err(ErrorKind.BAD_INPUT, "broken image")) is None
    assert local_failure(err(ErrorKind.INTERNAL), model_configured=False) is (
        LocalFailure.MODEL_MISSING
    )
    assert decide_fallback(None, ConversationPolicy(allow_fallback=True), PLATEFORME).action is (
        Action.REFUSE
    )


@pytest.mark.parametrize("flavour", ["mistral", "openai"])
def test_conversation_started_locally_is_replayed_whole(flavour):
    first, second = solid_image(48, 32, (1, 2, 3)), solid_image(32, 48, (9, 8, 7))
    stopped = Message.assistant("Partial answ")
    stopped.status = MessageStatus.STOPPED
    failed = Message.assistant("")
    failed.status = MessageStatus.FAILED
    history = [
        Message.user("Describe this", [first]),
        Message.assistant("A red square.  "),  # produced locally
        Message.user("And this?", [second]),
        stopped,
        Message.user("Go on"),
        failed,
        Message.user("Please, go on"),
    ]
    with FakeChatServer(flavour) as server:
        if flavour == "mistral":
            backend = MistralBackend("k", "pixtral-large-latest", server_url=server.url)
        else:
            backend = OpenAICompatBackend(server.url + "/v1", "pixtral")
        events = list(backend.generate(GenerationRequest(history, system_prompt="S")))
        body = server.chat_requests()[0]
    assert isinstance(events[-1], Finished)
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    assert body["messages"][2]["content"] == "A red square."
    assert body["messages"][4]["content"] == "Partial answ"
    # The failed empty reply is dropped; the two user turns around it are merged, in order.
    last = [p["text"] for p in body["messages"][5]["content"]]
    assert last == ["Go on", "Please, go on"]
    uris = sent_images(body)
    assert [decode_uri(u)[2] for u in uris] == [first.rgb, second.rgb]


def test_private_local_path_opens_no_socket(monkeypatch):
    """The policy and payload code for a private conversation never touch the network."""
    opened: list[object] = []
    real_connect = socket.socket.connect

    def guard(self, address):  # pragma: no cover - only runs on a violation
        opened.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guard)
    policy = ConversationPolicy(private=True, allow_fallback=True)
    with pytest.raises(PrivacyError):
        check_allowed(policy, PLATEFORME)
    decide_fallback(LocalFailure.OUT_OF_MEMORY, policy, PLATEFORME)
    assert opened == []
