"""The context meter counts the very question the session then sends and stores.

The real composer, meter feed and chat session, wired as the main window wires them, against a
scripted backend that lays out each request with the engine's own prompt builder and records it.
If the meter and the session ever built the question two ways again, the counted request and
the stored message would differ here.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from app.core.composition import Composition
from app.core.conversation import ImagePart, Part, Role, TextPart
from app.core.document_marks import document_header, page_label
from app.core.images import Detail, prepare_image
from app.core.prompt import Piece, build_prompt, prompt_images
from app.engine.base import (
    EngineEvent,
    Finished,
    FinishReason,
    GenerationRequest,
    Sampling,
    Token,
)
from app.engine.local.protocol import Counted
from app.storage.history import HistoryStore
from app.ui.composer.composer import Composer
from app.ui.composer.meter_feed import MeterFeed
from app.ui.session.chat_session import ChatSession

WAIT_MS = 10_000


class CountingBackend:
    """Counts and answers through ``build_prompt``, keeping every request it was handed."""

    name = "local"

    def __init__(self) -> None:
        self.counted: list[GenerationRequest] = []
        self.generated: list[GenerationRequest] = []

    def count_tokens(self, request: GenerationRequest) -> Counted:
        self.counted.append(request)
        pieces = self._pieces(request)
        return Counted(len(pieces), tuple(image.tokens for image in prompt_images(pieces)))

    def generate(self, request: GenerationRequest) -> Iterator[EngineEvent]:
        self.generated.append(request)
        self._pieces(request)
        yield Token("Seen.")
        yield Finished(FinishReason.STOP, "Seen.")

    def cancel(self) -> None:
        pass

    def close(self) -> None:
        pass

    @staticmethod
    def _pieces(request: GenerationRequest) -> list[Piece]:
        return build_prompt(request.messages, request.system_prompt, request.placement)


class Desk:
    """The three objects under test, connected the way ``MainWindow`` connects them."""

    def __init__(self, qtbot, data: Path) -> None:
        self.qtbot = qtbot
        self.store = HistoryStore.open(data)
        self.backend = CountingBackend()
        self.session = ChatSession(self.store, lambda: self.backend, Sampling)
        self.composer = Composer()
        qtbot.addWidget(self.composer)
        self.feed = MeterFeed(
            self.session, self.composer, lambda: 256, lambda: 4096, parent=self.composer
        )
        self.composer.composition_changed.connect(self.feed.update)
        self.composer.send_requested.connect(self._on_composer_send_requested)
        self.session.turn_started.connect(lambda _opened: self.composer.clear_after_send())

    def _on_composer_send_requested(self, composition: Composition) -> None:
        self.session.send(composition, private=bool(composition.document))

    def count_then_send(self) -> GenerationRequest:
        """Wait for the exact count of what is in the composer, send it; the counted request."""
        self.feed.counted = None
        self.feed.update()
        self.qtbot.waitUntil(lambda: self.feed.counted is not None, timeout=WAIT_MS)
        counted = self.feed.counted
        assert counted is not None
        with self.qtbot.waitSignal(self.session.turn_finished, timeout=WAIT_MS):
            self.composer.send_button.click()
        return counted

    def stored_question(self) -> list[Part]:
        """The last question as the history holds it, read back from the database."""
        conversation = self.session.conversation_id
        assert conversation is not None
        questions = [m for m in self.store.load(conversation).messages if m.role is Role.USER]
        return questions[-1].to_core(self.store.blobs).parts

    def close(self) -> None:
        self.session.close()
        self.store.close()


@pytest.fixture
def desk(qtbot, tmp_path: Path) -> Iterator[Desk]:
    opened = Desk(qtbot, tmp_path / "data")
    yield opened
    opened.close()


def _add_images(desk: Desk, image_file, *names: str) -> None:
    desk.composer.add_files([image_file(40 + 16 * i, 32, name) for i, name in enumerate(names)])
    desk.qtbot.waitUntil(
        lambda: desk.composer.images.rowCount() == len(names) and desk.composer.images.all_ready,
        timeout=WAIT_MS,
    )


def _attach_lease(desk: Desk) -> list[Part]:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 80), (250, 250, 250)).save(buffer, format="PNG")
    page = prepare_image(buffer.getvalue(), Detail.LOW, name="lease.pdf p. 2.png")
    parts: list[Part] = [
        TextPart(document_header("lease.pdf", 2, [1, 2])),
        TextPart(page_label("lease.pdf", 1) + "The rent is 900 a month.\n"),
        TextPart(page_label("lease.pdf", 2)),
        ImagePart(page),
    ]
    desk.composer.attach_document("lease.pdf", parts, 120)
    return parts


def _assert_sent_as_counted(desk: Desk, counted: GenerationRequest) -> None:
    """The counted question is the one stored, and the engine was asked what was counted."""
    assert list(counted.messages[-1].parts) == desk.stored_question()
    asked = desk.backend.generated[-1]
    assert list(asked.messages) == list(counted.messages)
    assert (asked.system_prompt, asked.placement) == (counted.system_prompt, counted.placement)


def test_text_only_is_counted_as_sent(desk: Desk) -> None:
    desk.composer.editor.setPlainText("  What is a context window?\n")
    counted = desk.count_then_send()
    assert desk.stored_question() == [TextPart("What is a context window?")]
    _assert_sent_as_counted(desk, counted)


def test_images_and_text_are_counted_as_sent(desk: Desk, image_file) -> None:
    _add_images(desk, image_file, "before.png", "after.png")
    desk.composer.images.set_detail(1, "low")
    desk.composer.editor.setPlainText("What changed?")
    counted = desk.count_then_send()
    stored = desk.stored_question()
    assert [type(part) for part in stored] == [ImagePart, ImagePart, TextPart]
    assert [part.image.detail for part in stored if isinstance(part, ImagePart)] == [
        Detail.NATIVE,
        Detail.LOW,
    ]
    _assert_sent_as_counted(desk, counted)


def test_images_alone_are_counted_without_a_text(desk: Desk, image_file) -> None:
    """Nothing typed: no text part is sent, so none may be counted either."""
    _add_images(desk, image_file, "only.png")
    counted = desk.count_then_send()
    assert [type(part) for part in desk.stored_question()] == [ImagePart]
    _assert_sent_as_counted(desk, counted)


def test_a_document_with_images_and_text_is_counted_as_sent(desk: Desk, image_file) -> None:
    _add_images(desk, image_file, "photo.png")
    document = _attach_lease(desk)
    desk.composer.editor.setPlainText("Does the photo match the lease?")
    counted = desk.count_then_send()
    stored = desk.stored_question()
    assert stored[1:-1] == document and stored[-1] == TextPart("Does the photo match the lease?")
    assert desk.session.info is not None and desk.session.info.private  # document chats are
    _assert_sent_as_counted(desk, counted)


def test_a_follow_up_is_counted_with_the_conversation_before_it(desk: Desk, image_file) -> None:
    _add_images(desk, image_file, "chart.png")
    desk.composer.editor.setPlainText("Read this chart")
    desk.count_then_send()
    desk.composer.editor.setPlainText("And the trend?")
    counted = desk.count_then_send()
    assert [m.role for m in counted.messages] == [Role.USER, Role.ASSISTANT, Role.USER]
    _assert_sent_as_counted(desk, counted)
