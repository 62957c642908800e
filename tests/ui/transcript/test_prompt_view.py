"""What the user did, not the app's words: Make HTML and document questions on the real window.

The bubble and the chat's title show the user's action and words; "Show prompt" shows what
went to the model, which still gets the whole prompt. Driven on the tiny local engine.
"""

from __future__ import annotations

import os
from pathlib import Path

from app.core.images import Detail
from app.core.prompt import TextPiece, build_prompt
from app.ui.window.main_window import MainWindow
from app.workflows.documents import document_parts, open_document
from tests.fixtures.pixtral_gguf import GgufPair
from tests.ui.studio.test_studio_link import _make_html, _window
from tests.ui.window.test_main_window import _close, _send, _settings
from tests.workflows.pdf_factory import TextPage, write_pdf

SHOTS = os.environ.get("PROMPT_VIEW_SHOTS")  # a folder: save the transcript as PNG there


def _title(window: MainWindow) -> str:
    info = window.store.load(window.session.conversation_id).info
    return info.title


def _shot(window: MainWindow, name: str) -> None:
    if SHOTS:
        window.resize(900, 640)
        window.chat_view.grab().save(str(Path(SHOTS) / name))


def test_make_html_shows_the_action_and_keeps_the_prompt(
    qtbot, tmp_path: Path, tiny_pair: GgufPair
) -> None:
    window = _window(qtbot, _settings(tmp_path, tiny_pair), tmp_path)
    try:
        _make_html(qtbot, window, tmp_path, "use a dark theme")
        question = window.session.messages[0].core
        prompt = question.parts[1].text
        assert "Recreate this user interface" in prompt
        item = window.transcript.item(0)
        assert item.shown == "Make HTML · use a dark theme"
        assert "Recreate" not in item.shown and item.images  # the screenshot stays in the bubble
        title = _title(window)
        assert title == "Make HTML: use a dark theme" and len(title) <= 60
        # The model still reads the whole prompt, and the user's wishes after it.
        request = window.session.request()
        pieces = build_prompt(request.messages, request.system_prompt, request.placement)
        sent = "".join(piece.text for piece in pieces if isinstance(piece, TextPiece))
        assert f"{prompt}\n\nuse a dark theme" in sent
        view = window.chat_view
        assert "Show &prompt" in [a.text() for a in view.context_menu(0).actions()]
        view.show_prompt(0)
        shown = view.prompt_view.text_view.toPlainText()
        assert shown == f"[image: mockup.png]\n\n{prompt}\n\nuse a dark theme"
        assert view.prompt_view.text_view.isReadOnly()
        _shot(window, "make_html.png")
    finally:
        _close(window)


def test_a_document_question_shows_the_file_and_the_question(
    qtbot, tmp_path: Path, tiny_pair: GgufPair
) -> None:
    window = _window(qtbot, _settings(tmp_path, tiny_pair), tmp_path)
    try:
        pdf = write_pdf(
            tmp_path / "lease.pdf",
            [TextPage(["The rent is 900 euros."]), TextPage(["Deposit."]), TextPage(["End."])],
        )
        with open_document(pdf) as doc:
            parts = document_parts(doc, [1, 2, 3], Detail.LOW, True)
        window.composer.attach_document("lease.pdf", parts, 120)
        _send(qtbot, window, "What is the rent?")
        item = window.transcript.item(0)
        assert item.shown == "lease.pdf · pp. 1–3\n\nWhat is the rent?"
        title = _title(window)
        assert title == "lease.pdf: What is the rent?"
        assert "Document '" not in title
        window.chat_view.show_prompt(0)
        sent = window.chat_view.prompt_view.text_view.toPlainText()
        assert sent.startswith("Document 'lease.pdf' (3 pages)") and "900 euros" in sent
        assert sent.endswith("What is the rent?")
        _shot(window, "document.png")
    finally:
        _close(window)


def test_a_plain_question_has_no_prompt_to_show(qtbot, tmp_path: Path, tiny_pair) -> None:
    window = _window(qtbot, _settings(tmp_path, tiny_pair), tmp_path)
    try:
        _send(qtbot, window, "Hello there, how are you today?")
        assert window.transcript.item(0).sent == ""
        assert "Show &prompt" not in [a.text() for a in window.chat_view.context_menu(0).actions()]
        assert _title(window) == "Hello there, how are you today?"
    finally:
        _close(window)
