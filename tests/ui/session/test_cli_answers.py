"""An answer the command line saves (``ask --save``) is kept as the window keeps its own.

Real parts: the same question to the tiny pair, once through ``ChatSession`` (the window's
session, its bridge thread, the local engine) and once through ``pixtral-desk ask --save``; each
writes its own history. The usage records they keep must have the same keys and, but for the
clocks, the same values: the seed a Regenerate reuses, the finish reason a Continue reads, the
engine's counters.
"""

from __future__ import annotations

import re
from pathlib import Path

from app.cli import main
from app.core.composition import Composition
from app.engine.base import Sampling
from app.engine.local.backend import LocalBackend
from app.storage.history import HistoryStore
from app.ui.session.chat_session import ChatSession
from tests.engine.local.configs import tiny_config
from tests.fixtures.pixtral_gguf import GgufPair

CLOCKS = {"ttft_s", "prefill_s", "decode_s"}
QUESTION = "What does the window keep with an answer?"


def _kept(data: Path) -> dict:
    with HistoryStore.open(data) as store:
        [info] = store.list_conversations()
        answer = store.load(info.id).messages[-1]
    assert answer.usage
    return answer.usage


def test_the_window_and_ask_save_keep_the_same_usage_record(
    qtbot, tiny_pair: GgufPair, tmp_path: Path, capsys
) -> None:
    backend = LocalBackend(tiny_config(tiny_pair), log_path=tmp_path / "engine.log")
    store = HistoryStore.open(tmp_path / "window")
    session = ChatSession(store, lambda: backend, lambda: Sampling(0.0, 1.0, 8, 1234))
    try:
        with qtbot.waitSignal(session.turn_finished, timeout=60_000):
            session.send(Composition(QUESTION))
    finally:
        session.close()
        backend.close()
        store.close()
    code = main(["--config", str(tmp_path / "s.ini"), "ask", "--model", str(tiny_pair.model),
                 "--mmproj", str(tiny_pair.mmproj), "--n-ctx", "4096", "--threads", "2",
                 "--temperature", "0", "--top-p", "1.0", "--max-tokens", "8", "--seed", "1234",
                 "--save", "--data-dir", str(tmp_path / "cli"), QUESTION])  # fmt: skip
    assert code == 0 and re.search(r"saved in chat \d+", capsys.readouterr().err)
    window, cli = _kept(tmp_path / "window"), _kept(tmp_path / "cli")
    assert window.keys() == cli.keys()
    assert {"seed", "finish_reason", "generated_tokens"} <= window.keys()
    same = {key: window[key] for key in window.keys() - CLOCKS}
    assert same == {key: cli[key] for key in cli.keys() - CLOCKS}
    assert (cli["seed"], cli["finish_reason"]) == (1234, "length")
