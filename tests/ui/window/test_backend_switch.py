"""Choosing model files by hand remembers their folder for the model lists; switching the
model never holds the window up."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import SimpleNamespace

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QWidget

from app.core.conversation import MessageStatus
from app.models.model_folders import ModelFolders
from app.ui.window.backend_switch import BackendSwitcher
from tests.fixtures.pixtral_gguf import GgufPair
from tests.ui.window.test_main_window import TIMEOUT_MS, _close, _open, _send, _settings


def test_the_chosen_models_folder_is_remembered(qtbot, tmp_path: Path, monkeypatch) -> None:
    model = tmp_path / "anywhere" / "model.gguf"
    mmproj = tmp_path / "anywhere" / "mmproj.gguf"
    answers = iter([(str(model), ""), (str(mmproj), "")])
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: next(answers))
    parent = QWidget()
    qtbot.addWidget(parent)
    engine = SimpleNamespace(settings=SimpleNamespace(path=tmp_path / "settings.ini"))
    switcher = BackendSwitcher(engine, None, lambda _text: None, parent)  # type: ignore[arg-type]
    used: list[tuple[str, str]] = []
    monkeypatch.setattr(switcher, "use_model_files", lambda m, p: used.append((m, p)))
    switcher.choose_model_files()
    assert used == [(str(model), str(mmproj))]
    assert ModelFolders.beside(tmp_path / "settings.ini").folders() == [tmp_path / "anywhere"]


def test_switching_the_model_leaves_the_window_free_and_the_next_answer_waits_for_it(
    qtbot, tmp_path: Path, tiny_pair: GgufPair
) -> None:
    """The model menu's switch, through the real window and the tiny model: the old backend's
    close (its worker writes the open chat's state, seconds for a long chat) is held here.
    The window stays on its event loop, shows the model as loading, a message sent meanwhile
    waits, and it is answered by the new worker once the old one has ended."""
    window = _open(qtbot, _settings(tmp_path, tiny_pair), tmp_path / "data")
    try:
        _send(qtbot, window, "First question")  # the turn loads the model
        old = window.engine.backend()
        old_worker = old._process  # type: ignore[union-attr]
        release, close_threads = threading.Event(), []
        real_close = old.close  # type: ignore[union-attr]

        def held_close() -> None:
            close_threads.append(threading.current_thread())
            release.wait(10)  # on the GUI thread (the old way) the window froze here
            real_close()

        old.close = held_close  # type: ignore[union-attr, method-assign]
        window.header.model_menu.pair_chosen.emit(str(tiny_pair.model), str(tiny_pair.mmproj))
        qtbot.waitUntil(lambda: bool(close_threads), timeout=5000)
        assert close_threads[0] is not threading.main_thread() and not release.is_set()
        qtbot.waitUntil(window.header.load_bar.isVisible, timeout=5000)  # shown as loading
        if shots := os.environ.get("PIXTRAL_DESK_SHOTS"):
            window.grab().save(str(Path(shots) / "switching-model.png"))
        window.composer.editor.setPlainText("Second question")
        with qtbot.waitSignal(window.session.turn_started, timeout=TIMEOUT_MS):
            QTest.keyClick(window.composer.editor, Qt.Key.Key_Return)
        qtbot.wait(300)
        new = window.engine.backend()
        assert new is not old and new._process is None  # type: ignore[union-attr]
        assert old_worker.is_alive() and window.session.generating
        with qtbot.waitSignal(window.session.turn_finished, timeout=TIMEOUT_MS):
            release.set()
        assert old_worker.exitcode == 0  # it ended on its own, its chat's state written
        assert window.transcript.item(3).status is MessageStatus.COMPLETE
        assert new._process.is_alive()  # type: ignore[union-attr]
        assert not window.header.load_bar.isVisible()
    finally:
        _close(window)
