"""The chat window end to end, against the real engine on the tiny fixture model.

Drops, paste, send, streaming, stop, regenerate, edit-and-resend, reopening the app: what a
person does in the first five minutes, checked through the same widgets they use.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QCoreApplication, QMimeData, Qt, QUrl
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtTest import QTest

from app.core.conversation import MessageStatus, Role
from app.engine.base import FinishReason
from app.main import build_window
from app.settings import Settings
from app.ui.transcript.answer_byline import short_model_name
from app.ui.window.main_window import MainWindow
from tests.fixtures.pixtral_gguf import GgufPair

TIMEOUT_MS = 60_000


def _settings(tmp_path: Path, pair: GgufPair | None, **values: object) -> Settings:
    settings = Settings(tmp_path / "settings.ini")
    if pair is not None:
        settings["model"] = str(pair.model)
        settings["mmproj"] = str(pair.mmproj)
    settings["n_ctx"] = 4096
    settings["threads"] = 2
    settings["temperature"] = 0.0
    settings["max_tokens"] = 24
    for key, value in values.items():
        settings[key] = value
    settings.save()
    return settings


def _open(qtbot, settings: Settings, data: Path) -> MainWindow:
    window = build_window(settings, data)
    qtbot.addWidget(window)
    window.show()
    return window


def _close(window: MainWindow) -> None:
    if getattr(window, "closed_for_test", False):
        return
    window.closed_for_test = True
    window.session.close()
    window.close()
    window.engine.close()
    window.store.close()


@pytest.fixture
def window(qtbot, tmp_path: Path, tiny_pair: GgufPair) -> Iterator[MainWindow]:
    opened = _open(qtbot, _settings(tmp_path, tiny_pair), tmp_path / "data")
    yield opened
    _close(opened)


def _png(path: Path, size: tuple[int, int], color: tuple[int, int, int]) -> Path:
    Image.new("RGB", size, color).save(path)
    return path


def _send(qtbot, window: MainWindow, text: str) -> None:
    window.composer.editor.setPlainText(text)
    with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS):
        QTest.keyClick(window.composer.editor, Qt.Key.Key_Return)


def test_the_empty_window_offers_to_choose_model_files(qtbot, tmp_path: Path) -> None:
    window = _open(qtbot, _settings(tmp_path, None), tmp_path / "data")
    try:
        assert window.setup is not None and window.stack.currentWidget() is window.setup_page
        assert "Choose a model" in window.header.summary()
        # Choosing a pair in the assistant makes it the model and leaves the assistant.
        pair_dir = tmp_path / "pair"
        from tests.fixtures.pixtral_gguf import write_pixtral_pair

        pair = write_pixtral_pair(pair_dir)
        window.setup.model_chosen.emit(str(pair.model), str(pair.mmproj))
        assert window.settings["model"] == str(pair.model)
        assert window.stack.currentWidget() is window.empty_state
        assert "Local" in window.header.summary()
        # The memory the model will take is shown before it loads (worked out off the GUI
        # thread: it reads the files' headers), or the device once it has loaded.
        where = window.header.model_button.where_label
        qtbot.waitUntil(lambda: "needs ≈" in where.text() or window.engine.loaded(), timeout=9000)
        if not window.engine.loaded():
            assert "KV cache" in window.header.model_button.toolTip()
    finally:
        _close(window)


def test_the_model_menu_unloads_loads_and_switches_through_one_path(
    qtbot, tmp_path: Path, tiny_pair: GgufPair
) -> None:
    window = _open(qtbot, _settings(tmp_path, tiny_pair), tmp_path / "data")
    header, menu = window.header, window.header.model_menu
    try:
        assert not window.engine.loaded()
        with qtbot.waitSignal(window.engine.model_loaded, timeout=TIMEOUT_MS):
            menu.action_named("Load model").trigger()
        assert header.model_button.isVisible() and not header.load_bar.isVisible()
        assert header.model_button.where_label.text().startswith("Local · ")
        worker = window.engine.backend()._process  # type: ignore[union-attr]
        with qtbot.waitSignal(window.engine.model_unloaded, timeout=10_000):
            menu.action_named("Unload model — free its memory").trigger()
        assert not worker.is_alive()
        assert header.model_button.where_label.text() in ("Local · not loaded", "Local")
        assert menu.action_named("Load model") is not None
        # A pair from the menu becomes the model as the setup assistant's choice does.
        from tests.fixtures.pixtral_gguf import write_pixtral_pair

        other = write_pixtral_pair(tmp_path / "other", seed=3)
        menu.pair_chosen.emit(str(other.model), str(other.mmproj))
        assert window.settings["model"] == str(other.model)
        assert window.settings["mmproj"] == str(other.mmproj)
    finally:
        _close(window)


def _shown_words(window: MainWindow) -> list[str]:
    """Every label, button and tooltip text the window holds, for wording checks."""
    from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

    words = [w.text() for w in window.findChildren(QLabel)]
    words += [w.text() for w in window.findChildren(QAbstractButton)]
    words += [w.toolTip() for w in window.findChildren(QWidget)]
    return words


def test_without_a_model_send_waits_with_a_reason_and_the_setup_page_stays(
    qtbot, tmp_path: Path
) -> None:
    window = _open(qtbot, _settings(tmp_path, None), tmp_path / "data")
    try:
        composer = window.composer
        composer.editor.setPlainText("What is in this picture?")
        assert not composer.send_button.isEnabled()
        assert "Choose a model to start" in composer.send_button.toolTip()
        assert not composer.budget_line.isHidden()
        assert "Choose a model to start" in composer.budget_line.text()
        with qtbot.assertNotEmitted(composer.send_requested):  # refused: no turn starts
            QTest.keyClick(composer.editor, Qt.Key.Key_Return)
        QCoreApplication.processEvents()  # whatever the key queued has run (no guessed wait)
        assert window.stack.currentWidget() is window.setup_page
        assert window.transcript.rowCount() == 0 and window.session.conversation_id is None
        assert composer.text() == "What is in this picture?"
        assert not [w for w in _shown_words(window) if "--model" in w or "--mmproj" in w]
        # Once the pair is chosen, the same text can be sent.
        from tests.fixtures.pixtral_gguf import write_pixtral_pair

        pair = write_pixtral_pair(tmp_path / "pair")
        assert window.setup is not None
        window.setup.model_chosen.emit(str(pair.model), str(pair.mmproj))
        assert composer.send_button.isEnabled()
        assert composer.budget_line.isHidden()
    finally:
        _close(window)


def test_compose_send_stop_regenerate_edit_and_reopen(
    qtbot, window: MainWindow, tmp_path: Path, tiny_pair: GgufPair
) -> None:
    composer = window.composer
    # Three files dropped from a file manager, one image dragged from a browser as data.
    files = [
        _png(tmp_path / f"shot{i}.png", (64 + 16 * i, 48), (40 * i, 90, 200)) for i in range(3)
    ]
    dropped = QMimeData()
    dropped.setUrls([QUrl.fromLocalFile(str(p)) for p in files])
    assert composer.add_from_mime(dropped)
    from_browser = QMimeData()
    from_browser.setImageData(QImage(str(files[0])).scaled(80, 40))
    assert composer.add_from_mime(from_browser)
    # A pasted image.
    QGuiApplication.clipboard().setImage(QImage(str(files[1])).scaled(32, 96))
    composer.editor.setFocus()
    QTest.keySequence(composer.editor, "Ctrl+V")
    qtbot.waitUntil(
        lambda: composer.images.rowCount() == 5 and composer.images.all_ready, timeout=10_000
    )
    composer.images.remove(1)
    qtbot.waitUntil(lambda: len(composer.pending_images()) == 4)
    sent_images = composer.pending_images()

    # Send: the answer streams into the transcript.
    tokens: list[str] = []
    window.session.token_received.connect(tokens.append)
    with qtbot.waitSignal(window.session.usage_ready, timeout=TIMEOUT_MS) as usage_signal:
        _send(qtbot, window, "What is in these screenshots?")
    usage = usage_signal.args[0]
    assert tokens
    assert window.transcript.rowCount() == 2
    question, answer = window.transcript.item(0), window.transcript.item(1)
    assert question.role is Role.USER and len(question.images) == 4
    assert answer.text == "".join(tokens) and answer.status is MessageStatus.COMPLETE
    assert list(usage.image_tokens) == [image.tokens for image in sent_images]
    assert window.composer.text() == "" and composer.images.rowCount() == 0
    # The context meter shows the engine's own count of the conversation.
    budget = window.composer.meter.budget
    assert budget is not None
    assert budget.prompt_tokens == usage.prompt_tokens + usage.generated_tokens
    # When the composition rests, the engine counts the next turn exactly.
    window.composer.editor.setPlainText("And now?")
    qtbot.waitUntil(lambda: window.meter_feed.exact_count is not None, timeout=10_000)
    assert window.composer.meter.budget.prompt_tokens == window.meter_feed.exact_count.prompt_tokens

    # Stop mid-answer: the partial answer is kept and marked stopped.
    window.settings["max_tokens"] = 3000
    window.settings["temperature"] = 0.8
    window.settings["seed"] = 42  # a fixed seed whose answer does not end at its first token
    window.session.token_received.connect(lambda _t: window.composer.stop_requested.emit())
    window.composer.editor.setPlainText("Tell me everything")
    with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS) as stopped:
        QTest.keyClick(window.composer.editor, Qt.Key.Key_Return)
    assert stopped.args[0].reason is FinishReason.CANCELLED
    last = window.transcript.item(window.transcript.rowCount() - 1)
    assert last.status is MessageStatus.STOPPED and last.text == stopped.args[0].text
    window.session.token_received.disconnect()
    window.settings["max_tokens"] = 16

    # Regenerate the last answer: a second version beside the first.
    row = window.transcript.rowCount() - 1
    with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS):
        window.chat_view.regenerate_requested.emit(row)
    assert window.transcript.item(row).branch_count == 2
    assert window.transcript.item(row).branch_index == 1

    # Edit the first question and resend: the old branch is kept and navigable.
    first_id = window.transcript.item(0).message_id
    with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS):
        window.session.edit(int(first_id), "Describe them one by one")
    assert window.transcript.rowCount() == 2
    assert window.transcript.item(0).branch_count == 2
    assert window.transcript.item(0).text == "Describe them one by one"
    assert len(window.transcript.item(0).images) == 4
    with qtbot.waitSignal(window.session.conversation_opened, timeout=TIMEOUT_MS):
        window.chat_view.branch_requested.emit(0, -1)
    assert window.transcript.item(0).text == "What is in these screenshots?"
    assert window.transcript.rowCount() == 4
    shown = [(i.role, i.text, len(i.images)) for i in window.transcript.items()]
    conversation = window.session.conversation_id

    # Reopen the app: the conversation is intact, on the branch last shown.
    settings_path = window.settings.path
    _close(window)
    again = _open(qtbot, Settings(settings_path), tmp_path / "data")
    try:
        qtbot.waitUntil(lambda: again.transcript.rowCount() == 4, timeout=10_000)
        assert again.session.conversation_id == conversation
        assert [(i.role, i.text, len(i.images)) for i in again.transcript.items()] == shown
        qtbot.waitUntil(lambda: again.sidebar.model.rowCount() == 1, timeout=10_000)
    finally:
        _close(again)


def test_an_engine_error_shows_inline_and_keeps_the_question(qtbot, tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 100)
    settings = _settings(tmp_path, None, model=str(broken))
    window = _open(qtbot, settings, tmp_path / "data")
    try:
        window.composer.editor.setPlainText("Hello?")
        with qtbot.waitSignal(window.session.turn_failed, timeout=TIMEOUT_MS):
            QTest.keyClick(window.composer.editor, Qt.Key.Key_Return)
        assert window.transcript.item(0).text == "Hello?"
        answer = window.transcript.item(1)
        assert answer.status is MessageStatus.FAILED and "broken.gguf" in answer.error
        assert window.composer.send_button.text() != "Stop"
    finally:
        _close(window)


def test_deleting_a_message_removes_it_and_what_follows(
    qtbot, window: MainWindow, monkeypatch
) -> None:
    _send(qtbot, window, "First question")
    _send(qtbot, window, "Second question")
    assert window.transcript.rowCount() == 4
    monkeypatch.setattr(
        "app.ui.window.transcript_actions.confirm_destructive", lambda *a, **k: True
    )
    with qtbot.waitSignal(window.session.conversation_opened, timeout=TIMEOUT_MS):
        window.chat_view.delete_requested.emit(2)
    assert [i.text for i in window.transcript.items()][:1] == ["First question"]
    assert window.transcript.rowCount() == 2
    conversation = window.session.conversation_id
    assert len(window.store.load(conversation).messages) == 2


def test_la_plateforme_conversations_say_so_and_private_ones_never_leave(
    qtbot, tmp_path: Path, tiny_pair: GgufPair, monkeypatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from tests.engine.fake_servers import FakeChatServer

    monkeypatch.setenv("MISTRAL_API_KEY", "test-key-456")
    with FakeChatServer("mistral") as server:
        settings = _settings(tmp_path, tiny_pair, backend="mistral", mistral_server_url=server.url)
        window = _open(qtbot, settings, tmp_path / "data")
        try:
            assert "Sent to La Plateforme" in window.header.summary()
            _send(qtbot, window, "Hello from the desk")
            assert window.transcript.item(1).status is MessageStatus.COMPLETE
            assert len(server.chat_requests()) == 1
            # Mark it private: the next turn is refused before anything is sent.
            with qtbot.waitSignal(window.session.conversation_opened, timeout=TIMEOUT_MS):
                window.header.private_box.click()
            assert window.session.info.private and window.header.private_box.isChecked()
            window.composer.editor.setPlainText("Secret follow-up")
            offered: list[str] = []  # the local model is offered; this user declines

            def decline(_parent: object, _title: str, text: str, *_rest: object) -> object:
                offered.append(text)
                return QMessageBox.StandardButton.No

            monkeypatch.setattr(QMessageBox, "question", decline)
            with qtbot.waitSignal(window.session.turn_failed, timeout=TIMEOUT_MS) as failed:
                QTest.keyClick(window.composer.editor, Qt.Key.Key_Return)
            assert "private" in failed.args[0].message
            assert len(offered) == 1 and "local model" in offered[0]
            assert window.settings["backend"] == "mistral"
            assert len(server.chat_requests()) == 1
        finally:
            _close(window)


def test_a_failed_local_turn_offers_la_plateforme_and_replays_the_chat(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from tests.engine.fake_servers import FakeChatServer

    monkeypatch.setenv("MISTRAL_API_KEY", "test-key-789")
    asked: list[str] = []

    def yes(_parent: object, _title: str, text: str, *args: object) -> object:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", yes)
    missing = tmp_path / "gone.gguf"
    with FakeChatServer("mistral") as server:
        settings = _settings(tmp_path, None, model=str(missing), mistral_server_url=server.url)
        window = _open(qtbot, settings, tmp_path / "data")
        try:
            window.composer.editor.setPlainText("Are you there?")
            with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS) as done:
                QTest.keyClick(window.composer.editor, Qt.Key.Key_Return)
            assert asked and "La Plateforme" in asked[0]
            assert done.args[0].text
            body = server.chat_requests()[-1]
            assert body["messages"][-1]["role"] == "user"
            assert "Are you there?" in str(body["messages"][-1]["content"])
            answer = window.transcript.item(window.transcript.rowCount() - 1)
            assert answer.status is MessageStatus.COMPLETE and answer.branch_count == 2
            stored = window.store.get_message(int(answer.message_id))
            assert stored.backend == "mistral"
            assert answer.badge == "La Plateforme"  # where it ran, above the answer
            assert stored.model and answer.model == short_model_name(stored.model)
            assert window.transcript.item(0).badge == window.transcript.item(0).model == ""
        finally:
            _close(window)


def test_yes_to_all_lets_this_chat_fall_back_without_asking_again(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from tests.engine.fake_servers import FakeChatServer

    monkeypatch.setenv("MISTRAL_API_KEY", "test-key-789")
    asked: list[str] = []

    def yes_to_all(_parent: object, _title: str, text: str, *args: object) -> object:
        asked.append(text)
        return QMessageBox.StandardButton.YesToAll

    monkeypatch.setattr(QMessageBox, "question", yes_to_all)
    with FakeChatServer("mistral") as server:
        settings = _settings(
            tmp_path, None, model=str(tmp_path / "gone.gguf"), mistral_server_url=server.url
        )
        window = _open(qtbot, settings, tmp_path / "data")
        try:
            for question in ("One?", "Two?"):
                window.composer.editor.setPlainText(question)
                with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS):
                    QTest.keyClick(window.composer.editor, Qt.Key.Key_Return)
            assert len(asked) == 1  # the second failure fell back as allowed, unasked
            assert len(server.chat_requests()) == 2
            assert window.session.info.allow_fallback is True  # saved with this chat
            stored = window.store.get_conversation(window.session.info.id)
            assert stored.allow_fallback is True and "allow_fallback" not in stored.sampling
        finally:
            _close(window)


def test_a_chats_own_settings_are_asked_for_and_unknown_ones_ignored(qtbot, tmp_path: Path) -> None:
    window = _open(qtbot, _settings(tmp_path, None), tmp_path / "data")
    try:
        cid = window.store.create_conversation(
            sampling={"seed": 42, "temperature": 0.7, "from_a_newer_version": True}
        )
        with qtbot.waitSignal(window.session.conversation_opened, timeout=TIMEOUT_MS):
            window.session.open(cid)
        sampling = window.session.request().sampling
        assert (sampling.seed, sampling.temperature) == (42, 0.7)
        assert sampling.max_tokens == 24  # not set for this chat: the app's setting
    finally:
        _close(window)


def test_a_pdf_goes_with_the_question_and_the_chat_stays_private(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    from app.core.images import Detail
    from app.workflows.citations import sent_pages
    from app.workflows.documents import document_parts, open_document
    from tests.workflows.pdf_factory import ScannedPage, TextPage, write_pdf

    pdf = write_pdf(
        tmp_path / "lease.pdf",
        [TextPage(["The rent is 900 euros.", "Paid monthly."]), ScannedPage((300, 200))],
    )
    with open_document(pdf) as doc:
        parts = document_parts(doc, [1, 2], Detail.LOW, True)
    window.composer.attach_document("lease.pdf", parts, 120)
    assert window.composer.document_chips.captions() == ["lease.pdf · pp. 1–2"]
    budget = window.composer.meter.budget
    assert budget is not None and budget.prompt_tokens >= 120  # counted before sending
    _send(qtbot, window, "What is the rent? Cite the page.")
    assert window.session.info is not None and window.session.info.private
    assert window.composer.document_chips.isHidden()
    question = window.store.load(window.session.conversation_id).messages[0]
    assert "p. 1" in question.text and "900 euros" in question.text
    assert any(p.kind == "image" for p in question.parts)  # the scanned page went as an image
    assert window.transcript.item(1).status is MessageStatus.COMPLETE
    assert window.transcript.item(0).shown.startswith("lease.pdf · pp. 1–2 (p. 2 as an image)")

    # Editing the question starts from what was typed (the scanned page is not offered as an
    # image of the user's); the document goes again, whole.
    window.chat_view.edit_requested.emit(0)
    editor = window.transcript_actions.editor
    assert editor is not None
    assert editor.text() == "What is the rent? Cite the page." and editor.images == []
    editor.text_box.setPlainText("And the deposit?")
    with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS):
        editor.save_button.click()
    edited = window.session.messages[0].core
    assert edited.text.endswith("And the deposit?") and "900 euros" in edited.text
    assert [p.page for p in sent_pages(edited.parts)] == [1, 2]
    assert window.session.messages[0].stored.sibling_count == 2


def test_clicking_a_page_citation_shows_the_page_as_sent(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    from app.core.images import Detail
    from app.ui.common.image_viewer import ImageViewerDialog
    from app.workflows.documents import document_parts, open_document
    from tests.workflows.pdf_factory import ScannedPage, TextPage, write_pdf

    pdf = write_pdf(
        tmp_path / "lease.pdf",
        [TextPage(["The rent is 900 euros."]), ScannedPage((300, 200), (30, 160, 40))],
    )
    with open_document(pdf) as doc:
        parts = document_parts(doc, [1, 2], Detail.LOW, True)
    window.composer.attach_document("lease.pdf", parts, 120)
    _send(qtbot, window, "Where is the plan?")
    # The tiny model writes gibberish; give its answer the citations a real model writes.
    window.transcript.set_text(1, "The plan is on p. 2; the rent on p. 1. See also p. 7.")
    view = window.chat_view
    qtbot.waitUntil(lambda: view.delegate.all_measured(), timeout=5_000)
    index = window.transcript.index(1)

    def click(href: str) -> None:
        rect = view.delegate.anchor_rect(index, view.visualRect(index), href)
        assert rect is not None, href
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center().toPoint())

    click("pixtral-page:2")
    [viewer] = [d for d in window.findChildren(ImageViewerDialog) if d.isVisible()]
    assert viewer.windowTitle() == "p. 2 — lease.pdf"
    assert viewer.image.name == "lease.pdf p. 2" and viewer.image.rgb[:3] == bytes((30, 160, 40))
    viewer.close()
    click("pixtral-page:7")
    assert "p. 7 was not sent" in window.activity.text()
    assert "lease.pdf p. 1–2" in window.activity.text()
    # Reopened from the history, the question still knows its pages (and their pixels).
    window.transcript.clear()
    window.session.open(window.session.conversation_id)
    qtbot.waitUntil(lambda: window.transcript.rowCount() == 2, timeout=5_000)
    window.transcript.set_text(1, "See p. 2.")
    assert 'href="pixtral-page:2"' in window.transcript.rendered(1).html
    [_, image_page] = window.transcript.sent_pages_before(1)
    assert image_page.image is not None and image_page.image.rgb[:3] == bytes((30, 160, 40))
