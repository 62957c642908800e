"""Pages of a document never reach a remote server, however the conversation got them.

Each case runs both remote backends (the real SDK / httpx) against a loopback server that
records every request: the count must stay zero, and the turn ends with the privacy error the
UI turns into an offer of the local model.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest

from app.core.conversation import ImagePart, Message, Part, Role, TextPart
from app.core.document_marks import document_header, holds_document, page_label
from app.engine.backend_choice import DOCUMENT_STAYS_LOCAL
from app.engine.base import EngineError, ErrorKind, Finished, GenerationRequest
from app.engine.chat_payload import build_payload
from app.engine.mistral_api import MistralBackend
from app.engine.openai_compat import OpenAICompatBackend
from app.workflows.citations import question_words
from tests.engine.fake_servers import FakeChatServer, solid_image


def pages_as_text() -> list[Part]:
    return [
        TextPart(document_header("contract.pdf", 3, [1])),
        TextPart(page_label("contract.pdf", 1) + "The rent is 900 a month.\n"),
    ]


def pages_as_images() -> list[Part]:
    return [
        TextPart(document_header("scan.pdf", 1, [1])),
        TextPart(page_label("scan.pdf", 1)),
        ImagePart(solid_image(64, 64)),
    ]


def question(parts: list[Part], text: str) -> Message:
    return Message(Role.USER, [*parts, TextPart(text)])


@pytest.fixture(params=["openai", "mistral"])
def remote(request) -> Iterator[tuple[FakeChatServer, object]]:
    with FakeChatServer(request.param) as srv:
        if request.param == "openai":
            backend = OpenAICompatBackend(srv.url + "/v1", "m")
        else:
            backend = MistralBackend("k" * 32, "pixtral-large-latest", server_url=srv.url)
        yield srv, backend
        backend.close()


def refused(backend, messages: list[Message]) -> None:
    events = list(backend.generate(GenerationRequest(messages)))
    assert len(events) == 1 and isinstance(events[0], EngineError)
    assert events[0].kind is ErrorKind.PRIVACY and events[0].message == DOCUMENT_STAYS_LOCAL


Case = Callable[[], list[Message]]
CASES: dict[str, Case] = {
    # A document chat from its first message.
    "new chat, pages as text": lambda: [question(pages_as_text(), "What is the rent?")],
    "new chat, pages as images": lambda: [question(pages_as_images(), "Summarise p. 1")],
    # An existing chat that was fine remotely, then had pages attached.
    "pages added later": lambda: [
        Message.user("Hello"),
        Message.assistant("Hi! How can I help?"),
        question(pages_as_images(), "And this scan?"),
    ],
    # A later, ordinary question in a chat whose history holds pages.
    "follow-up after pages": lambda: [
        question(pages_as_text(), "What is the rent?"),
        Message.assistant("900 a month (p. 1)."),
        Message.user("Thanks, and the deposit?"),
    ],
    # Regenerate: the same history again, without the failed answer.
    "regenerate": lambda: [question(pages_as_text(), "What is the rent?")],
    # Edit: the new version keeps the document's parts (ChatSession.edit keeps them).
    "edit": lambda: [
        question(
            [p for p in question(pages_as_text(), "old words").parts if not question_words([p])],
            "new words",
        )
    ],
}


@pytest.mark.parametrize("case", list(CASES))
def test_no_request_reaches_the_server(remote, case):
    srv, backend = remote
    messages = CASES[case]()
    assert holds_document(messages)
    refused(backend, messages)
    assert srv.requests == []


def test_the_chat_works_remotely_until_pages_arrive(remote):
    srv, backend = remote
    history = [Message.user("Hello")]
    assert isinstance(list(backend.generate(GenerationRequest(history)))[-1], Finished)
    assert len(srv.requests) == 1
    history += [Message.assistant("Hello, world."), question(pages_as_text(), "Rent?")]
    refused(backend, history)
    assert len(srv.requests) == 1


def test_token_counting_sends_nothing_either(remote):
    """The context meter counts through ``backend.count_tokens`` where a backend has one; a
    remote one has none today (the meter estimates), and one added later must refuse too."""
    srv, backend = remote
    count = getattr(backend, "count_tokens", None)
    if count is not None:
        with contextlib.suppress(Exception):
            count(GenerationRequest([question(pages_as_text(), "Rent?")]))
    assert srv.requests == []


def test_the_payload_builder_itself_refuses():
    from app.engine.backend_choice import DocumentStaysLocal

    with pytest.raises(DocumentStaysLocal):
        build_payload(GenerationRequest([question(pages_as_images(), "hi")]))
    plain = build_payload(GenerationRequest([Message.user("[not a label] just brackets")]))
    assert plain.messages[0]["content"][0]["text"] == "[not a label] just brackets"
