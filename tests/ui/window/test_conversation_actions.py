"""The sidebar menu's dialogs: rename starts from the title, export names the file after the
chat and says where it went."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QLineEdit, QWidget

from app.ui.window import conversation_actions
from app.ui.window.conversation_actions import ConversationActions, export_file_name


class FakeSession:
    def __init__(self) -> None:
        self.renamed: list[tuple[int, str]] = []
        self.exported: list[tuple[int, Path]] = []

    def rename(self, conversation_id: int, title: str) -> None:
        self.renamed.append((conversation_id, title))

    def export(self, conversation_id: int, out: Path, done: Callable[[], None]) -> None:
        self.exported.append((conversation_id, out))
        done()  # the real one calls back once the file is written


def _actions(qtbot, said: list[str]) -> tuple[ConversationActions, FakeSession]:
    parent = QWidget()
    qtbot.addWidget(parent)
    session = FakeSession()
    titles = {7: "Lease: what's the notice period?"}
    actions = ConversationActions(session, said.append, parent, lambda i: titles.get(i, ""))  # type: ignore[arg-type]
    return actions, session


def test_rename_starts_with_the_title_selected(qtbot) -> None:
    actions, session = _actions(qtbot, [])
    seen: dict[str, Any] = {}

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QInputDialog)
        edit = dialog.findChild(QLineEdit)
        seen["text"], seen["selected"] = edit.text(), edit.selectedText()
        edit.insert("Notice period")  # typing replaces the selected title
        dialog.accept()

    QTimer.singleShot(50, answer)
    actions.rename(7)
    assert seen == {"text": "Lease: what's the notice period?"} | {
        "selected": "Lease: what's the notice period?"
    }
    assert session.renamed == [(7, "Notice period")]


def test_export_suggests_the_title_and_confirms(qtbot, monkeypatch, tmp_path: Path) -> None:
    said: list[str] = []
    actions, session = _actions(qtbot, said)
    asked: list[str] = []
    out = tmp_path / "Lease-what-s-the-notice-period.md"

    def fake_save(_parent: QWidget, _caption: str, suggested: str, _filters: str) -> tuple:
        asked.append(suggested)
        return str(out), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_save))
    actions.export(7)
    assert asked == ["Lease-what-s-the-notice-period.md"]
    assert session.exported == [(7, out)]
    assert said == [f"Exported to {out}"]


def test_export_file_names_are_safe_everywhere() -> None:
    assert export_file_name("a/b\\c: d? *e* <f>|g") == "a-b-c-d-e-f-g.md"
    assert export_file_name("Überblick über café") == "Überblick-über-café.md"
    assert export_file_name("???") == "conversation.md"
    assert export_file_name("") == "conversation.md"
    assert export_file_name("x" * 200) == "x" * conversation_actions.FILE_NAME_LENGTH + ".md"
    assert export_file_name("notes", ".json") == "notes.json"
