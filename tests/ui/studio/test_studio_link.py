"""Screenshot-to-HTML end to end: Make HTML, the live studio, Fix differences, the history.

Once on La Plateforme's wire format (the real ``mistralai`` SDK against a loopback server that
answers with real pages, so every step has a page to show), once on the real local engine with
the tiny random model (whose answers hold no page: the studio says so, and a hand edit is what
gets refined).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from PySide6.QtGui import QColor

from app.core.conversation import Role
from app.main import build_window
from app.ui.window.main_window import MainWindow
from app.workflows.html_versions import VersionSource
from tests.engine.fake_servers import FakeChatServer, Reply, decode_uri, sent_images
from tests.fixtures.pixtral_gguf import GgufPair
from tests.ui.window.test_main_window import TIMEOUT_MS, _close, _settings

PAGE_1 = """<!DOCTYPE html>
<html><head><style>body{margin:0;background:#ffffff}
header{height:60px;background:#2850c8}</style></head>
<body><header></header></body></html>"""
PAGE_2 = PAGE_1.replace("height:60px", "height:80px")


def _screenshot(tmp_path: Path) -> Path:
    path = tmp_path / "mockup.png"
    picture = Image.new("RGB", (480, 300), (255, 255, 255))
    picture.paste((40, 80, 200), (0, 0, 480, 80))
    picture.save(path)
    return path


def _tokens(answer: str, size: int = 4) -> tuple[str, ...]:
    return tuple(answer[i : i + size] for i in range(0, len(answer), size))


def _window(qtbot, settings, tmp_path: Path) -> MainWindow:
    window = build_window(settings, tmp_path / "data")
    qtbot.addWidget(window)
    window.show()
    return window


def _make_html(qtbot, window: MainWindow, tmp_path: Path, wishes: str = "") -> None:
    window.composer.add_files([_screenshot(tmp_path)])
    qtbot.waitUntil(lambda: len(window.composer.pending_images()) == 1, timeout=TIMEOUT_MS)
    window.composer.editor.setPlainText(wishes)
    with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS):
        window.composer.make_html_button.click()


def test_make_html_then_fix_differences_on_la_plateforme(qtbot, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("MISTRAL_API_KEY", "test-key-789")
    with FakeChatServer("mistral") as server:
        server.script(
            Reply(tokens=_tokens(f"Here is the page:\n```html\n{PAGE_1}\n```\nDone.")),
            Reply(tokens=_tokens(f"The header was too short.\n```html\n{PAGE_2}\n```")),
        )
        settings = _settings(tmp_path, None, backend="mistral", mistral_server_url=server.url)
        window = _window(qtbot, settings, tmp_path)
        try:
            _make_html(qtbot, window, tmp_path, "Use a blue header.")
            studio = window.studio_link.studio
            assert studio is not None and studio.isVisible()
            assert [v.html for v in studio.versions] == [PAGE_1]
            first = server.chat_requests()[0]
            question = first["messages"][-1]["content"]
            text = " ".join(p["text"] for p in question if p.get("type") == "text")
            assert "Recreate this user interface" in text and "480×300" in text
            assert "Use a blue header." in text and "https://" not in text
            assert [decode_uri(u)[1] for u in sent_images(first)] == [studio.original.size]
            assert window.composer.pending_images() == []

            # The render arrives and is compared; Fix differences is a second chat turn.
            qtbot.waitUntil(lambda: studio.refine_button.isEnabled(), timeout=TIMEOUT_MS)
            assert studio.render_image.pixelColor(10, 70) == QColor("#ffffff")  # 60 px header
            with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS):
                studio.refine_button.click()
            second = server.chat_requests()[1]
            uris = sent_images(second)
            assert len(uris) == 3  # the first turn's screenshot, then original + render
            original, render = decode_uri(uris[1]), decode_uri(uris[2])
            assert original[1] == render[1] == studio.original.size
            assert original[2] == decode_uri(uris[0])[2]
            assert render[2] != original[2]  # the render of version 1, not the screenshot
            refine_text = second["messages"][-1]["content"][-1]["text"]
            assert refine_text.startswith("The first image is the original screenshot")
            assert PAGE_1 not in refine_text  # the model has it already: the latest answer
            assert second["messages"][1]["role"] == "assistant"
            assert [v.html for v in studio.versions] == [PAGE_1, PAGE_2]
            assert "1 line added, 1 removed" in studio.changes.toPlainText()
            # The bubble says what the user did; the request stays behind "Show prompt".
            from app.workflows.citations import question_shown

            asked = window.session.messages[2].core.parts
            assert question_shown(asked) == "Fix differences"

            # It is all in the history: close the studio, reopen it on the chat.
            roles = [m.core.role for m in window.session.messages]
            assert roles == [Role.USER, Role.ASSISTANT, Role.USER, Role.ASSISTANT]
            studio.close()
            window.studio_link.studio = None
            window.studio_link.open_current()
            reopened = window.studio_link.studio
            assert [v.html for v in reopened.versions] == [PAGE_1, PAGE_2]
            assert reopened.original.source_size == (480, 300)
        finally:
            _close(window)


def test_make_html_and_refine_a_hand_edit_on_the_local_engine(
    qtbot, tmp_path: Path, tiny_pair: GgufPair
) -> None:
    window = _window(qtbot, _settings(tmp_path, tiny_pair), tmp_path)
    try:
        _make_html(qtbot, window, tmp_path)
        studio = window.studio_link.studio
        # The random model writes no page: the studio says so instead of showing a blank one.
        assert studio.versions == [] and "no HTML page" in studio.status.text()
        studio.code.setPlainText(PAGE_1)
        studio.use_edit_button.click()
        assert studio.current.source is VersionSource.EDIT
        qtbot.waitUntil(lambda: studio.refine_button.isEnabled(), timeout=TIMEOUT_MS)
        with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS):
            studio.refine_button.click()
        question = window.session.messages[-2].core
        assert len(question.images) == 2
        assert PAGE_1 in question.text  # the edit is quoted, so the history keeps it
        assert window.session.last_usage.prompt_tokens > question.images[1].tokens
        assert window.session.info.backend == "local"
    finally:
        _close(window)


def test_make_html_needs_exactly_one_screenshot(qtbot, tmp_path: Path, tiny_pair) -> None:
    window = _window(qtbot, _settings(tmp_path, tiny_pair), tmp_path)
    try:
        window.composer.make_html_button.click()
        assert "exactly one screenshot" in window.composer.notice.label.text()
        assert window.studio_link.studio is None
    finally:
        _close(window)


def test_without_qt_webengine_make_html_still_answers_in_the_chat(
    qtbot, tmp_path: Path, tiny_pair: GgufPair, monkeypatch
) -> None:
    import sys

    monkeypatch.setitem(
        sys.modules, "app.ui.studio.html_studio", None
    )  # import fails as if missing
    window = _window(qtbot, _settings(tmp_path, tiny_pair), tmp_path)
    notices: list[str] = []
    window.studio_link.problem.connect(notices.append)
    try:
        _make_html(qtbot, window, tmp_path)
        assert window.studio_link.studio is None
        assert any("needs Qt WebEngine" in text for text in notices)
        assert "needs Qt WebEngine" in window.composer.notice.label.text()
        roles = [m.core.role for m in window.session.messages]
        assert roles == [Role.USER, Role.ASSISTANT]
    finally:
        _close(window)


def test_a_screenshot_dropped_on_the_studio_starts_a_new_page(
    qtbot, tmp_path: Path, tiny_pair: GgufPair
) -> None:
    from tests.ui.drops import drop_on, file_urls

    window = _window(qtbot, _settings(tmp_path, tiny_pair), tmp_path)
    try:
        window.studio_link.open_current()
        studio = window.studio_link.studio
        assert studio.original is None and studio.versions == []
        with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS):
            drop_on(studio, file_urls(_screenshot(tmp_path)))
        question = window.session.messages[0].core
        assert question.images[0].source_size == (480, 300)
        assert "Recreate this user interface" in question.text
        assert studio.original.source_size == (480, 300)
        assert window.studio_link.conversation_id == window.session.conversation_id
    finally:
        _close(window)
