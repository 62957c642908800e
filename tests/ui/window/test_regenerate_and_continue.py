"""Regenerate writes a new answer, and an answer cut at the limit says so and can be continued.

Through the real window and the real engine on the tiny random model: at temperature 0.8 its
gibberish follows the seed, so two versions differ when each turn draws a seed, a version's
stored seed writes it again, and a fixed seed repeats the answer. Continue is clicked where
the user clicks it, under the answer.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.engine.base import FinishReason
from app.storage.records import StoredMessage
from app.ui.window.main_window import MainWindow
from tests.fixtures.pixtral_gguf import GgufPair
from tests.ui.window.test_main_window import TIMEOUT_MS, _close, _open, _send, _settings


def _settled(window: MainWindow) -> None:
    """Wait for the history writes of the last turn (they run after ``turn_finished``)."""
    window.session.db_pool.waitForDone(10_000)


def _versions(window: MainWindow) -> list[StoredMessage]:
    _settled(window)
    last = window.store.get_message(window.session.messages[-1].stored.id)
    return [window.store.get_message(i) for i in last.sibling_ids]


def _regenerate(qtbot, window: MainWindow, row: int = 1) -> None:
    with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS):
        window.chat_view.regenerate_requested.emit(row)


def test_each_version_has_its_own_seed_and_a_stored_seed_writes_it_again(
    qtbot, tmp_path: Path, tiny_pair: GgufPair
) -> None:
    settings = _settings(tmp_path, tiny_pair, temperature=0.8, max_tokens=12)
    assert settings["seed"] == -1  # the default: a new seed for every answer
    window = _open(qtbot, settings, tmp_path / "data")
    try:
        _send(qtbot, window, "Tell me something")
        _regenerate(qtbot, window)
        _regenerate(qtbot, window)
        versions = _versions(window)
        texts = [v.text for v in versions]
        seeds = [v.usage["seed"] for v in versions]
        assert len(versions) == 3 and len(set(seeds)) == 3
        assert len(set(texts)) == 3, texts

        # The first version's seed, set for this chat, writes the first version again.
        cid = window.session.conversation_id
        window.store.update_conversation(cid, sampling={"seed": seeds[0]})
        with qtbot.waitSignal(window.session.conversation_opened, timeout=TIMEOUT_MS):
            window.session.open(cid)
        _regenerate(qtbot, window)
        again = _versions(window)[-1]
        assert (again.text, again.usage["seed"]) == (texts[0], seeds[0])
    finally:
        _close(window)


def test_a_fixed_seed_writes_the_same_answer_again(
    qtbot, tmp_path: Path, tiny_pair: GgufPair
) -> None:
    settings = _settings(tmp_path, tiny_pair, temperature=0.8, max_tokens=12, seed=7)
    window = _open(qtbot, settings, tmp_path / "data")
    try:
        _send(qtbot, window, "Tell me something")
        _regenerate(qtbot, window)
        first, second = _versions(window)
        assert first.text == second.text and first.usage["seed"] == second.usage["seed"] == 7
    finally:
        _close(window)


def _click_continue(qtbot, window: MainWindow, row: int) -> None:
    view = window.chat_view
    index = window.transcript.index(row)
    view.scrollTo(index)
    rect = view.delegate.anchor_rect(index, view.visualRect(index), "action:continue")
    assert rect is not None, "no Continue under the answer"
    with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS) as finished:
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    assert finished.args[0].reason is FinishReason.LENGTH


def test_an_answer_cut_at_the_limit_is_marked_and_continues_from_the_cache(
    qtbot, tmp_path: Path, tiny_pair: GgufPair
) -> None:
    window = _open(qtbot, _settings(tmp_path, tiny_pair, max_tokens=8), tmp_path / "data")
    try:
        _send(qtbot, window, "Write a long story")
        answer = window.session.messages[-1].stored.id
        _settled(window)
        stored = window.store.get_message(answer)
        assert stored.reached_limit and stored.usage["generated_tokens"] == 8
        assert window.transcript.item(1).limit_reached
        cut = stored.text

        # Reopened from the history, it is still marked.
        cid = window.session.conversation_id
        with qtbot.waitSignal(window.session.conversation_opened, timeout=TIMEOUT_MS):
            window.session.open(cid)
        assert window.transcript.item(1).limit_reached
        window.chat_view.grab().save(str(tmp_path / "limit-reached.png"))

        _click_continue(qtbot, window, 1)
        usage = window.session.last_usage
        assert usage.cached_tokens > 0 and usage.evaluated_tokens == 1  # nothing read again
        assert usage.generated_tokens == 8
        _settled(window)
        continued = window.store.get_message(answer)
        assert window.session.messages[-1].stored.id == answer  # the same message, longer
        assert continued.text.startswith(cut) and len(continued.text) > len(cut)
        assert continued.sibling_count == 1 and window.transcript.rowCount() == 2
        assert window.transcript.item(1).text == continued.text
        assert continued.reached_limit and window.transcript.item(1).limit_reached
        seeds = continued.usage["seed"], continued.usage["continued_seeds"]
        assert seeds[0] == stored.usage["seed"] and len(seeds[1]) == 1

        # Continuing again, then a follow-up: the answer's whole text is what the model saw,
        # and only the last answer offers to continue.
        _click_continue(qtbot, window, 1)
        _send(qtbot, window, "And then?")
        assert window.session.last_usage.cached_tokens >= usage.prompt_tokens + 8
        assert window.transcript.rowCount() == 4
        assert not window.transcript.item(1).limit_reached
        assert window.transcript.item(3).limit_reached
        assert (tmp_path / "limit-reached.png").stat().st_size > 0
    finally:
        _close(window)


def test_continue_is_offered_only_under_a_cut_answer(
    qtbot, tmp_path: Path, tiny_pair: GgufPair
) -> None:
    window = _open(qtbot, _settings(tmp_path, tiny_pair, max_tokens=8), tmp_path / "data")
    try:
        _send(qtbot, window, "Write a long story")
        view = window.chat_view
        question = window.transcript.index(0)
        assert (
            view.delegate.anchor_rect(question, view.visualRect(question), "action:continue")
            is None
        )
        menu = [a.text() for a in view.context_menu(1).actions()]
        assert "C&ontinue the answer" in menu
        assert "C&ontinue the answer" not in [a.text() for a in view.context_menu(0).actions()]
        # A question's row never continues anything.
        window.transcript_actions.continue_answer(0)
        assert not window.session.generating
    finally:
        _close(window)
