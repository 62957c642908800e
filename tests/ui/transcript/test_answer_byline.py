"""Who wrote an answer: the model's short name and where it ran, from what was stored."""

from __future__ import annotations

import pytest

from app.core.conversation import MessageStatus, Role
from app.storage.records import StoredMessage
from app.ui.transcript.answer_byline import model_badge, short_model_name, where_ran
from app.ui.transcript.chat_view import ChatView
from app.ui.transcript.transcript_model import TranscriptItem


def _stored(role: Role = Role.ASSISTANT, backend: str = "", model: str = "", usage=None):
    return StoredMessage(
        1, 1, None, role, MessageStatus.COMPLETE, [], 0.0, 0.0, backend, model, usage
    )


@pytest.mark.parametrize(
    ("model", "short"),
    [
        ("pixtral-12b-Q4_K_M.gguf", "Pixtral 12B"),
        ("/models/pixtral-12b-Q8_0.gguf", "Pixtral 12B"),
        ("pixtral-large-latest", "Pixtral Large"),
        ("pixtral-12b-2409", "Pixtral 12B"),
        ("mistralai/Pixtral-12B-2409", "Pixtral 12B"),
        ("", ""),
    ],
)
def test_short_model_names(model: str, short: str) -> None:
    assert short_model_name(model) == short


def test_a_long_model_name_is_cut() -> None:
    name = short_model_name("x" * 500)
    assert len(name) <= 40 and name.endswith("…")


def test_badge_and_place_come_from_the_stored_answer() -> None:
    local = _stored(backend="local", model="pixtral-12b-Q4_K_M.gguf", usage={"device": "CUDA"})
    assert (model_badge(local), where_ran(local)) == ("Pixtral 12B", "Local · CUDA")
    assert where_ran(_stored(backend="local", model="m.gguf")) == "Local"  # still streaming
    remote = _stored(backend="mistral", model="pixtral-large-latest", usage={"device": "x"})
    assert (model_badge(remote), where_ran(remote)) == ("Pixtral Large", "La Plateforme")
    server = _stored(backend="openai", model="llava", usage={"device": "gpu-box.lan:8000"})
    assert where_ran(server) == "gpu-box.lan:8000"
    # An answer from before models were recorded: no model is guessed.
    older = _stored(backend="local")
    assert model_badge(older) == "" and where_ran(_stored()) == ""
    assert model_badge(_stored(Role.USER, "local", "m.gguf")) == ""
    assert where_ran(_stored(Role.USER, "local", "m.gguf")) == ""


def _texts(view: ChatView, row: int) -> list[str]:
    layout = view.delegate.layout_for(view.model().index(row))
    return [doc.toPlainText().strip() for _, doc in layout.docs]


def test_the_byline_is_shown_above_the_answer(qtbot, view: ChatView) -> None:
    model = view.model()
    model.append_message(TranscriptItem(Role.ASSISTANT, "Hi", model="Pixtral 12B", badge="Local"))
    model.append_message(TranscriptItem(Role.ASSISTANT, "Older answer"))
    model.append_message(TranscriptItem(Role.USER, "A question", model="ignored", badge="x"))
    layout = view.delegate.layout_for(model.index(0))
    byline = [(pos, doc) for pos, doc in layout.docs if "Pixtral 12B" in doc.toPlainText()]
    assert len(byline) == 1 and "Local" in byline[0][1].toPlainText()
    text_pos = next(pos for pos, doc in layout.docs if doc.toPlainText().strip() == "Hi")
    assert byline[0][0].y() < text_pos.y()  # above the answer
    assert _texts(view, 1) == ["Older answer"]  # nothing is guessed
    assert _texts(view, 2) == ["A question"]  # questions carry none
    model.set_byline(1, "Pixtral Large", "La Plateforme")
    assert any("Pixtral Large" in text for text in _texts(view, 1))
    accessible = model.data(model.index(0), 0x0B)  # AccessibleTextRole
    assert accessible.startswith("Assistant (Pixtral 12B, Local):")
