"""A history moved aside as damaged: the window offers to salvage it, and the sidebar shows
what came back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.core.conversation import TextPart
from app.main import build_window, offer_salvage
from app.settings import Settings
from app.storage.database import DB_FILENAME
from app.storage.history import HistoryStore
from app.ui.window.conversation_model import DetailRole, GroupRole, RecoveredRole


def _damaged_history(root: Path) -> None:
    with HistoryStore.open(root) as store:
        for i in range(60):
            cid = store.create_conversation(title=f"chat {i}")
            store.add_message(cid, "user", [TextPart(f"question {i} " * 20)])
    path = root / DB_FILENAME
    conn = sqlite3.connect(path)
    (page,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'parts'").fetchone()
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    data[(page - 1) * size : page * size] = b"\xab" * size
    path.write_bytes(bytes(data))
    (root / (DB_FILENAME + ".needs-check")).touch()  # as after damage met while running


def _answer(button_text: str, seen: list[str], boxes: int) -> None:
    """Click ``button_text`` (or OK) in each of the next ``boxes`` message boxes as it opens:
    the offer, then the result."""

    answered: list[QMessageBox] = []

    def click() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.isVisible() and box not in answered:
            buttons = [b for b in box.buttons() if b.text() in (button_text, "OK", "&OK")]
            if buttons:
                seen.append(box.text())
                answered.append(box)
                buttons[0].click()
        if len(seen) < boxes:
            QTimer.singleShot(20, click)

    QTimer.singleShot(20, click)


def test_recover_copies_the_readable_conversations_into_the_sidebar(qtbot, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _damaged_history(data)
    window = build_window(Settings(tmp_path / "settings.ini"), data)
    qtbot.addWidget(window)
    try:
        moved = window.store.db.recovered_from
        assert moved is not None
        damage = sqlite3.connect(moved)  # chat 0's dates unreadable too
        with damage:
            damage.execute("UPDATE conversations SET updated_at = 'x' WHERE title = 'chat 0'")
        damage.close()
        seen: list[str] = []
        _answer("Recover conversations", seen, boxes=1)
        run = offer_salvage(window)
        assert run is not None and "moved to" in seen[0]
        qtbot.waitUntil(lambda: run.result is not None, timeout=10_000)
        assert run.result is not None and run.result.startswith("Salvaged 60 conversation(s)")
        result = window.findChild(QMessageBox, "salvageResult")
        assert result is not None and result.text() == run.result  # shown once, not modal
        assert len(window.store.list_conversations(limit=-1)) == 60
        qtbot.waitUntil(lambda: window.sidebar.list.model().rowCount() == 60, timeout=10_000)
        assert not window.sidebar.note.isVisible()
        model = window.sidebar.model
        rows = {model.index(r).data(): model.index(r) for r in range(model.rowCount())}
        assert all(index.data(RecoveredRole) for index in rows.values())
        detail = rows["chat 0"].data(DetailRole)
        assert detail.startswith("Recovered · ") and "1970" not in detail, detail
        assert rows["chat 0"].data(GroupRole) != "January 1970"
    finally:
        window.session.close()
        window.close()
        window.engine.close()
        window.store.close()


def test_start_empty_copies_nothing(qtbot, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _damaged_history(data)
    window = build_window(Settings(tmp_path / "settings.ini"), data)
    qtbot.addWidget(window)
    try:
        _answer("Start empty", [], boxes=1)
        assert offer_salvage(window) is None
        assert window.store.list_conversations() == []
    finally:
        window.session.close()
        window.close()
        window.engine.close()
        window.store.close()


def test_the_composition_root_and_the_command_line_load_no_qt(image_file) -> None:
    """``app.main`` keeps its Qt imports inside its functions: importing it, and running a
    sub-command of the CLI, loads no PySide6 (the command line runs where Qt cannot)."""
    import subprocess
    import sys

    script = (
        "import sys, app.main, app.cli\n"
        "loaded = 'PySide6' in sys.modules\n"
        f"rc = app.cli.main(['tokens', {str(image_file(64, 32))!r}, '--json'])\n"
        "print(loaded, 'PySide6' in sys.modules, rc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.stdout.splitlines()[-1] == "False False 0", done.stdout + done.stderr
