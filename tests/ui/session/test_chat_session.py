"""The session names its chat to the engine, so a chat switch restores instead of re-reading.

Real parts: the history store, ``ChatSession`` with its bridge thread, the local engine on the
tiny pair. Saving and restoring happen in the worker process, inside the turn the bridge runs
off the GUI thread or while the worker is idle; the GUI thread only starts turns.
"""

from __future__ import annotations

from pathlib import Path

from app.core.composition import Composition
from app.engine.base import Sampling
from app.engine.local.backend import LocalBackend
from app.engine.local.protocol import CacheStats
from app.engine.local.state_files import chat_file_name
from app.storage.history import HistoryStore
from app.ui.session.chat_session import ChatSession
from tests.engine.local.configs import tiny_config
from tests.fixtures.pixtral_gguf import GgufPair

LONG = " ".join(f"Line {i} of a long question about many things." for i in range(40))


def _send(qtbot, session: ChatSession, text: str) -> None:
    with qtbot.waitSignal(session.turn_finished, timeout=60_000):
        session.send(Composition(text))


def test_coming_back_to_a_chat_restores_it_and_the_left_one_is_saved_when_idle(
    qtbot, tiny_pair: GgufPair, tmp_path: Path
) -> None:
    states = tmp_path / "states"
    backend = LocalBackend(
        tiny_config(tiny_pair, state_dir=str(states)), log_path=tmp_path / "engine.log"
    )
    store = HistoryStore.open(tmp_path / "history")
    session = ChatSession(store, lambda: backend, lambda: Sampling(0.0, 1.0, 8, 1))
    try:
        _send(qtbot, session, LONG)
        chat_a = session.conversation_id
        key_a = session.request().chat
        assert chat_a is not None and key_a.endswith(f"#{chat_a}")

        session.new_chat()
        _send(qtbot, session, "A different chat")
        assert session.request().chat not in ("", key_a)
        # Chat A was left: the worker writes its state once idle, with no command from the app.
        qtbot.waitUntil(lambda: (states / chat_file_name(key_a)).is_file(), timeout=10_000)

        with qtbot.waitSignal(session.conversation_opened, timeout=10_000):
            session.open(chat_a)
        _send(qtbot, session, "And a follow-up")
        usage = session.last_usage
        assert usage is not None and usage.cached_tokens > usage.evaluated_tokens
        stats = backend.stats()
        assert isinstance(stats, CacheStats) and stats.last_resume == "memory"

        # Trashing a chat deletes what the engine kept of it, the open one included.
        session.trash(chat_a)
        qtbot.waitUntil(lambda: not (states / chat_file_name(key_a)).exists(), timeout=10_000)
        backend.close()  # quitting would have written the open chat A again
        assert not (states / chat_file_name(key_a)).exists()
    finally:
        session.close()
        backend.close()
        store.close()
