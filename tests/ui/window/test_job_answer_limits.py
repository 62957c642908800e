"""Jobs get an answer limit that fits them: a page of HTML, an answer about a document.

Make HTML on La Plateforme's wire format (the real SDK against a loopback server): the request
asks for a page's worth of tokens, a page cut at the limit is marked and Continue finishes it
in the same answer, with the cut page sent as the start of the reply. A document question on
the real local engine asks for a document answer's worth.
"""

from __future__ import annotations

from pathlib import Path

from app.core.composition import Composition
from app.core.conversation import TextPart
from app.core.document_marks import document_header, page_label
from app.storage.records import ANSWER_LIMIT_KEY
from app.workflows.documents import DOCUMENT_ANSWER_TOKENS
from app.workflows.screenshot_to_html import PAGE_ANSWER_TOKENS
from tests.engine.fake_servers import FakeChatServer, Reply
from tests.fixtures.pixtral_gguf import GgufPair
from tests.ui.studio.test_studio_link import PAGE_1, _make_html, _tokens, _window
from tests.ui.window.test_main_window import TIMEOUT_MS, _close, _settings

ANSWER = f"Here is the page:\n```html\n{PAGE_1}\n```\nDone."
CUT_AT = ANSWER.index("<body>")


def test_make_html_asks_for_a_page_and_continues_a_cut_one(
    qtbot, tmp_path: Path, monkeypatch, real_job_limits
) -> None:
    monkeypatch.setenv("MISTRAL_API_KEY", "test-key-789")
    first, rest = ANSWER[:CUT_AT], ANSWER[CUT_AT:]
    with FakeChatServer("mistral") as server:
        server.script(
            Reply(tokens=_tokens(first), finish_reason="length"),
            Reply(tokens=(first, *_tokens(rest))),  # La Plateforme repeats the prefix first
        )
        settings = _settings(tmp_path, None, backend="mistral", mistral_server_url=server.url)
        window = _window(qtbot, settings, tmp_path)
        try:
            _make_html(qtbot, window, tmp_path)
            asked = server.chat_requests()[0]
            assert asked["max_tokens"] == PAGE_ANSWER_TOKENS > settings["max_tokens"]
            assert window.transcript.item(1).limit_reached
            assert window.session.info.sampling[ANSWER_LIMIT_KEY] == PAGE_ANSWER_TOKENS

            # Half a page is not a version: the studio says how to finish it.
            studio = window.studio_link.studio
            assert studio is not None and studio.versions == []
            assert "Continue" in studio.status.text()
            answer = window.session.messages[-1].stored.id
            with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS):
                window.chat_view.continue_requested.emit(1)
            again = server.chat_requests()[1]
            assert again["max_tokens"] == PAGE_ANSWER_TOKENS
            assert again["messages"][-1] == {"role": "assistant", "content": first, "prefix": True}
            assert window.session.messages[-1].stored.id == answer
            assert window.transcript.item(1).text == ANSWER
            assert not window.transcript.item(1).limit_reached
            window.session.db_pool.waitForDone(10_000)
            assert window.store.get_message(answer).text == ANSWER
            assert [v.html for v in studio.versions] == [PAGE_1]
            # The whole page renders (and the preview is idle before the window closes).
            qtbot.waitUntil(lambda: studio.refine_button.isEnabled(), timeout=TIMEOUT_MS)
            qtbot.waitUntil(lambda: studio.preview.settled, timeout=TIMEOUT_MS)
        finally:
            _close(window)


def test_a_document_question_asks_for_a_document_answer(
    qtbot, tmp_path: Path, tiny_pair: GgufPair, real_job_limits
) -> None:
    window = _window(qtbot, _settings(tmp_path, tiny_pair), tmp_path)
    asked = []
    start = window.session.bridge.start

    def record(backend, request) -> None:
        asked.append(request)
        start(backend, request)

    window.session.bridge.start = record
    try:
        pages = [
            TextPart(document_header("lease.pdf", 1, [1])),
            TextPart(page_label("lease.pdf", 1) + "Rent is due monthly."),
        ]
        # The tiny model would write all 2,048 tokens: stop once the engine was asked.
        window.session.token_received.connect(lambda _text: window.session.stop())
        with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS):
            window.session.send(Composition("When is rent due?", document=pages), private=True)
        (request,) = asked
        assert request.sampling.max_tokens == DOCUMENT_ANSWER_TOKENS > 24
        assert request.sampling.fit_context  # within the room the context has left
        assert window.session.info.sampling[ANSWER_LIMIT_KEY] == DOCUMENT_ANSWER_TOKENS
        # A follow-up in the same chat gets it too.
        assert window.session.request().sampling.max_tokens == DOCUMENT_ANSWER_TOKENS
    finally:
        _close(window)
